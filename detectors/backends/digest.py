"""A model file's identity: the first 8 hex digits of its sha256, recorded as its version."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


def file_digest(path: str | Path) -> str:
    """Hashed once per process and version of the file (path, size, modification time)."""
    path = Path(path).resolve()
    stat = path.stat()
    return _digest(str(path), stat.st_size, stat.st_mtime_ns)


@functools.cache
def _digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:8]
