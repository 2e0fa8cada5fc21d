"""Races with real threads: the calls of a test released together."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def all_at_once(calls):
    """Each call in a thread of its own, released together; their results in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))
