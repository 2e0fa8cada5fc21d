"""Evidence files named by their content: writing the same evidence twice yields one file.

A file is written under a temporary name first, `.tmp-<host>-<pid>-<random><suffix>`, so
that a run killed mid-write leaves no half file under a final name, and the next run can
tell whose leftover it is (`sweep`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.processes import HOST, gone

TEMP = ".tmp-"
#: a temp file no writer touched for this long is a leftover, whoever wrote it
LEFT_OVER_S = 3600.0


#: what a write into a file of the store fails with when the store takes no more files
#: (the footage read meanwhile fails otherwise, and is the finding's own concern)
FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


class EvidenceStoreError(Exception):
    """The evidence root takes no more files (a full disk, a quota, read-only, not
    writable): every later write there fails too, so whoever writes stops and says so."""

    def __init__(self, root: Path, exc: OSError) -> None:
        super().__init__(f"evidence root {root} cannot store files: {exc.strerror or exc}")


@contextmanager
def temp_file(root: Path, suffix: str) -> Iterator[Path]:
    """An empty file in `root` itself, so that `store` renames it atomically (same file
    system); removed on the way out unless stored. The store's one write boundary: a
    store that takes no more files raises EvidenceStoreError, here or from the body."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=root, prefix=f"{TEMP}{HOST}-{os.getpid()}-", suffix=suffix)
        os.close(fd)
    except OSError as exc:
        raise EvidenceStoreError(root, exc) from exc
    path = Path(name)
    try:
        yield path
    except OSError as exc:
        if exc.errno in FULL:
            raise EvidenceStoreError(root, exc) from exc
        raise
    finally:
        path.unlink(missing_ok=True)


def store(tmp: Path, root: Path) -> str:
    """Move a finished temp file to `<sha256[:2]>/<sha256[:16]><suffix>` under `root`;
    returns that path relative to `root`, POSIX separators. An existing file of that name
    has the same bytes, so replacing it changes nothing a reader could see."""
    with tmp.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    rel = f"{digest[:2]}/{digest[:16]}{tmp.suffix}"
    try:
        (root / digest[:2]).mkdir(exist_ok=True)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the review server must read it
        os.replace(tmp, root / rel)
    except OSError as exc:
        raise EvidenceStoreError(root, exc) from exc
    return rel


def sweep(root: Path) -> list[Path]:
    """Remove the temp files killed writers left in `root`: a dead process's of this host
    at once, any other (another host's, or unnamed ones of older versions) once untouched
    for LEFT_OVER_S. Returns what it removed."""
    removed = []
    for path in root.glob(f"{TEMP}*"):
        writer = path.stem[len(TEMP) :].rsplit("-", 2)  # mkstemp's random part has no "-"
        try:
            dead = len(writer) == 3 and writer[1].isdigit() and gone(writer[0], int(writer[1]))
            if dead or time.time() - path.stat().st_mtime > LEFT_OVER_S:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # its writer stored or removed it meanwhile
            continue
    return removed
