"""Who is calling, what their role lets them do, and which branches they may see.

Tokens and browser sessions are stored only as sha256 digests, so a leaked database does
not leak access. A caller is a live token: sent as a bearer token, or behind the session
id of the login cookie; its row is read on every request, so a revoked or expired token
stops working at once, in every open session too. Every query over branch data goes
through `scoped`, the one place that knows which branches a role sees; a branch outside
that scope is reported like one that does not exist.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.attempts import Kind, audit_failure, client_of, count_try, next_try
from api.deps import AppState
from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.people import person

COOKIE = "ba_session"  # the session id (api/login.py), never the token
#: last use is written at most this often per token and session, not on every request
TOUCH_EVERY = timedelta(minutes=1)


class Role(StrEnum):
    ADMIN = "admin"
    PROVINCE = "province"  # the province's inspectors: the level above, decides appeals
    SUPERVISOR = "supervisor"  # inspector of one region
    BRANCH = "branch"  # a branch manager
    ASSESSMENT = "assessment"  # the performance-assessment system


class Can(StrEnum):
    READ_SCORES = "read scores"
    READ_FINDINGS = "read findings"
    REVIEW = "review findings"
    APPEAL = "appeal findings"
    DECIDE_APPEALS = "decide appeals"
    REOPEN_APPEALS = "reopen decided appeals"


#: what each permission is called in Chinese, for refusals (`refusal`)
CAN_ZH: dict[Can, str] = {
    Can.READ_SCORES: "查看得分",
    Can.READ_FINDINGS: "查看发现",
    Can.REVIEW: "复核发现",
    Can.APPEAL: "申诉",
    Can.DECIDE_APPEALS: "裁决申诉",
    Can.REOPEN_APPEALS: "重开已裁决的申诉",
}


def refusal(role: str, what: Can) -> str:
    """A 403's reason, Chinese first with English beside."""
    return f"角色 {role} 不能{CAN_ZH[what]} · role {role} may not {what}"


# Appeals go to the level above the first instance: supervisors review, the province
# decides; an admin may do both, but never both on one finding (api/routes/appeals.py).
GRANTS: dict[Role, frozenset[Can]] = {
    Role.ADMIN: frozenset(
        {Can.READ_SCORES, Can.READ_FINDINGS, Can.REVIEW, Can.DECIDE_APPEALS, Can.REOPEN_APPEALS}
    ),
    Role.PROVINCE: frozenset({Can.READ_SCORES, Can.READ_FINDINGS, Can.DECIDE_APPEALS}),
    Role.SUPERVISOR: frozenset({Can.READ_SCORES, Can.READ_FINDINGS, Can.REVIEW}),
    Role.BRANCH: frozenset({Can.READ_SCORES, Can.READ_FINDINGS, Can.APPEAL}),
    Role.ASSESSMENT: frozenset({Can.READ_SCORES}),
}


@dataclass(frozen=True)
class Principal:
    name: str  # the token's name, as reviews and the audit log record it
    role: Role
    region: str | None = None
    branch: str | None = None
    #: the person (pipeline/store/people.py): what separation of duties and per-person limits compare
    holder: str = ""

    def __post_init__(self) -> None:
        if not self.holder:
            object.__setattr__(self, "holder", person(self.name))

    def can(self, what: Can) -> bool:
        return what in GRANTS[self.role]

    @property
    def label(self) -> str:
        where = self.region or self.branch
        return f"{self.name} ({self.role}{', ' + where if where else ''})"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _live(now: datetime):
    return m.ApiToken.revoked_at.is_(None), or_(
        m.ApiToken.expires_at.is_(None), m.ApiToken.expires_at > now
    )


def live_token(session: Session, token: str, now: datetime) -> m.ApiToken | None:
    """The token's row if it is neither revoked nor expired."""
    return session.scalars(
        select(m.ApiToken).where(m.ApiToken.token_hash == digest(token), *_live(now))
    ).one_or_none()


def live_session(
    session: Session, session_id: str, now: datetime
) -> tuple[m.ApiToken, m.WebSession] | None:
    """The session's token and row if neither has expired and the token is not revoked."""
    row = session.execute(
        select(m.ApiToken, m.WebSession)
        .join(m.WebSession, m.WebSession.token_id == m.ApiToken.id)
        .where(
            m.WebSession.session_hash == digest(session_id),
            m.WebSession.expires_at > now,
            *_live(now),
        )
    ).one_or_none()
    return tuple(row) if row else None


def principal_of(row: m.ApiToken) -> Principal:
    return Principal(row.name, Role(row.role), row.region, row.branch_id, row.holder or "")


