"""The deck's texts, one table per language (a module each: ``TABLE``); see
:mod:`workbench.deck.texts` for how they are used and how to add a text or a language."""
