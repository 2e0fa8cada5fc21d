"""Which process made something (a run's lease, a half-written evidence file), and whether
it still runs: a process is named by its host and pid, and only its own host can tell
that it is gone (elsewhere a pid says nothing)."""

from __future__ import annotations

import os
import socket

HOST = socket.gethostname()


def gone(host: str, pid: int) -> bool:
    """True when process `pid` of `host` is known to have ended: on this host, no such
    process. A process of another host is never known gone here."""
    if host != HOST:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether it exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, as another user's
        pass
    return False