def _touch(db: Database, token: m.ApiToken, web: m.WebSession | None, now: datetime) -> None:
    """Record the use, at most once a minute each. In a transaction of its own, committed
    at once: a read must not hold SQLite's one write lock for as long as it runs."""
    due = now - TOUCH_EVERY
    stale_token = token.last_used_at is None or token.last_used_at <= due
    stale_web = web is not None and web.last_seen_at <= due
    if not (stale_token or stale_web):
        return
    with db.session() as s:
        if stale_token:
            s.execute(
                update(m.ApiToken)
                .where(
                    m.ApiToken.id == token.id,
                    or_(m.ApiToken.last_used_at.is_(None), m.ApiToken.last_used_at <= due),
                )
                .values(last_used_at=now)
            )
        if stale_web:
            s.execute(
                update(m.WebSession)
                .where(m.WebSession.id == web.id, m.WebSession.last_seen_at <= due)
                .values(last_seen_at=now)
            )


#: the OpenAPI security scheme the routes declare; `caller` reads the header itself
bearer_scheme = HTTPBearer(auto_error=False, description="a token from `branch-audit token create`")
_UNSEEN = object()


def caller(request: Request) -> Principal | None:
    """Who is calling: the bearer token, else the token of the login cookie's session; None
    for nobody. The one lookup of the caller, made once per request and kept on
    `request.state`, where the body check (api/bodies.py), the routes' dependencies and
    the error pages (api/errors.py) all find it: a POST is authenticated, and a refused
    token counted, once. Looked up in short transactions of their own, before the
    request's takes a connection: no request holds one connection of the pool while it
    waits for another. A refusal (429) leaves the request with no caller."""
    known = getattr(request.state, "caller", _UNSEEN)
    if known is not _UNSEEN:
        return known
    request.state.caller = None
    request.state.caller = _look_up(request, request.app.state.settings)
    return request.state.caller


def _look_up(request: Request, settings: AppState) -> Principal | None:
    now = datetime.now(UTC)
    scheme, secret = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() == "bearer" and secret:
        token = _bearer_token(settings, client_of(request), secret, now)
        web = None
    elif session_id := request.cookies.get(COOKIE):
        with settings.db.session() as s:
            token, web = live_session(s, session_id, now) or (None, None)
    else:
        return None
    if token is None:
        return None
    _touch(settings.db, token, web, now)
    return principal_of(token)


def optional_principal(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal | None:
    """The caller (`caller`), as the routes' dependency; the bearer scheme is declared
    here for the API's document."""
    return caller(request)


def _too_many(wait: int) -> HTTPException:
    return HTTPException(
        429, f"too many invalid tokens from this address: try again in {wait} s",
        headers={"Retry-After": str(wait)},
    )  # fmt: skip


def _bearer_token(settings: AppState, client: str, secret: str, now: datetime) -> m.ApiToken | None:
    """The bearer token's row, or None (401). Refused tokens are counted, limited and
    audited like failed logins (api/attempts.py); an address over the limit gets 429 for
    every token until its window ends, its tries counted and the token not checked.
    Each step in a short transaction of its own, one connection at a time: a 401 rolls
    the request's back, and must not hold one connection while waiting for another."""
    db, limit = settings.db, settings.failures
    with db.session() as s:
        if next_try(s, Kind.TOKEN, client, now).retry_after(now, limit) is None:
            token = live_token(s, secret, now)
            if token is not None:
                return token
    count = count_try(db, Kind.TOKEN, client, now)
    with db.session() as s:
        audit_failure(s, Kind.TOKEN, client, count, now, limit)
    if (wait := count.retry_after(now, limit)) is not None:
        raise _too_many(wait)
    return None


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise HTTPException(401, "missing or invalid token", headers={"WWW-Authenticate": "Bearer"})
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(what: Can):
    """A dependency giving the caller if their role may do `what`, else 403."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(what):
            raise HTTPException(403, refusal(principal.role, what))
        return principal

    return Depends(check)


def scoped(stmt: Select, principal: Principal, branch_column: InstrumentedAttribute) -> Select:
    """`stmt` restricted to the branches `principal` may see (the only such rule)."""
    if principal.role is Role.SUPERVISOR:
        region = select(m.Branch.id).where(m.Branch.region == principal.region)
        return stmt.where(branch_column.in_(region))
    if principal.role is Role.BRANCH:
        return stmt.where(branch_column == principal.branch)
    return stmt


def visible_branches(session: Session, principal: Principal) -> list[m.Branch]:
    return list(
        session.scalars(scoped(select(m.Branch), principal, m.Branch.id).order_by(m.Branch.id))
    )
