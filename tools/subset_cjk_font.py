"""Subset Noto Sans SC to the characters the pages, the report and the checklist use.

The pages and the self-contained report must show Chinese on a machine without a CJK
font, and a whole Noto Sans SC (several MB) is too much to ship or to inline in a mailed
report. This collects every character of the texts that reach a reader (templates,
scripts, the API's and the report's strings, the checklist and policies, the demo site),
adds CJK punctuation, full-width forms and ASCII, and keeps only those glyphs.

Run it again when texts change (install-time registry access only; the venv stays
untouched because fontTools comes with matplotlib, and brotli is fetched beside it):

    npm pack @fontsource/noto-sans-sc@5.3.0 && tar xzf fontsource-noto-sans-sc-5.3.0.tgz
    pip download --no-deps -d /tmp/wheels brotli && unzip -d /tmp/brotli /tmp/wheels/brotli-*.whl
    PYTHONPATH=.:/tmp/brotli .venv/bin/python tools/subset_cjk_font.py \
        --regular package/files/noto-sans-sc-chinese-simplified-400-normal.woff \
        --bold package/files/noto-sans-sc-chinese-simplified-700-normal.woff \
        --licence package/LICENSE [--also /srv/sites]

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

from pipeline.report.webfont import FONT_FILES, LICENCE_FILE

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
    """Every non-control character of the texts (and of the folders `also`), and EXTRA."""
    found = set(EXTRA)
    for path in text_files([*(REPO / s for s in SOURCES), *also]):
        found.update(ch for ch in path.read_text(encoding="utf-8") if ord(ch) >= 0x20)
    return found


def subset_font(source: Path, out: Path, wanted: set[str]) -> list[str]:
    """Write the glyphs of `wanted` in `source` to `out` (WOFF2); the CJK ones it lacks."""
    font = TTFont(source)
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
        "--also", type=Path, action="append", default=[], help="a folder of site files to cover"
    )
    args = parser.parse_args(argv)
    wanted = characters(args.also)
    for weight, source in ((400, args.regular), (700, args.bold)):
        missing = subset_font(source, FONT_FILES[weight], wanted)
    shutil.copyfile(args.licence, LICENCE_FILE)
    if missing:
        print("not in the source font:", "".join(missing))


if __name__ == "__main__":
    main()
