"""Slides to PDF and PNG: LibreOffice headless (a private profile per call, so parallel runs
do not collide) and poppler's ``pdftoppm``."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..core.errors import OutputError

__all__ = ["pptx_to_pdf", "render_pngs", "soffice", "pdf_pages"]


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise OutputError("LibreOffice (soffice) is not installed; install it (apt-get install libreoffice-impress) "
                          "to render slides to PDF / PNG")
    return exe


def pptx_to_pdf(pptx, folder, *, timeout: float = 180) -> Path:
    """Convert a deck to PDF with LibreOffice headless (a private profile, so parallel runs do not collide)."""
    pptx, folder = Path(pptx), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="workbench-lo-") as profile:
        cmd = [soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", "pdf",
               "--outdir", str(folder), str(pptx)]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    pdf = folder / (pptx.stem + ".pdf")
    if res.returncode != 0 or not pdf.exists():
        raise OutputError(f"LibreOffice could not convert the deck to PDF (exit {res.returncode}): "
                          f"{(res.stderr or res.stdout).strip()[:300]}", file=pptx)
    return pdf


def render_pngs(pptx, folder, *, pages=None, width: int = 1280) -> list[Path]:
    """Render slides of a deck to PNG files ``slide-01.png``, ... in ``folder`` (LibreOffice + pdftoppm),
    and keep the PDF they were drawn from as ``deck.pdf``.

    Parameters
    ----------
    pptx : path
    folder : path
    pages : sequence of int, optional
        1-based slide numbers; default: every slide.
    width : int, default=1280
        Width of each PNG in pixels.

    Returns
    -------
    list of Path
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if shutil.which("pdftoppm") is None:
        raise OutputError("pdftoppm (poppler-utils) is not installed; install it to render slides to PNG")
    with tempfile.TemporaryDirectory(prefix="workbench-pdf-") as tmp:
        pdf = pptx_to_pdf(pptx, tmp)
        n = pdf_pages(pdf)
        out = []
        for page in pages or range(1, n + 1):
            if not 1 <= page <= n:
                continue
            stem = folder / f"slide-{page:02d}"
            subprocess.run(["pdftoppm", "-png", "-singlefile", "-f", str(page), "-l", str(page), "-scale-to-x",
                            str(width), "-scale-to-y", "-1", str(pdf), str(stem)], check=True, capture_output=True)
            out.append(stem.with_suffix(".png"))
        # the whole deck as LibreOffice drew it, beside the PNGs (to send as PDF, or to read its text)
        shutil.copyfile(pdf, folder / "deck.pdf")
    return out


def pdf_pages(pdf) -> int:
    if shutil.which("pdfinfo"):
        res = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False)
        for line in res.stdout.splitlines():
            if line.startswith("Pages:"):
                return int(line.split()[1])
    return Path(pdf).read_bytes().count(b"/Type /Page\n") or Path(pdf).read_bytes().count(b"/Type/Page")
