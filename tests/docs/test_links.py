"""Every relative link of README.md and docs/*.md reaches a file of the repository, and its
#anchor a heading of that file, as GitHub renders them (a heading's anchor: lower case,
punctuation dropped, spaces as hyphens; CJK kept)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

#: pages written on another branch, linked before they arrive; checked once present

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: markup and punctuation dropped, letters, marks,
    digits, `_`, `-` and spaces kept, lower case, spaces as hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    kept = (
        ch
        for ch in text
        if ch in " -_" or unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc"
    )
    return "".join(kept).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in _prose(page.read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(page: Path) -> list[str]:
    """Link targets, a link's text may run over lines."""
    prose = "\n".join(_prose(page.read_text(encoding="utf-8")))
    return [m.group(1) for m in LINK.finditer(prose)]


def test_slugs_are_githubs():
    assert (
        slug("人员、令牌与代理 People, tokens and proxies")
        == "人员令牌与代理-people-tokens-and-proxies"
    )
    assert (
        slug("夜间模型配置 The models of a night (`--config`)")
        == "夜间模型配置-the-models-of-a-night---config"
    )
    assert (
        slug("The weekly loop: fines, rectification orders")
        == "the-weekly-loop-fines-rectification-orders"
    )


def test_the_readme_leads_to_every_page():
    linked = {(REPO / t.partition("#")[0]).resolve() for t in links(REPO / "README.md")}
    assert set(PAGES[1:]) <= linked


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(REPO).as_posix() for p in PAGES])
def test_relative_links_resolve(page):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, mailto: …: not ours to check
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / unquote(path)).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(REPO)}")
        elif anchor and file.suffix == ".md" and unquote(anchor) not in anchors(file):
            broken.append(f"{target}: no heading #{unquote(anchor)} in {file.relative_to(REPO)}")
    assert not broken, "\n".join(broken)
