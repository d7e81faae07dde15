"""The ``workbench`` command.

Errors the workbench raises on purpose (:class:`~workbench.core.errors.WorkbenchError`) are
printed as one message naming file, row and column, with exit status 2 and no
traceback; ``--debug`` shows the traceback for anything else.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

from . import __version__
from .core.errors import WorkbenchError
from .files.fileio import atomic_write_text, file_error, is_machine_fault

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="workbench",
        description="Survey and Jobs-to-be-Done segmentation workbench.",
        epilog="Run `workbench COMMAND --help` for a command's options. "
        "Study folders hold a study.yaml (format: surveys/README.md).",
    )
    p.add_argument("--version", action="version", version=f"workbench {__version__}")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors and the final result")
    p.add_argument("-v", "--verbose", action="store_true", help="print every step's details (debug logging, no "
                   "tracebacks)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    v = sub.add_parser(
        "validate",
        help="check a study definition and its wave files, writing nothing",
        description="Validate study.yaml (reporting every problem with its key path), then read "
        "each wave's responses and run the quality checks without writing anything.",
    )
    v.add_argument("study", type=Path, help="study folder (holding study.yaml) or the yaml file")
    v.add_argument("--wave", action="append", help="only this wave (repeatable); default: all waves")
    v.add_argument("--definition-only", action="store_true", help="check study.yaml only, not the data")
    v.add_argument("--reports", type=Path, default=Path("reports"), help="reports root run writes to: a later wave "
                   "is checked against the model of an earlier wave found there (default: ./reports)")

    r = sub.add_parser(
        "run",
        help="run one wave end to end and write its reports",
        description="Read the wave's responses, check their quality and write "
        "<reports>/<study>/<wave>/ (quality.xlsx, manifest.json). Outputs are written to a "
        "temporary folder and moved into place whole.",
    )
    r.add_argument("study", type=Path, help="study folder (holding study.yaml)")
    r.add_argument("--wave", required=True, help="wave id as declared in study.yaml")
    r.add_argument("--reports", type=Path, default=Path("reports"), help="reports root (default: ./reports)")
    r.add_argument("--force", action="store_true", help="replace this wave's existing outputs")
    r.add_argument("--model", metavar="WAVE|FILE",
                   help="classify this wave with a frozen model: a wave id, a model.json or a report folder "
                   "(default for a later wave: the latest earlier wave's model)")
    r.add_argument("--refit", action="store_true",
                   help="fit this wave's segmentation afresh instead of classifying with an earlier model")

    c = sub.add_parser(
        "classify",
        help="put respondents or customers of a file into the segments of a saved model",
        description="Classify each row of ANSWERS (CSV, XLSX, SPSS .sav or a Qualtrics / SurveyMonkey export, "
        "id first; read as a wave's files are) with a model.json written by "
        "`workbench run`: the full segmentation when the file holds its questions (missing answers "
        "allowed), else the typing tool's golden questions, else the whole-base model on behaviour "
        "and firmographics. Writes a CSV with segment, name, probability and an uncertain flag.",
    )
    c.add_argument("answers", type=Path, help="file of answers (or customer features), one row each, id first")
    c.add_argument("--model", type=Path, required=True, help="the model.json to classify with")
    c.add_argument("--using", choices=["auto", "segmentation", "typing", "base"], default="auto",
                   help="which scorer of the model file (default: auto, from the file's columns)")
    c.add_argument("--id", dest="id_column", help="the id column (default: the first column)")
    c.add_argument("--encoding", default="utf-8", help="a CSV's encoding, e.g. cp1252 (default: utf-8)")
    c.add_argument("--sheet", help="the workbook's sheet (default: the first)")
    c.add_argument("--study", type=Path, help="check the model against this study folder first")
    c.add_argument("-o", "--output", type=Path, help="write the CSV here (default: standard output)")
    c.add_argument("--force", action="store_true", help="replace an existing output file")

    k = sub.add_parser(
        "deck",
        help="re-render a wave's persona deck after editing personas.yaml (no refit)",
        description="Rebuild <reports>/<study>/<wave>/personas.pptx from the run's saved deck data "
        "(deck_data.json) and the study's current personas.yaml and deck: settings, without "
        "re-fitting anything. personas.pptx and the report's personas.yaml are replaced "
        "atomically; manifest.json records the re-render. With --update EDITED.pptx: last wave's deck as "
        "you edited it, with every chart, table and number the workbench drew refreshed to --wave (your "
        "slides, shapes, notes and formatting kept), written to a new file.",
    )
    k.add_argument("study", type=Path, help="study folder (holding study.yaml and personas.yaml)")
    k.add_argument("--wave", required=True, help="wave id as declared in study.yaml")
    k.add_argument("--reports", type=Path, default=Path("reports"), help="reports root (default: ./reports)")
    k.add_argument("--png", action="store_true", help="also render every slide to slides/slide-NN.png (LibreOffice)")
    k.add_argument("--update", type=Path, metavar="PPTX",
                   help="refresh this edited deck of an earlier wave with --wave's numbers, keeping your edits; "
                        "written to a new file (-o), the edited deck is not changed")
    k.add_argument("-o", "--output", type=Path, help="with --update: the new deck (default: <edited>-wave-<wave>.pptx)")
    k.add_argument("--force", action="store_true", help="replace an existing --update output; re-render an earlier wave")
    k.add_argument("--from-wave", help="with --update: the wave the edited deck was made for (default: read from it)")
    k.add_argument("--allow-other-study", action="store_true",
                   help="with --update: accept a deck made for another study (refused by default); every text that "
                        "still names the other client is listed")

    x = sub.add_parser(
        "export-sql",
        help="write a saved model's scorer as one SQL query for a warehouse",
        description="Compile the whole-base model (or, with --using typing, the typing tool) of a "
        "model.json into one SELECT over a table of feature columns: linear predictors, softmax "
        "probabilities and the segment, in the chosen SQL dialect.",
    )
    x.add_argument("--model", type=Path, required=True, help="the model.json (or its report folder)")
    x.add_argument("--dialect", default="duckdb", help="duckdb, spark, snowflake or bigquery (default: duckdb)")
    x.add_argument("--using", choices=["base", "typing", "accounts"], default="base",
                   help="base: the whole-base model over customer features (default); typing: the typing tool; "
                        "accounts: the account classes (buying-centre types) from a table of respondents' segments "
                        "(customer_id, segment)")
    x.add_argument("--table", help="table to score (default: customers / respondents / respondent_segments)")
    x.add_argument("--id", dest="id_column", help="id column (default: customer_id / respondent_id)")
    x.add_argument("-o", "--output", type=Path, help="write the query here (default: standard output)")
    x.add_argument("--force", action="store_true", help="replace an existing output file")

    d = sub.add_parser(
        "demo",
        help="(re)generate the synthetic demo study",
        description="Write the demo study (study.yaml, two waves of responses, transactions, "
        "customer master, and ground truth under truth/) into FOLDER. Deterministic for a seed.",
    )
    d.add_argument("folder", type=Path, nargs="?", default=Path("surveys/demo"), help="default: surveys/demo")
    d.add_argument("--seed", type=int, default=20261123)
    d.add_argument("--customers", type=int, default=4000, help="customers in the base (default 4000)")
    d.add_argument("--respondents", type=int, default=1500,
                   help="customers interviewed per wave (default 1500; with their colleagues about 2,000 respondents)")
    d.add_argument("--force", action="store_true", help="overwrite existing demo data")
    d.add_argument("--if-missing", action="store_true", help="do nothing when the demo data already exists")
    return p


class _ConsoleFormatter(logging.Formatter):
    """One line per record; warnings start with ``warning:``."""

    def __init__(self, debug: bool):
        super().__init__("%(levelname)s %(name)s: %(message)s" if debug else "%(message)s")
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.debug:
            text = " ".join(text.split("\n")) if record.levelno >= logging.WARNING else text
            if record.levelno >= logging.WARNING and not text.startswith("warning:"):
                text = f"warning: {text}"
        return text


#: Packages that group small modules by concern: a warning names the module in them
#: (``weighting`` for ``…/workbench/data/weighting.py``), as it did when they sat at the root.
_GROUPING_PACKAGES = ("core", "files", "data", "describe")


def _warning_area(filename: str) -> str:
    """Where a warning came from, without the path: ``factors`` for
    ``…/workbench/factors/efa.py``, ``profiles`` for ``…/workbench/describe/profiles.py``, the
    package name for other libraries."""
    parts = Path(filename).with_suffix("").parts
    if "workbench" in parts:
        rest = parts[len(parts) - 1 - parts[::-1].index("workbench") + 1:]
        if len(rest) > 1 and rest[0] in _GROUPING_PACKAGES:
            rest = rest[1:]
        return rest[0] if rest else "workbench"
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1:]
        return rest[0] if rest else Path(filename).stem
    return Path(filename).stem


def _setup_logging(quiet: bool, debug: bool, verbose: bool = False) -> None:
    level = logging.DEBUG if (debug or verbose) else logging.ERROR if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ConsoleFormatter(debug))
    root = logging.getLogger("workbench")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    console = logging.getLogger("workbench.console")

    def showwarning(message, category, filename, lineno, file=None, line=None):
        # one line, never a source path or a line of code (``--debug`` adds the location)
        text = " ".join(str(message).split())
        where = f" ({filename}:{lineno})" if debug else ""
        console.warning("warning: %s: %s%s", _warning_area(filename), text, where)

    warnings.showwarning = showwarning


def _cmd_validate(args) -> int:
    from .validation import validate
    from .study import load_study

    study = load_study(args.study)
    print(study.summary())
    if args.definition_only:
        print("study definition OK")
        return 0
    for wave, responses, quality, details in validate(study, args.wave, details=True, reports=args.reports):
        print(f"wave {wave}: {quality.text()}")
        if details.get("model"):
            print(f"  {details['model']}")
        for note in responses.notes:  # how the files were read: a title block, blanks of select-all-that-apply
            print(f"  {note}")
        if responses.unexpected_columns:
            print(f"  columns in the file but not in the study: {', '.join(responses.unexpected_columns)}")
        beh = details["behaviour"]
        if beh is not None and getattr(beh, "match", None) is not None:
            m = beh.match
            rows = m[m["group"] == "respondents"]
            print("  behaviour join: " + ", ".join(f"{int(r.n)} {r.status}" for r in rows.itertuples() if r.n))
        if details.get("customers"):
            print(f"  {details['customers']}")
        for name, why in details["skipped"].items():
            print(f"  run will skip {name}: {why}")
    print("OK: the study definition and its data are consistent")
    return 0


def _cmd_run(args) -> int:
    from .pipeline import run_wave

    result = run_wave(args.study, args.wave, reports=args.reports, force=args.force, model=args.model,
                      refit=args.refit)
    print(result)
    counts = result.context.manifest.counts if result.context is not None else {}
    if "customers_with_several_respondents" in counts and "accounts" not in result.skipped:  # issue 29
        n, several = counts["customers_surveyed"], counts["customers_with_several_respondents"]
        print(f"Accounts: {n:,} customers surveyed, {several:,} ({several / max(n, 1):.0%}) with several respondents; "
              f"{counts.get('account_classes', 0)} account class(es) (accounts.xlsx)")
    return 0


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise file_error(exc, path.parent, doing="create the folder") from None


def _cmd_classify(args) -> int:
    from .core.errors import OutputError
    from .study import load_study
    from .waves.classify import classify_file

    from .files.outputs import csv_text

    study = load_study(args.study) if args.study is not None else None
    if args.output is not None:
        _refuse_own_inputs(args.output, {"the model file": args.model, "the answers file": args.answers,
                                         "the study file": study.path if study is not None else None})
    if args.output is not None and args.output.exists() and not args.force:
        raise OutputError(f"{args.output} exists; use --force to replace it", file=args.output)
    table, used = classify_file(args.model, args.answers, using=args.using, id_column=args.id_column, study=study,
                                encoding=args.encoding, sheet=args.sheet)
    text = csv_text(table, lineterminator="\n")  # issue 14: text cells neutralised
    n_unc = int(table["uncertain"].sum()) if "uncertain" in table.columns else 0
    if args.output is None:
        sys.stdout.write(text)
    else:
        _make_parent(args.output)
        atomic_write_text(args.output, text, what="the output file")
    print(f"classified {len(table)} row(s) with the {used} scorer of {args.model}; {n_unc} uncertain"
          + (f"; written to {args.output}" if args.output is not None else ""), file=sys.stderr)
    return 0


def _refuse_own_inputs(output: Path, inputs: dict) -> None:
    """``classify -o`` never overwrites what it reads (issue 14), even with --force."""
    from .core.errors import OutputError

    out = Path(output)
    if out.is_dir():
        raise OutputError(f"-o {out} is a folder; name the CSV file to write", file=out)
    for what, path in inputs.items():
        if path is None:
            continue
        p = Path(path)
        p = p / "model.json" if p.is_dir() else p
        same = False
        try:
            same = out.exists() and p.exists() and os.path.samefile(out, p)
        except OSError:
            pass
        if same or out.resolve() == p.resolve():
            raise OutputError(f"-o {out} is {what} this command reads; write the result to another file", file=out)


def _cmd_deck(args) -> int:
    from .deck.rerender import rerender_deck  # not the pipeline: re-rendering imports no statistics

    if args.update is not None:
        from .deck.rerender import update_deck

        path, report = update_deck(args.study, args.wave, args.update, reports=args.reports, output=args.output,
                                   force=args.force, from_wave=args.from_wave, png=args.png,
                                   allow_other_study=args.allow_other_study)
        from .deck.rerender import review_list_path

        listed = review_list_path(path)
        print(f"updated {args.update} to wave {args.wave}: {path}\n{report.summary()}"
              + (f"\nthis list is also in {listed}" if report.review else "")
              + (f"\nslide images in {path.with_name(path.stem + '-slides')}" if args.png else ""))
        return 0
    if args.output is not None or args.from_wave is not None or args.allow_other_study:
        from .core.errors import OutputError

        raise OutputError("-o, --from-wave and --allow-other-study go with --update")
    path = rerender_deck(args.study, args.wave, reports=args.reports, png=args.png, force=args.force)
    print(f"re-rendered {path}" + (f"; slide images in {path.parent / 'slides'}" if args.png else ""))
    return 0


def _cmd_export_sql(args) -> int:
    from .core.errors import OutputError
    from .waves.sql import export_sql

    if args.output is not None and args.output.exists() and not args.force:
        raise OutputError(f"{args.output} exists; use --force to replace it", file=args.output)
    if args.using == "accounts":  # account classes from respondents' segments (issue 29)
        from .waves.accounts_sql import export_account_sql

        sql = export_account_sql(args.model, dialect=args.dialect, table=args.table, id_column=args.id_column) + ";\n"
    else:
        sql = export_sql(args.model, dialect=args.dialect, using=args.using, table=args.table,
                         id_column=args.id_column) + ";\n"
    if args.output is None:
        sys.stdout.write(sql)
    else:
        _make_parent(args.output)
        atomic_write_text(args.output, sql, what="the output file")
        print(f"wrote the {args.using} scorer of {args.model} as {args.dialect} SQL to {args.output}", file=sys.stderr)
    return 0


def _cmd_demo(args) -> int:
    from .demo import generate_demo

    folder = args.folder
    if args.if_missing and (folder / "study.yaml").exists() and (folder / "waves").exists():
        print(f"demo study already in {folder} (use `workbench demo --force` to regenerate)")
        return 0
    summary = generate_demo(
        folder, seed=args.seed, n_customers=args.customers, n_respondents=args.respondents, force=args.force
    )
    print(summary)
    return 0


COMMANDS = {"validate": _cmd_validate, "run": _cmd_run, "classify": _cmd_classify, "deck": _cmd_deck, "demo": _cmd_demo,
            "export-sql": _cmd_export_sql}


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    _setup_logging(args.quiet, args.debug, args.verbose)
    from .core.workers import bounded_workers

    try:
        with bounded_workers():  # issue 14: parallel workers end with this process
            return COMMANDS[args.command](args)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        if args.debug:
            raise
        print("error: ran out of memory; an input is larger than this machine can hold (see 'Limits and safety' "
              "in the README)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        if args.debug:
            raise
        if is_machine_fault(exc):  # read-only, full, not a folder, name too long: the machine, not a bug
            print(f"error: {file_error(exc)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in the workbench, not in your data; rerun with --debug for the "
            "traceback and report it.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
