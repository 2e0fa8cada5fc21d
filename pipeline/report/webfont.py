"""The CJK web font the pages and the self-contained documents carry.

A reader's machine may have no Chinese font (boxes instead of text): the pages load this
subset of Noto Sans SC (SIL OFL 1.1, `font/OFL.txt`) from /static/fonts, and the report
and the notice, which are mailed as single files, inline it. `tools/subset_cjk_font.py`
makes it from the texts in the repository; characters outside it (a branch name typed
into a site file) fall back to the fonts after it in FONT_STACK.
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "font"
FONT_FILES = {400: FOLDER / "noto-sans-sc-400.woff2", 700: FOLDER / "noto-sans-sc-700.woff2"}
LICENCE_FILE = FOLDER / "OFL.txt"
FAMILY = "Noto Sans SC Subset"
FONT_STACK = (
    f'"{FAMILY}", "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", '
    '"WenQuanYi Micro Hei", system-ui, sans-serif'
)


@cache
def inline_font_face() -> str:
    """@font-face rules with the fonts as data URIs, for a document that must stand alone."""
    return "".join(
        f'@font-face{{font-family:"{FAMILY}";font-style:normal;font-weight:{weight};'
        f"font-display:swap;src:url(data:font/woff2;base64,"
        f'{base64.b64encode(path.read_bytes()).decode()}) format("woff2")}}'
        for weight, path in FONT_FILES.items()
    )
