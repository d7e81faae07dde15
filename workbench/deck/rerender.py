"""``workbench deck``: a wave's persona deck re-rendered from its saved ``deck_data.json`` and
the consultant's ``personas.yaml``, without re-fitting anything.

Runner-level like :mod:`workbench.pipeline` (which re-exports :func:`rerender_deck`), but kept
apart so that re-rendering imports no statistics (no segmentation, factor or scikit-learn
code): it reads plain deck data and renders it.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from . import deck_wave, load_trends, render_deck, render_pngs, rerender_inputs, update_presentation
from .update import deck_study, texts_naming
from ..core.errors import OutputError
from ..files.locking import WaveLock
from ..files.jsonplain import bounded_loads
from ..files.fileio import atomic_write_bytes, atomic_write_text, file_error
from ..core.provenance import utc_now
from ..files.outputs import file_sha256
from ..describe.personas import personas_path
from ..files.safeids import report_folder
from ..study import Study, load_study

__all__ = ["rerender_deck", "update_deck", "report_folder"]

logger = logging.getLogger(__name__)


def rerender_deck(study, wave, *, reports="reports", png: bool = False, force: bool = False) -> Path:
    """Re-render a wave's ``personas.pptx`` from its saved ``deck_data.json`` and the current
    ``surveys/<study>/personas.yaml``, without re-fitting anything.

    personas.pptx and the report folder's personas.yaml are replaced atomically (temporary
    file, then :func:`os.replace`) and manifest.json records the re-render; every other
    file of the report folder is left as it is.

    An earlier wave (a later wave of the study has run since) is re-rendered only with
    ``force``, and then from its own report's personas.yaml: the study's personas.yaml holds
    the later wave's personas by then (their descriptions quote that wave's figures), and an
    earlier wave's outputs are never replaced unasked.

    Parameters
    ----------
    study : Study or path
    wave : str
    reports : path, default='reports'
    png : bool, default=False
        Also render every slide to ``slides/slide-NN.png`` (needs LibreOffice).
    force : bool, default=False
        Re-render an earlier wave's deck (see above).

    Returns
    -------
    Path
        The re-rendered personas.pptx.

    Raises
    ------
    OutputError
        No run of that wave (no report folder or no deck_data.json); a run of that wave (or
        another re-render) holds its lock (:class:`workbench.files.locking.WaveLock`); an earlier
        wave without ``force``.
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
    ids = [x.id for x in study.waves]
    later = [x for x in ids[ids.index(w.id) + 1:] if (report_folder(study, x, reports) / "manifest.json").is_file()]
    if later and not force:
        raise OutputError(
            f"wave {w.id} is an earlier wave: wave {later[-1]} has run since, and the study's personas.yaml now holds "
            f"wave {later[-1]}'s personas; re-render wave {later[-1]}'s deck (--wave {later[-1]}), or pass --force to "
            f"re-render wave {w.id}'s deck from its own personas (its report's personas.yaml)", file=folder)
    # the wave's lock is held while the deck is rendered and replaced: never while a run of
    # this wave is writing, and a run of this wave started meanwhile is refused (issue 14)
    with WaveLock(folder, what=f"study {study.id} wave {w.id}"):
        prs, yaml_path = _rerender(study, folder, png=png, own=bool(later))
    logger.info("deck: re-rendered %s (%d slides)", folder / "personas.pptx", len(prs.slides))
    return folder / "personas.pptx"


