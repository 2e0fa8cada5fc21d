"""The shipped CJK font (a Noto Sans SC subset, pipeline/report/font/FONT.md): where its
files lie, for the documents that inline it (pipeline/report/webfont.py) and the evidence
that burns labels into frames (pipeline/evidence/overlay.py), and its unpacked form kept
on disk.

Undoing WOFF2's transforms takes seconds a weight; the documents' subsetter needs the
unpacked font, so the first report or notice a process rendered waited for it. The
unpacked bytes are kept under the cache folder (`BRANCH_AUDIT_CACHE`, else
`~/.cache/branch-audit`), named by the shipped file's digest, so a new font unpacks once
and a changed one never reads a stale copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "report" / "font"
FONT_FILES = {400: FOLDER / "noto-sans-sc-400.woff2", 700: FOLDER / "noto-sans-sc-700.woff2"}
LICENCE_FILE = FOLDER / "OFL.txt"


def cache_folder() -> Path:
    """Where unpacked fonts are kept between processes."""
    return Path(os.environ.get("BRANCH_AUDIT_CACHE", Path.home() / ".cache" / "branch-audit"))


def unpacked_path(weight: int) -> Path:
    """The cache file of `weight`'s unpacked font, named by the shipped file's digest."""
    digest = hashlib.sha256(FONT_FILES[weight].read_bytes()).hexdigest()[:16]
    return cache_folder() / "fonts" / f"noto-sans-sc-{weight}-{digest}.ttf"


@cache
def unpacked(weight: int) -> bytes:
    """The shipped font of `weight` as a plain TrueType font: read from the cache, else
    unpacked and written there (atomically; a cache folder that cannot be written only
    costs the next process the unpacking again)."""
    path = unpacked_path(weight)
    with contextlib.suppress(OSError):
        return path.read_bytes()
    from fontTools.ttLib import TTFont

    font = TTFont(FONT_FILES[weight])
    font.flavor = None
    out = io.BytesIO()
    font.save(out)
    data = out.getvalue()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".ttf")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return data
