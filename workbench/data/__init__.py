"""Data in: answers read, joined to behaviour, weighted (with the rooms ``quality`` and ``behaviour``).

``readers``    the one reader registry (``READERS``: csv, qualtrics, surveymonkey, xlsx, sav) and
               ``read_responses``, used by ``run``, ``validate`` and ``classify``
``joincheck``  the join of answers to behaviour and the transaction values checked
``weighting``  raking to the customer base, design effect and effective n

These import :mod:`workbench.core`, :mod:`workbench.files` and :mod:`workbench.study`
(tests/test_import_graph.py).
"""