def _rerender(study: Study, folder: Path, *, png: bool, own: bool = False):
    """The re-render itself (the caller holds the wave's lock): the deck and the personas file
    used (``own``: the report's own personas.yaml, an earlier wave's, left as it is)."""
    yaml_path = folder / "personas.yaml" if own else personas_path(study)
    data, personas = rerender_inputs(folder, yaml_path)
    prs = render_deck(data, personas, study=study, trends=load_trends(folder))  # trends: later waves
    targets = {"personas.pptx": None} if own else {"personas.pptx": None, "personas.yaml": None}
    buf = io.BytesIO()
    prs.save(buf)  # rendered in memory: each file is replaced whole (workbench.files.fileio), never through a link
    atomic_write_bytes(folder / "personas.pptx", buf.getvalue(), what="the deck")
    if not own:  # the report's copy, fresh
        atomic_write_text(folder / "personas.yaml", personas.to_yaml(), what="the personas file")
    for name in targets:
        targets[name] = file_sha256(folder / name)
    man_path = folder / "manifest.json"
    if man_path.exists():
        doc = bounded_loads(man_path.read_text(encoding="utf-8"), file=man_path, what="manifest.json",
                            error=OutputError)
        if not isinstance(doc, dict):
            raise OutputError("manifest.json is not a run's manifest; re-run the wave", file=man_path)
        doc.setdefault("outputs_sha256", {}).update(targets)
        doc.setdefault("rerenders", []).append({
            "what": "personas.pptx re-rendered from deck_data.json and personas.yaml (nothing re-fitted)",
            "when": utc_now(),
            "personas_yaml": str(yaml_path), "personas_yaml_sha256": file_sha256(yaml_path),
            "edited": {p.id: list(p.edited) for p in personas if p.edited},
            "slides": len(prs.slides),
        })
        atomic_write_text(man_path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n", what="the manifest")
    if png:
        render_pngs(folder / "personas.pptx", folder / "slides")
    return prs, yaml_path


def _other_study_texts(prs, study: Study, edited: Path, *, allow: bool) -> list[str]:
    """The words naming another study's client when ``prs`` was made for another study (its
    keywords' ``study=`` and title); [] for a deck of ``study``.  Refused unless ``allow``
    (issue 24: a deck of client A updated with client B's numbers)."""
    other_id, other_name = deck_study(prs)
    if other_id is None or other_id == study.id:
        return []
    words = [w for w in dict.fromkeys((other_name, other_id)) if w and w != study.spec.study.name]
    texts = texts_naming(prs, words)
    if not allow:
        shown = "; ".join(texts[:3]) + ("; ..." if len(texts) > 3 else "")
        raise OutputError(
            f"the deck was made for study {other_id!r}{f' ({other_name})' if other_name else ''}, not for "
            f"{study.id!r}: updating it would carry {len(texts)} text(s) naming the other client into this study's "
            f"deck{f' ({shown})' if texts else ''}; update a deck of study {study.id!r}, or pass "
            "--allow-other-study to go ahead and get every such text listed", file=edited)
    logger.warning("deck: %s was made for study %r, not %r (--allow-other-study): %d text(s) name the other client",
                   edited.name, other_id, study.id, len(texts))
    return words


def _render_wave(study: Study, folder: Path, personas_yaml: Path):
    data, personas = rerender_inputs(folder, personas_yaml)
    return render_deck(data, personas, study=study, trends=load_trends(folder))


def review_list_path(out) -> Path:
    """Where ``update_deck`` writes the "review before sending" list of an updated deck."""
    out = Path(out)
    return out.with_name(f"{out.stem}-review.txt")


def update_deck(study, wave, edited, *, reports="reports", output=None, force: bool = False, from_wave=None,
                png: bool = False, allow_other_study: bool = False):
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
    from .render import open_pptx

    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    edited = Path(edited)
    prs = open_pptx(edited, "the deck to update")
    other = _other_study_texts(prs, study, edited, allow=allow_other_study)
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
    if other:
        report.other_study = texts_naming(prs, other)  # after the update: what the client would still read
    cp = prs.core_properties
    cp.keywords = new.core_properties.keywords
    cp.title = new.core_properties.title
    buf = io.BytesIO()
    prs.save(buf)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise file_error(exc, out.parent, doing="create the folder") from None
    atomic_write_bytes(out, buf.getvalue(), what="the updated deck")
    listed = review_list_path(out)
    if report.review:  # the "review before sending" list, beside the deck (by slide number and title)
        atomic_write_bytes(listed, (report.review_list() + "\n").encode("utf-8"), what="the review list")
    elif listed.is_file():  # an earlier update's list would be stale
        listed.unlink()
    logger.debug("deck: %s updated to wave %s as %s: %s", edited.name, w.id, out, report.summary())
    if png:
        render_pngs(out, out.with_name(f"{out.stem}-slides"))
    return out, report
