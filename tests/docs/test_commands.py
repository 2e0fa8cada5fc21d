"""What README.md and docs/*.md tell a reader to run exists: every `branch-audit` command in
their code blocks names a command and options the parser has, and every file of the
repository they name (`rules/scoring.py`, `benchmarks/nightly.py`) is there."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from cli.main import build_parser
from tests.conftest import REPO
from tests.docs.test_links import PAGES

FENCE = re.compile(r"^```(\w*)\s*$")
#: a path under one of the repository's own folders, with a file suffix
REPO_PATH = re.compile(
    r"`((?:pipeline|rules|api|detectors|cli|tests|benchmarks|tools|sample_videos)/[\w./-]*"
    r"\.(?:py|yaml|md|json|onnx|tflite|js|css|html|toml|avi|mp4))\b"
)
#: files a measurement of docs/benchmarks.md ran on, named as history ("removed with …")
REMOVED = {"benchmarks/pose_input.py", "detectors/pose.py"}


def _ids(pages):
    return [p.relative_to(REPO).as_posix() for p in pages]


def commands(page) -> list[str]:
    """`branch-audit …` lines of the page's shell blocks, continuations joined."""
    out, block, lines = [], None, page.read_text(encoding="utf-8").splitlines()
    pending = ""
    for line in lines:
        m = FENCE.match(line.strip())
        if m:
            block = None if block is not None else m.group(1)
            continue
        if block not in ("sh", "bash"):
            continue
        text = pending + line.split(" #", 1)[0].strip()
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = ""
        if re.match(r"^(\.venv/bin/)?branch-audit\b", text):
            out.append(text)
    return out


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def check(command: str) -> list[str]:
    """What of `command` the parser does not know."""
    words = shlex.split(command.replace("[", " ").replace("]", " "))[1:]
    parser, path = build_parser(), ["branch-audit"]
    while words and (subs := _subparsers(parser)) and not words[0].startswith("-"):
        if words[0] not in subs:
            return [f"{' '.join(path)}: no command {words[0]!r}"]
        path.append(words[0])
        parser = subs[words.pop(0)]
    known = {o for a in parser._actions for o in a.option_strings}
    return [
        f"{' '.join(path)}: no option {w}" for w in words if w.startswith("--") and w not in known
    ]


def test_commands_are_found():
    found = [c for page in PAGES for c in commands(page)]
    assert len(found) >= 15
    assert {c.split()[1] for c in found} >= {"run", "serve", "token", "site", "score", "train"}
    assert check("branch-audit run --no-such-option") == [
        "branch-audit run: no option --no-such-option"
    ]
    assert check("branch-audit token mint") == ["branch-audit token: no command 'mint'"]


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_commands_exist(page):
    wrong = [f"{c}\n    {e}" for c in commands(page) for e in check(c)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_named_files_exist(page):
    named = set(REPO_PATH.findall(page.read_text(encoding="utf-8")))
    missing = sorted(p for p in named - REMOVED if not (REPO / p).exists())
    assert not missing, f"{page.name} names files that are not there: {missing}"
