"""Shared helpers of the hostile-input suite (issue 14)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workbench.cli import main

ROOT = Path(__file__).resolve().parents[2]


def snapshot(folder: Path, *, skip: Path | None = None) -> dict:
    """Every file and folder below ``folder`` (but not below ``skip``) with size and mtime."""
    out = {}
    skip_r = skip.resolve() if skip is not None else None
    for dirpath, dirnames, filenames in os.walk(folder):
        d = Path(dirpath)
        if skip_r is not None and (d.resolve() == skip_r or skip_r in d.resolve().parents):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            p = d / name
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue
            out[str(p.relative_to(folder))] = (st.st_size, st.st_mtime_ns) if not p.is_dir() else "dir"
    return out


def cli(capsys, args) -> tuple[int, str]:
    """Run the CLI in this process: (exit code, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    return code, err


def assert_named_error(code: int, err: str, *needles: str) -> str:
    """Exit 2, an 'error:' line, no traceback, every needle in the message; the message."""
    assert code == 2, f"exit {code}: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    msg = err[err.index("error:"):]
    for n in needles:
        assert n.lower() in msg.lower(), f"{n!r} not in {msg!r}"
    return msg


def run_subprocess(args, *, cwd, timeout=60, memory_mb: int | None = None, env=None):
    """The CLI as a child process, optionally under an address-space cap (RLIMIT_AS)."""
    preexec = None
    if memory_mb is not None:
        def preexec():
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    e = dict(os.environ, **(env or {}))
    e.setdefault("PYTHONPATH", str(ROOT))
    return subprocess.run([sys.executable, "-m", "workbench.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec, env=e)
