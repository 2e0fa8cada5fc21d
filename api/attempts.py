"""Failed logins and bearer tokens, counted per client address, to slow down guessing.

Each kind of try from each address has one row in auth_failures, changed by one atomic
statement (an upsert that returns the count it left), so concurrent tries cannot each
read the count before the others have added to it. A login reserves its try before the
token is checked and gives it back when the token was good: of 30 wrong logins sent at
once, exactly FAILURES are checked. A bearer token is counted when it is refused, and
once an address is over the limit even a good token from it waits (api/auth.py).

The address is the connection's, or a configured proxy's X-Forwarded-For
(`serve --forwarded-allow-ips`, api/app.py); nothing else a client sends is trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fastapi import Request
from sqlalchemy import case, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pipeline.store import models as m
from pipeline.store.db import Database

#: at most this many failed tries of a kind per client address within the window
FAILURES, WINDOW = 5, timedelta(minutes=5)


class Kind(StrEnum):
    LOGIN = "login"  # the login form's pasted token (api/routes/pages/login.py)
    TOKEN = "token"  # a bearer token sent to the API (api/auth.py)


class TooManyTries(Exception):
    """The client is over the limit: it may try again in `wait` seconds."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"too many failed tries: wait {wait} s")
        self.wait = wait


@dataclass(frozen=True)
class Count:
    tries: int  # in the current window, this one included
    window_start: datetime

    def retry_after(self, now: datetime, limit: int = FAILURES) -> int | None:
        """Seconds until the window ends if this try is over `limit`, else None."""
        if self.tries <= limit:
            return None
        return max(1, math.ceil((self.window_start + WINDOW - now).total_seconds()))


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _key(kind: Kind, client: str) -> str:
    return f"{kind} {client}"[:200]


def count_try(db: Database, kind: Kind, client: str, now: datetime) -> Count:
    """Add one try for `client` and return the count it makes, in one statement committed
    at once: a window over WINDOW old starts again at this try. Call it holding no other
    connection of the pool (a request that waits for a second one while holding its
    first can starve the pool)."""
    table = m.AuthFailure.__table__
    insert = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert
    stale = table.c.window_start <= now - WINDOW
    stmt = insert(table).values(key=_key(kind, client), window_start=now, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "count": case((stale, 1), else_=table.c.count + 1),
            "window_start": case(
                (stale, literal(now, m.UtcDateTime())), else_=table.c.window_start
            ),
        },
    ).returning(table.c.count, table.c.window_start)
    with db.session() as s:
        tries, start = s.execute(stmt).one()
    return Count(tries, start)


def give_back(session: Session, kind: Kind, client: str) -> None:
    """Take back a try reserved by `count_try` that turned out good."""
    session.execute(
        update(m.AuthFailure)
        .where(m.AuthFailure.key == _key(kind, client), m.AuthFailure.count > 0)
        .values(count=m.AuthFailure.count - 1)
    )


def next_try(session: Session, kind: Kind, client: str, now: datetime) -> Count:
    """The count a try of `client` now would make, without adding it: one read, in the
    request's own transaction."""
    row = session.get(m.AuthFailure, _key(kind, client), populate_existing=True)
    if row is None or row.window_start <= now - WINDOW:
        return Count(1, now)
    return Count(row.count + 1, row.window_start)


def audit_failure(
    session: Session, kind: Kind, client: str, count: Count, now: datetime, limit: int = FAILURES
) -> None:
    """Audited without the token tried (a mistyped token is most of a real one): each
    failure up to the limit (`login_failed`, `token_failed`), then the first try over it
    (`login_limited`, `token_limited`) and no more, so a flood cannot fill the log."""
    if count.tries > limit + 1:
        return
    action = f"{kind}_failed" if count.tries <= limit else f"{kind}_limited"
    session.add(
        m.AuditEntry(
            at=now, actor=client, action=action, detail={"client": client, "tries": count.tries}
        )
    )
