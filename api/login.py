"""The review pages' login: a pasted token is traded for a server-side session.

The cookie holds only a random session id; its digest is stored in web_sessions with the
token it was opened with, which api/auth.py checks on every request. The login and
logout forms are accepted from this site's own pages only, and failed logins are counted
per client address (api/attempts.py) and written to the audit log.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from sqlalchemy import delete
from sqlalchemy.orm import Session

from api.attempts import Kind, TooManyTries, audit_failure, count_try, give_back
from api.auth import digest, live_token
from pipeline.store import models as m
from pipeline.store.db import Database

SESSION_LIFETIME = timedelta(hours=12)


def open_session(session: Session, token: m.ApiToken, now: datetime) -> str:
    """A new session id for the cookie (only its digest is stored); sessions that have
    expired are swept out on the way."""
    session.execute(delete(m.WebSession).where(m.WebSession.expires_at <= now))
    session_id = secrets.token_urlsafe(32)
    session.add(
        m.WebSession(
            session_hash=digest(session_id), token_id=token.id, created_at=now,
            expires_at=now + SESSION_LIFETIME, last_seen_at=now,
        )
    )  # fmt: skip
    return session_id


def close_session(session: Session, session_id: str) -> None:
    session.execute(delete(m.WebSession).where(m.WebSession.session_hash == digest(session_id)))


def check_origin(request: Request) -> None:
    """403 unless the request was sent from this site: the Origin header, or the Referer's
    origin where a browser sends no Origin, must be this app's own (scheme, host and
    port). SameSite=Strict keeps the cookie off other sites' requests, but a page on
    another port of the same host is the same site; this stops it, and stops other
    sites logging a browser in or out. Called for every state change made with the
    session cookie (api/bodies.py) and by the login and logout forms."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is None and (referer := request.headers.get("referer")):
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin != own:
        raise HTTPException(403, f"forms are accepted from {own} only, not from {origin}")


def check_login(
    db: Database, session: Session, client: str, token: str, now: datetime, limit: int
) -> m.ApiToken | None:
    """The live token pasted, or None; TooManyTries once `client` is over the limit. The
    try is counted before the token is checked (in a transaction of its own, before
    `session` takes a connection) and given back if it was good, so tries sent at once
    are counted as they come (api/attempts.py). The audit and the give-back are in
    `session`, committed with the answer."""
    count = count_try(db, Kind.LOGIN, client, now)
    if (wait := count.retry_after(now, limit)) is not None:
        audit_failure(session, Kind.LOGIN, client, count, now, limit)
        raise TooManyTries(wait)
    row = live_token(session, token, now)
    if row is None:
        audit_failure(session, Kind.LOGIN, client, count, now, limit)
    else:
        give_back(session, Kind.LOGIN, client)
    return row
