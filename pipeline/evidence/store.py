"""Evidence files named by their content: writing the same evidence twice yields one file."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def temp_file(root: Path, suffix: str) -> Iterator[Path]:
    """An empty file in `root` itself, so that `store` renames it atomically (same file
    system); removed on the way out unless stored, so a crash leaves no half file behind
    under a final name."""
    root.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=root, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def store(tmp: Path, root: Path) -> str:
    """Move a finished temp file to `<sha256[:2]>/<sha256[:16]><suffix>` under `root`;
    returns that path relative to `root`, POSIX separators. An existing file of that name
    has the same bytes, so replacing it changes nothing a reader could see."""
    with tmp.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    rel = f"{digest[:2]}/{digest[:16]}{tmp.suffix}"
    (root / digest[:2]).mkdir(exist_ok=True)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the review server must read it
    os.replace(tmp, root / rel)
    return rel
