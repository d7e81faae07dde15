"""Run a study through the CLI as a consultant would: validate, every wave, the deck with PNGs."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

from workbench.files import safeyaml

#: a warning printed with a source path and line ("…/pipeline.py:184: FactorWarning: …")
SOURCE_LINE = re.compile(r"\.py:\d+: \w*Warning")


@dataclasses.dataclass
class Step:
    args: tuple
    rc: int
    out: str
    err: str

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.err or "Traceback (most recent call last)" in self.out


@dataclasses.dataclass
class Flow:
    study: Path
    reports: Path
    validate: Step
    runs: dict          # wave -> Step
    decks: dict         # wave -> Step: `deck --png` of the last wave whose run succeeded

    @property
    def steps(self) -> list[Step]:
        return [self.validate, *self.runs.values(), *self.decks.values()]

    def folder(self, wave: str) -> Path:
        spec = safeyaml.safe_load((self.study / "study.yaml").read_text(encoding="utf-8"))
        sid = (spec.get("study") or {}).get("id") or self.study.name
        return self.reports / sid / wave


def cli(*args, timeout: float = 900) -> Step:
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, encoding="utf-8")
    return Step(args=args, rc=proc.returncode, out=proc.stdout, err=proc.stderr)


def run_flow(study: Path, reports: Path, waves=None) -> Flow:
    """validate, then ``run`` for each wave in order (default: every wave the study declares;
    each writes its personas.pptx), then ``deck --png`` for the last wave that ran (one
    LibreOffice rendering per study)."""
    if waves is None:
        spec = safeyaml.safe_load((Path(study) / "study.yaml").read_text(encoding="utf-8"))
        waves = tuple(str(w["id"]) for w in spec["waves"])
    # the reports root the runs write to: validate's default (./reports of the working directory)
    # may hold another study's model under the same study id (the shapes and the demo are all 'demo')
    v = cli("validate", study, "--reports", reports)
    runs, decks = {}, {}
    for w in waves:
        runs[w] = cli("run", study, "--wave", w, "--reports", reports, "--force")
    ran = [w for w in waves if runs[w].rc == 0]
    if ran:  # the deck is rendered once per study (LibreOffice is slow): the last wave's, with its trends
        decks[ran[-1]] = cli("deck", study, "--wave", ran[-1], "--reports", reports, "--png")
    return Flow(study=study, reports=reports, validate=v, runs=runs, decks=decks)


def first_error(step: Step) -> str:
    for line in (step.err + step.out).splitlines():
        if line.startswith("error:"):
            return line
    return (step.err or step.out).strip().splitlines()[-1] if (step.err or step.out).strip() else ""
