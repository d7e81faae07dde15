"""``workbench deck``: a wave's persona deck re-rendered from its saved ``deck_data.json`` and
the consultant's ``personas.yaml``, without re-fitting anything.

Runner-level like :mod:`workbench.pipeline` (which re-exports :func:`rerender_deck`), but kept
apart so that re-rendering imports no statistics (no segmentation, factor or scikit-learn
code): it reads plain deck data and renders it.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
from pathlib import Path

from .deck import deck_wave, load_trends, render_deck, render_pngs, rerender_inputs, update_presentation
from .errors import OutputError
from .locking import WaveLock
from .outputs import atomic_write_bytes, file_sha256
from .personas import personas_path
from .safeids import report_folder
from .study import Study, load_study

__all__ = ["rerender_deck", "update_deck", "report_folder"]

logger = logging.getLogger(__name__)


def rerender_deck(study, wave, *, reports="reports", png: bool = False) -> Path:
    """Re-render a wave's ``personas.pptx`` from its saved ``deck_data.json`` and the current
    ``surveys/<study>/personas.yaml``, without re-fitting anything.

    personas.pptx and the report folder's personas.yaml are replaced atomically (temporary
    file, then :func:`os.replace`) and manifest.json records the re-render; every other
    file of the report folder is left as it is.

    Parameters
    ----------
    study : Study or path
    wave : str
    reports : path, default='reports'
    png : bool, default=False
        Also render every slide to ``slides/slide-NN.png`` (needs LibreOffice).

    Returns
    -------
    Path
        The re-rendered personas.pptx.

    Raises
    ------
    OutputError
        No run of that wave (no report folder or no deck_data.json); a run of that wave (or
        another re-render) holds its lock (:class:`workbench.locking.WaveLock`).
    StudyError
        personas.yaml is broken (naming the persona, key and line).
    """
    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    folder = report_folder(study, w.id, reports)
    if not folder.is_dir():
        raise OutputError(f"no report folder for wave {w.id}: run `workbench run {study.root} --wave {w.id}` first",
                          file=folder)
    # the wave's lock is held while the deck is rendered and replaced: never while a run of
    # this wave is writing, and a run of this wave started meanwhile is refused (issue 14)
    with WaveLock(folder, what=f"study {study.id} wave {w.id}"):
        prs, yaml_path = _rerender(study, folder, png=png)
    logger.info("deck: re-rendered %s (%d slides)", folder / "personas.pptx", len(prs.slides))
    return folder / "personas.pptx"


def _rerender(study: Study, folder: Path, *, png: bool):
    """The re-render itself (the caller holds the wave's lock): the deck and the personas file used."""
    yaml_path = personas_path(study)
    data, personas = rerender_inputs(folder, yaml_path)
    prs = render_deck(data, personas, study=study, trends=load_trends(folder))  # trends: later waves
    targets = {"personas.pptx": None, "personas.yaml": None}
    tmp_pptx = folder / ".personas.pptx.tmp"
    tmp_yaml = folder / ".personas.yaml.tmp"
    try:
        prs.save(str(tmp_pptx))
        personas.save(tmp_yaml)
        os.replace(tmp_pptx, folder / "personas.pptx")
        os.replace(tmp_yaml, folder / "personas.yaml")
    finally:
        for t in (tmp_pptx, tmp_yaml):
            if t.exists():
                t.unlink()
    for name in targets:
        targets[name] = file_sha256(folder / name)
    man_path = folder / "manifest.json"
    if man_path.exists():
        doc = json.loads(man_path.read_text(encoding="utf-8"))
        doc.setdefault("outputs_sha256", {}).update(targets)
        doc.setdefault("rerenders", []).append({
            "what": "personas.pptx re-rendered from deck_data.json and personas.yaml (nothing re-fitted)",
            "when": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "personas_yaml": str(yaml_path), "personas_yaml_sha256": file_sha256(yaml_path),
            "edited": {p.id: list(p.edited) for p in personas if p.edited},
            "slides": len(prs.slides),
        })
        tmp_man = folder / ".manifest.json.tmp"
        tmp_man.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp_man, man_path)
    if png:
        render_pngs(folder / "personas.pptx", folder / "slides")
    return prs, yaml_path


