"""The review pages' login: a pasted token is traded for a server-side session.

The cookie holds only a random session id; its digest is stored in web_sessions with the
token it was opened with, which api/auth.py checks on every request. The login and
logout forms are accepted from this site's own pages only, and failed logins are written
to the audit log, which is also where they are counted to slow down guessing.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.auth import digest
from pipeline.store import models as m

SESSION_LIFETIME = timedelta(hours=12)
#: at most this many failed logins per client address within the window
FAILURES, WINDOW = 5, timedelta(minutes=5)


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
    """403 unless the form was posted from this site: the Origin header, or the Referer's
    origin where a browser sends no Origin, must be this app's own. SameSite=Strict keeps
    the cookie off other sites' requests; this also stops them logging a browser in or out."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is None and (referer := request.headers.get("referer")):
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin != own:
        raise HTTPException(403, f"forms are accepted from {own} only, not from {origin}")


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def retry_after(session: Session, client: str, now: datetime) -> int | None:
    """Seconds until `client` may try again after too many failed logins, else None."""
    recent = session.scalars(
        select(m.AuditEntry.at)
        .where(
            m.AuditEntry.action == "login_failed",
            m.AuditEntry.actor == client,
            m.AuditEntry.at > now - WINDOW,
        )
        .order_by(m.AuditEntry.at.desc())
        .limit(FAILURES)
    ).all()
    if len(recent) < FAILURES:
        return None
    return max(1, math.ceil((recent[-1] + WINDOW - now).total_seconds()))


def record_failure(session: Session, client: str, now: datetime) -> None:
    """Audited without the token tried: a mistyped token is most of a real one."""
    session.add(
        m.AuditEntry(at=now, actor=client, action="login_failed", detail={"client": client})
    )
