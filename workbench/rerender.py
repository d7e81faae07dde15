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

from .deck import load_trends, render_deck, render_pngs, rerender_inputs
from .errors import OutputError
from .locking import WaveLock
from .outputs import file_sha256
from .personas import personas_path
from .safeids import report_folder
from .study import Study, load_study

__all__ = ["rerender_deck", "report_folder"]

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