def _render_wave(study: Study, folder: Path, personas_yaml: Path):
    data, personas = rerender_inputs(folder, personas_yaml)
    return render_deck(data, personas, study=study, trends=load_trends(folder))


def review_list_path(out) -> Path:
    """Where ``update_deck`` writes the "review before sending" list of an updated deck."""
    out = Path(out)
    return out.with_name(f"{out.stem}-review.txt")


def update_deck(study, wave, edited, *, reports="reports", output=None, force: bool = False, from_wave=None,
                png: bool = False):
    """An edited deck of an earlier wave, refreshed with ``wave``'s numbers, as a new file.

    Every chart, table and text the workbench drew (named ``wb:...``) takes this wave's
    numbers; what the consultant added, moved, recoloured or rewrote is kept (see
    :mod:`workbench.deck.update`).  Nothing is re-fitted: both waves' decks are rendered
    from their saved ``deck_data.json``.

    Parameters
    ----------
    study : Study or path
    wave : str
        The wave whose numbers go into the deck.
    edited : path
        The consultant's deck, made by the workbench for an earlier wave.
    reports : path, default='reports'
    output : path, optional
        Default: ``<edited stem>-wave-<wave>.pptx`` beside the edited deck.
    force : bool, default=False
        Replace an existing output file (never the edited deck itself).
    from_wave : str, optional
        The wave the edited deck was made for; default: read from the deck (its keywords).
    png : bool, default=False
        Also render the updated deck's slides to ``<output stem>-slides/slide-NN.png``.

    What could not be refreshed carries a red "Review before sending" tag on its slide and is
    listed, by slide number and title, in ``<output stem>-review.txt`` (and in the report's
    summary, which the command prints).

    Returns
    -------
    (Path, UpdateReport)

    Raises
    ------
    OutputError
        The edited deck is missing, not a .pptx, or not made by the workbench; either wave
        has no run; the output exists (without ``force``) or is the edited deck.
    """
    from .deck.render import open_pptx

    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    edited = Path(edited)
    prs = open_pptx(edited, "the deck to update")
    base_wave = from_wave or deck_wave(prs)
    if base_wave is None:
        raise OutputError("the deck to update does not say which wave it was made for (its keywords were removed?); "
                          "pass --from-wave", file=edited)
    base_wave = study.wave(base_wave).id
    out = Path(output) if output is not None else edited.with_name(f"{edited.stem}-wave-{w.id}.pptx")
    if out.resolve() == edited.resolve():
        raise OutputError("the updated deck would replace the deck it is made from; write it to another file (-o)",
                          file=out)
    if out.exists() and not force:
        raise OutputError(f"{out} exists; pass --force to replace it, or choose another file with -o", file=out)
    folders = {}
    for wid in dict.fromkeys((base_wave, w.id)):
        folder = report_folder(study, wid, reports)
        if not (folder / "deck_data.json").is_file():
            raise OutputError(f"no deck data for wave {wid}: run `workbench run {study.root} --wave {wid}` first",
                              file=folder / "deck_data.json")
        folders[wid] = folder
    with WaveLock(folders[w.id], what=f"study {study.id} wave {w.id}"):
        base_yaml = folders[base_wave] / "personas.yaml"  # the personas that made the earlier deck
        base = _render_wave(study, folders[base_wave], base_yaml if base_yaml.is_file() else personas_path(study))
        new = _render_wave(study, folders[w.id], personas_path(study))
    report = update_presentation(prs, base, new)
    cp = prs.core_properties
    cp.keywords = new.core_properties.keywords
    cp.title = new.core_properties.title
    import io

    buf = io.BytesIO()
    prs.save(buf)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, buf.getvalue())
    listed = review_list_path(out)
    if report.review:  # the "review before sending" list, beside the deck (by slide number and title)
        atomic_write_bytes(listed, (report.review_list() + "\n").encode("utf-8"))
    elif listed.is_file():  # an earlier update's list would be stale
        listed.unlink()
    logger.debug("deck: %s updated to wave %s as %s: %s", edited.name, w.id, out, report.summary())
    if png:
        render_pngs(out, out.with_name(f"{out.stem}-slides"))
    return out, report
