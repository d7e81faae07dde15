#!/usr/bin/env python
"""Compare two reports folders cell by cell: ``compare_reports.py BEFORE AFTER``.

Checks that a change left every number of every output as it was (issue 12: "behaviour
unchanged").  BEFORE and AFTER are folders as ``workbench run`` writes them (one wave's
folder, or a tree of them: ``reports/<study>`` or ``reports/<study>/<wave>``); files are
paired by their path relative to the folder.

What is compared
----------------
* the set of files (a file on one side only is a difference);
* ``.xlsx``: the sheet names and every cell value of every sheet (formulas as written);
* ``.csv``: every cell (text as written, so number formatting counts);
* ``.json``: every key and value, recursively (numbers exactly);
* ``.pptx``: per slide, the text of every shape (text frames, table cells, groups) and
  every native chart's type, categories, series names and values;
* any other file (``.md``, ``.yaml``, ``.png``...): its bytes.

What is ignored (and only this)
-------------------------------
* JSON keys, wherever they occur: ``started``, ``finished``, ``fitted``, ``when``
  (timestamps), ``step_seconds`` (durations), ``versions``, ``packages``, ``platform``
  (software versions), ``command`` (how the run was started);
* ``manifest.json``: ``outputs_sha256`` (hashes of the outputs, whose contents are compared
  here directly; xlsx/pptx are zip files carrying their own write times),
  ``study_definition.file`` and the directory part of each ``inputs_sha256`` key (paths
  depend on where the run was started), the ``inputs_sha256`` entry and the
  ``model.sha256`` / ``model.file`` of a ``model.json`` (its hash covers its ``fitted``
  timestamp; model.json itself is compared);
* text cells of xlsx/csv/pptx that hold an ISO date-time with a time of day
  (``2026-12-01T20:53:22...``) are compared as ``<timestamp>``.
* the document properties of xlsx/pptx (author, created, modified) are not read.

Options: ``--ignore-json-key NAME`` (repeatable) ignores one more JSON key, e.g. a key a
change adds on purpose.  Exit status 0 when identical, 1 when anything differs (each
difference printed, one per line, at most ``--max`` of them), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from pathlib import Path

IGNORED_KEYS = frozenset({"started", "finished", "fitted", "when", "step_seconds", "versions", "packages",
                          "platform", "command"})
_STAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:?\d\d|Z)?")


def _norm(value):
    if isinstance(value, str) and _STAMP.fullmatch(value.strip()):
        return "<timestamp>"
    if hasattr(value, "isoformat") and not isinstance(value, str):  # datetime cells of openpyxl
        return value.isoformat()
    return value


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return isinstance(a, bool) == isinstance(b, bool) and a == b


# --------------------------------------------------------------------------- per format


def compare_json(a, b, where: str, ignored: frozenset, out: list) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k in ignored:
                continue
            if k not in a:
                out.append(f"{where}/{k}: only in AFTER ({json.dumps(b[k], ensure_ascii=False)[:80]})")
            elif k not in b:
                out.append(f"{where}/{k}: only in BEFORE ({json.dumps(a[k], ensure_ascii=False)[:80]})")
            else:
                compare_json(a[k], b[k], f"{where}/{k}", ignored, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} items before, {len(b)} after")
        for i, (x, y) in enumerate(zip(a, b)):
            compare_json(x, y, f"{where}[{i}]", ignored, out)
    elif not _same(_norm(a), _norm(b)):
        out.append(f"{where}: {a!r} -> {b!r}")


def _manifest(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    doc.pop("outputs_sha256", None)
    doc.get("study_definition", {}).pop("file", None)
    inputs = doc.get("inputs_sha256") or {}
    doc["inputs_sha256"] = {Path(k).name: v for k, v in inputs.items() if Path(k).name != "model.json"}
    if isinstance(doc.get("model"), dict):
        doc["model"].pop("sha256", None)
        doc["model"].pop("file", None)
    return doc


def _json_file(a: Path, b: Path, name: str, ignored: frozenset, out: list) -> None:
    da, db = (json.loads(p.read_text(encoding="utf-8")) for p in (a, b))
    if Path(name).name == "manifest.json":
        da, db = _manifest(da), _manifest(db)
    compare_json(da, db, name, ignored, out)


def _csv_file(a: Path, b: Path, name: str, out: list) -> None:
    ra, rb = (list(csv.reader(io.StringIO(p.read_text(encoding="utf-8-sig")))) for p in (a, b))
    if len(ra) != len(rb):
        out.append(f"{name}: {len(ra)} rows before, {len(rb)} after")
    for i, (x, y) in enumerate(zip(ra, rb), start=1):
        if len(x) != len(y):
            out.append(f"{name} row {i}: {len(x)} cells before, {len(y)} after")
        for j, (u, v) in enumerate(zip(x, y), start=1):
            if _norm(u) != _norm(v):
                out.append(f"{name} row {i} col {j}: {u!r} -> {v!r}")


def _xlsx_file(a: Path, b: Path, name: str, out: list) -> None:
    from openpyxl import load_workbook

    wa, wb = (load_workbook(p, read_only=True, data_only=False) for p in (a, b))
    if wa.sheetnames != wb.sheetnames:
        out.append(f"{name}: sheets {wa.sheetnames} -> {wb.sheetnames}")
    for sheet in [s for s in wa.sheetnames if s in wb.sheetnames]:
        ga = [tuple(_norm(c) for c in row) for row in wa[sheet].iter_rows(values_only=True)]
        gb = [tuple(_norm(c) for c in row) for row in wb[sheet].iter_rows(values_only=True)]
        for i in range(max(len(ga), len(gb))):
            x = ga[i] if i < len(ga) else ()
            y = gb[i] if i < len(gb) else ()
            for j in range(max(len(x), len(y))):
                u = x[j] if j < len(x) else None
                v = y[j] if j < len(y) else None
                if not _same(u, v):
                    out.append(f"{name} [{sheet}] {_cell(i, j)}: {u!r} -> {v!r}")
    wa.close()
    wb.close()


def _cell(i: int, j: int) -> str:
    col, n = "", j + 1
    while n:
        n, r = divmod(n - 1, 26)
        col = chr(65 + r) + col
    return f"{col}{i + 1}"


def _shapes(shapes, prefix: str):
    for k, shape in enumerate(shapes):
        where = f"{prefix}shape {k + 1} ({shape.name})"
        if shape.shape_type == 6 or hasattr(shape, "shapes"):  # a group
            yield from _shapes(shape.shapes, where + " > ")
            continue
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield where + " text", _norm(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            for r, row in enumerate(shape.table.rows):
                for c, cell in enumerate(row.cells):
                    yield f"{where} table r{r + 1}c{c + 1}", _norm(cell.text)
        if getattr(shape, "has_chart", False) and shape.has_chart:
            chart = shape.chart
            yield where + " chart type", str(chart.chart_type)
            for p, plot in enumerate(chart.plots):
                yield f"{where} chart plot {p + 1} categories", tuple(str(c) for c in plot.categories)
                for s in plot.series:
                    yield f"{where} chart plot {p + 1} series {s.name!r}", tuple(s.values)


def _pptx_file(a: Path, b: Path, name: str, out: list) -> None:
    from pptx import Presentation

    pa, pb = Presentation(str(a)), Presentation(str(b))
    if len(pa.slides) != len(pb.slides):
        out.append(f"{name}: {len(pa.slides)} slides before, {len(pb.slides)} after")
    for n, (sa, sb) in enumerate(zip(pa.slides, pb.slides), start=1):
        xa = dict(_shapes(sa.shapes, ""))
        xb = dict(_shapes(sb.shapes, ""))
        for key in list(xa) + [k for k in xb if k not in xa]:
            if xa.get(key, "<absent>") != xb.get(key, "<absent>"):
                out.append(f"{name} slide {n} {key}: {xa.get(key, '<absent>')!r} -> {xb.get(key, '<absent>')!r}")


# --------------------------------------------------------------------------- folders


def compare_folders(before, after, *, ignore_json_keys=()) -> list[str]:
    """Every difference between two reports folders, one line each (empty: identical)."""
    before, after = Path(before), Path(after)
    ignored = IGNORED_KEYS | frozenset(ignore_json_keys)
    fa = {p.relative_to(before).as_posix() for p in before.rglob("*") if p.is_file()}
    fb = {p.relative_to(after).as_posix() for p in after.rglob("*") if p.is_file()}
    out = [f"{n}: only in BEFORE" for n in sorted(fa - fb)] + [f"{n}: only in AFTER" for n in sorted(fb - fa)]
    for name in sorted(fa & fb):
        a, b = before / name, after / name
        suffix = a.suffix.lower()
        try:
            if suffix == ".json":
                _json_file(a, b, name, ignored, out)
            elif suffix == ".csv":
                _csv_file(a, b, name, out)
            elif suffix == ".xlsx":
                _xlsx_file(a, b, name, out)
            elif suffix == ".pptx":
                _pptx_file(a, b, name, out)
            elif a.read_bytes() != b.read_bytes():
                out.append(f"{name}: contents differ")
        except (ValueError, OSError, KeyError) as exc:  # an unreadable file is a difference, not a crash
            out.append(f"{name}: cannot be compared ({type(exc).__name__}: {exc})")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--ignore-json-key", action="append", default=[], metavar="NAME")
    ap.add_argument("--max", type=int, default=200, help="print at most this many differences (default 200)")
    args = ap.parse_args(argv)
    for p in (args.before, args.after):
        if not p.is_dir():
            print(f"error: {p} is not a folder", file=sys.stderr)
            return 2
    diffs = compare_folders(args.before, args.after, ignore_json_keys=args.ignore_json_key)
    n_files = len([p for p in args.before.rglob("*") if p.is_file()])
    for line in diffs[: args.max]:
        print(line)
    if len(diffs) > args.max:
        print(f"... and {len(diffs) - args.max} more")
    print(f"{len(diffs)} difference(s) in {n_files} file(s) of {args.before} vs {args.after}",
          file=sys.stderr)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
