"""The CJK web font the pages and the self-contained documents carry.

A reader's machine may have no Chinese font (boxes instead of text): the pages load this
subset of Noto Sans SC (SIL OFL 1.1, `font/OFL.txt`) from /static/fonts, and the report
and the notice, which are mailed as single files, inline it, cut down to the characters
each document shows (`with_inline_font`). `tools/subset_cjk_font.py` makes it: every
character of GB 2312 level 1 (the 3,755 common hanzi a bank's names and notes are typed
in) and every character of the texts in the repository; anything else (a rare character
in a site file) falls back to the fonts after it in FONT_STACK.
"""

from __future__ import annotations

import base64
import io
from functools import cache

from pipeline.fonts import FONT_FILES, unpacked

FAMILY = "Noto Sans SC Subset"
FONT_STACK = (
    f'"{FAMILY}", "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", '
    '"WenQuanYi Micro Hei", system-ui, sans-serif'
)
#: where a document's template puts its @font-face rules, filled once the text is known
FONT_FACE_MARK = "/*@font-face*/"


def gb2312_level_1() -> set[str]:
    """The 3,755 hanzi of GB 2312 level 1 (rows 16 to 55, 0xB0A1 to 0xD7F9)."""
    out = set()
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                out.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:  # row 55 ends at 0xD7F9
                continue
    return out


@cache
def _subset(weight: int, characters: frozenset[str]) -> bytes:
    """The shipped font of `weight` cut down to `characters` (those it has), as WOFF2."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(unpacked(weight)))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # the copyright and licence records the OFL asks for
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    have = font.getBestCmap()
    subsetter.populate(unicodes=sorted(ord(c) for c in characters if ord(c) in have))
    subsetter.subset(font)
    font.flavor = "woff2"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def inline_font_face(text: str) -> str:
    """@font-face rules with the fonts as data URIs holding the glyphs of `text`, for a
    document that must stand alone and stay small."""
    characters = frozenset(ch for ch in text if ord(ch) >= 0x20) | frozenset("0123456789")
    return "".join(
        f'@font-face{{font-family:"{FAMILY}";font-style:normal;font-weight:{weight};'
        f"font-display:swap;src:url(data:font/woff2;base64,"
        f'{base64.b64encode(_subset(weight, characters)).decode()}) format("woff2")}}'
        for weight in FONT_FILES
    )


def with_inline_font(document: str) -> str:
    """The document with FONT_FACE_MARK replaced by the faces of its own characters."""
    return document.replace(FONT_FACE_MARK, inline_font_face(document), 1)
