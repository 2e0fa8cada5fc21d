"""Subset Noto Sans SC to GB 2312 level 1 and the characters the pages and documents use.

The pages and the self-contained report must show Chinese on a machine without a CJK
font, and a whole Noto Sans SC (several MB a weight) is too much to ship. A bank types its
branch names, people's names and notes in common hanzi, so this keeps every character of
GB 2312 level 1 (3,755, about 540 KB a weight as WOFF2), every character of the texts that
reach a reader (templates, scripts, the API's and the report's strings, the checklist and
policies, the demo site), CJK punctuation, full-width forms and ASCII. The package's
simplified-Chinese file lacks four level-1 characters (锨谰耪毖); they are taken from its
numbered slice files (`--slices`), which together hold the whole font. The documents
inline only their own characters of it (pipeline/report/webfont.py).

Run it again when texts change (install-time registry access only; the venv stays
untouched because fontTools comes with matplotlib, and brotli is fetched beside it):

    npm pack @fontsource/noto-sans-sc@5.3.0 && tar xzf fontsource-noto-sans-sc-5.3.0.tgz
    pip download --no-deps -d /tmp/wheels brotli && unzip -d /tmp/brotli /tmp/wheels/brotli-*.whl
    PYTHONPATH=.:/tmp/brotli .venv/bin/python tools/subset_cjk_font.py \
        --regular package/files/noto-sans-sc-chinese-simplified-400-normal.woff \
        --bold package/files/noto-sans-sc-chinese-simplified-700-normal.woff \
        --slices package/files --licence package/LICENSE [--also /srv/sites]

`--also` adds the characters of a folder of site files (the bank's branch names); without
it, characters outside the subset fall back to the reader's fonts. The font-coverage test
(tests/api/test_fonts.py) fails when a text shown in the pages gains a character.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from pipeline.fonts import FONT_FILES, LICENCE_FILE
from pipeline.report.webfont import gb2312_level_1

REPO = Path(__file__).resolve().parents[1]
#: where the texts a reader sees are written, and the branch names of the demo and of the
#: tests' data; a bank adds its own site files with --also, so its branch names show too
SOURCES = ("api", "pipeline/report", "rules", "sample_videos", "tests/support")
SUFFIXES = {".html", ".js", ".css", ".py", ".yaml", ".yml"}
#: always kept: ASCII, CJK symbols and punctuation, full-width forms, and the few
#: typographic marks the pages use between Chinese and English
EXTRA = (
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0x3000, 0x3040)]
    + [chr(c) for c in range(0xFF01, 0xFF5F)]
    + list("·–—…×÷±−≤≥→←↑↓¥℃‰％")
)


def text_files(folders: Iterable[Path]) -> Iterable[Path]:
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in SUFFIXES and path.is_file():
                yield path


def characters(also: Iterable[Path] = ()) -> set[str]:
    """Every non-control character of the texts (and of the folders `also`), GB 2312
    level 1 and EXTRA."""
    found = set(EXTRA) | gb2312_level_1()
    for path in text_files([*(REPO / s for s in SOURCES), *also]):
        found.update(ch for ch in path.read_text(encoding="utf-8") if ord(ch) >= 0x20)
    return found


def graft(font: TTFont, donors: Iterable[Path], wanted: set[str]) -> None:
    """Copy into `font` the glyphs of `wanted` it lacks from `donors`: slices of the same
    font (same units per em, TrueType outlines), each glyph a simple one."""
    need = {ord(c) for c in wanted} - set(font.getBestCmap())
    order = font.getGlyphOrder()
    for path in donors:
        if not need:
            break
        donor = TTFont(path)
        cmap = donor.getBestCmap()
        for code in sorted(need & set(cmap)):
            glyph, name = donor["glyf"][cmap[code]], f"uni{code:04X}"
            if glyph.isComposite():
                continue
            order.append(name)
            font["glyf"].glyphs[name] = glyph
            font["hmtx"].metrics[name] = donor["hmtx"].metrics[cmap[code]]
            if "vmtx" in font and "vmtx" in donor:
                font["vmtx"].metrics[name] = donor["vmtx"].metrics[cmap[code]]
            for table in font["cmap"].tables:
                if table.isUnicode():
                    table.cmap[code] = name
            need.discard(code)
    font.setGlyphOrder(order)
    font["glyf"].glyphOrder = order
    font["maxp"].numGlyphs = len(order)


def subset_font(source: Path, out: Path, wanted: set[str], donors: list[Path]) -> list[str]:
    """Write the glyphs of `wanted` in `source` (and `donors`) to `out` (WOFF2); the CJK
    ones none has."""
    font = TTFont(source)
    graft(font, donors, wanted)
    have = set(font.getBestCmap())
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright and licence records the OFL asks for
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in wanted if ord(c) in have))
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = "woff2"
    font.save(out)
    print(f"{out}: {len(font.getBestCmap())} characters, {out.stat().st_size} bytes")
    return sorted(c for c in wanted if ord(c) not in have and ord(c) > 0x2E7F)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regular", type=Path, required=True, help="Noto Sans SC 400")
    parser.add_argument("--bold", type=Path, required=True, help="Noto Sans SC 700")
    parser.add_argument("--licence", type=Path, required=True, help="the font's OFL text")
    parser.add_argument(
        "--slices", type=Path, help="the package's files/ folder: its numbered slices"
    )
    parser.add_argument(
        "--also", type=Path, action="append", default=[], help="a folder of site files to cover"
    )
    args = parser.parse_args(argv)
    wanted = characters(args.also)
    for weight, source in ((400, args.regular), (700, args.bold)):
        donors = (
            sorted(args.slices.glob(f"noto-sans-sc-[0-9]*-{weight}-normal.woff"))
            if args.slices
            else []
        )
        missing = subset_font(source, FONT_FILES[weight], wanted, donors)
    shutil.copyfile(args.licence, LICENCE_FILE)
    if missing:
        print("not in the source font:", "".join(missing))


if __name__ == "__main__":
    main()
