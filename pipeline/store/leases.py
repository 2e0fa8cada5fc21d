"""Leases on branch-dates: one run at a time works on a branch's date.

Two runs of one date would each plan every unit still to do (pipeline/batch/writer.py) and
do it twice. So a run takes a branch-date's lease (the `run_leases` row) before it plans
that day's units, renews it from a heartbeat thread while it works, and releases it once
the day is judged. A lease whose heartbeat is older than STALE, or whose holder is a dead
process of this host, was left by a killed run: the next run takes it over.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from pipeline.processes import HOST, gone
from pipeline.store import models as m
from pipeline.store.db import Database, reconnecting

log = logging.getLogger(__name__)

STALE = timedelta(minutes=2)
BEAT_S = 20.0  # several heartbeats fit in STALE: one late beat loses nothing


def _now(s: Session) -> datetime:
    """The database's clock on PostgreSQL, so runs on machines whose clocks differ agree on
    what is stale; SQLite's runs share one machine and its clock."""
    if s.get_bind().dialect.name == "postgresql":
        return s.scalar(select(func.now()))
    return datetime.now(UTC)


def _stale(lease: m.RunLease, now: datetime) -> bool:
    host, pid, _ = lease.holder.rsplit(":", 2)
    return now - lease.heartbeat_at > STALE or gone(host, int(pid))


class Leases:
    """This run's leases: each taken in a transaction of its own, all renewed by one
    heartbeat thread while the run works, and whatever is still held released at the end
    (use as a context manager)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.holder = f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"
        self.held: set[tuple[str, date]] = set()
        #: leases another run took over from this one (it stopped beating for STALE)
        self.lost: set[tuple[str, date]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._beating, name="lease heartbeat", daemon=True)

    def __enter__(self) -> Leases:
        self._beat.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._beat.join()
        for branch, on in list(self.held):
            self.release(branch, on)

    def take(self, branch: str, on: date) -> m.RunLease | None:
        """None when this run holds the branch-date's lease now; else the lease another
        live run holds."""
        while True:  # until one run or the other holds it
            try:
                with self.db.session() as s:
                    now = _now(s)
                    lease = s.get(m.RunLease, (branch, on))
                    if lease is None:
                        s.add(
                            m.RunLease(
                                branch_id=branch, date=on, holder=self.holder, acquired_at=now,
                                heartbeat_at=now,
                            )
                        )  # fmt: skip
                        s.flush()
                    elif lease.holder != self.holder and not _stale(lease, now):
                        return lease
                    elif not self._take_over(s, lease, now):
                        continue  # its holder beat meanwhile: look again
            except IntegrityError:  # another run inserted it first: look again
                continue
            with self._lock:
                self.held.add((branch, on))
            return None

    def _take_over(self, s: Session, lease: m.RunLease, now: datetime) -> bool:
        """A killed run's lease becomes this run's, unless it changed since it was read."""
        swapped = s.execute(
            update(m.RunLease)
            .where(
                m.RunLease.branch_id == lease.branch_id,
                m.RunLease.date == lease.date,
                m.RunLease.holder == lease.holder,
                m.RunLease.heartbeat_at == lease.heartbeat_at,
            )
            .values(holder=self.holder, acquired_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        if swapped.rowcount == 1 and lease.holder != self.holder:
            log.warning("took %s %s over from %s (stopped)", lease.branch_id, lease.date,
                        lease.holder)  # fmt: skip
        return swapped.rowcount == 1

    @reconnecting
    def release(self, branch: str, on: date) -> None:
        with self._lock:
            self.held.discard((branch, on))
        with self.db.session() as s:
            s.execute(
                delete(m.RunLease).where(
                    m.RunLease.branch_id == branch,
                    m.RunLease.date == on,
                    m.RunLease.holder == self.holder,
                )
            )

    def _beating(self) -> None:
        while not self._stop.wait(BEAT_S):
            try:
                self.renew()
            except SQLAlchemyError as exc:  # a database away for a moment: beat again later
                log.warning("lease heartbeat failed: %s", exc)

    def renew(self) -> None:
        """Renew every lease held; one another run took over is lost to this run."""
        with self._lock:
            held = set(self.held)
        if not held:
            return
        with self.db.session() as s:
            now = _now(s)
            s.execute(
                update(m.RunLease)
                .where(m.RunLease.holder == self.holder)
                .values(heartbeat_at=now)
                .execution_options(synchronize_session=False)
            )
            still = {
                (branch, on)
                for branch, on in s.execute(
                    select(m.RunLease.branch_id, m.RunLease.date).where(
                        m.RunLease.holder == self.holder
                    )
                )
            }
        with self._lock:
            lost = (held - still) & self.held  # not released meanwhile
            self.lost |= lost
            self.held -= lost
        for branch, on in sorted(lost):
            log.error("lease of %s %s lost: another run took it over", branch, on)
