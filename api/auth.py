"""Who is calling, what their role lets them do, and which branches they may see.

Tokens are stored only as sha256 digests, so a leaked database does not leak access.
Every query over branch data goes through `scoped`, the one place that knows which
branches a role sees; a branch outside that scope is reported like one that does not exist.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.deps import DbSession
from pipeline.store import models as m

COOKIE = "ba_token"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"  # inspector of one region
    BRANCH = "branch"  # a branch manager
    ASSESSMENT = "assessment"  # the performance-assessment system


class Can(StrEnum):
    READ_SCORES = "read scores"
    READ_FINDINGS = "read findings"
    REVIEW = "review findings"
    APPEAL = "appeal findings"
    DECIDE_APPEALS = "decide appeals"


GRANTS: dict[Role, frozenset[Can]] = {
    Role.ADMIN: frozenset({Can.READ_SCORES, Can.READ_FINDINGS, Can.REVIEW, Can.DECIDE_APPEALS}),
    Role.SUPERVISOR: frozenset(
        {Can.READ_SCORES, Can.READ_FINDINGS, Can.REVIEW, Can.DECIDE_APPEALS}
    ),
    Role.BRANCH: frozenset({Can.READ_SCORES, Can.READ_FINDINGS, Can.APPEAL}),
    Role.ASSESSMENT: frozenset({Can.READ_SCORES}),
}


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    region: str | None = None
    branch: str | None = None

    def can(self, what: Can) -> bool:
        return what in GRANTS[self.role]

    @property
    def label(self) -> str:
        where = self.region or self.branch
        return f"{self.name} ({self.role}{', ' + where if where else ''})"


class TokenError(ValueError):
    """A token cannot be issued with these attributes."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    role: str,
    name: str | None = None,
    region: str | None = None,
    branch: str | None = None,
) -> str:
    """A new random token; only its digest is stored. A branch token's region is its branch's."""
    try:
        role = Role(role)
    except ValueError:
        raise TokenError(f"unknown role {role!r}; one of {', '.join(Role)}") from None
    if role is Role.SUPERVISOR and not region:
        raise TokenError("a supervisor token needs --region")
    if role is Role.BRANCH and not branch:
        raise TokenError("a branch token needs --branch")
    if role is not Role.SUPERVISOR and region:
        raise TokenError(f"--region applies to supervisor tokens, not {role}")
    if role is not Role.BRANCH and branch:
        raise TokenError(f"--branch applies to branch tokens, not {role}")
    token = "ba_" + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    name = name or f"{role}-{region or branch or 'all'}"
    session.add(
        m.ApiToken(
            token_hash=digest(token),
            name=name,
            role=str(role),
            region=region,
            branch_id=branch,
            created_at=now,
        )
    )
    session.add(
        m.AuditEntry(
            at=now,
            actor="cli",
            action="token_create",
            detail={"name": name, "role": str(role), "region": region, "branch": branch},
        )
    )
    return token


def principal_for(session: Session, token: str) -> Principal | None:
    row = session.scalars(
        select(m.ApiToken).where(
            m.ApiToken.token_hash == digest(token), m.ApiToken.revoked_at.is_(None)
        )
    ).one_or_none()
    if row is None:
        return None
    return Principal(row.name, Role(row.role), row.region, row.branch_id)


_bearer = HTTPBearer(auto_error=False, description="a token from `branch-audit token create`")


def optional_principal(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The bearer token, else the login cookie the review pages set."""
    token = credentials.credentials if credentials else request.cookies.get(COOKIE)
    return principal_for(session, token) if token else None


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
            raise HTTPException(403, f"role {principal.role} may not {what}")
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


def lock_branch(session: Session, branch_id: str) -> None:
    """Serialise status changes of one branch: a branch's month of scores is recomputed
    from all its findings, so two concurrent changes must not each miss the other's.
    A no-op write is the lock both PostgreSQL (row lock) and SQLite (database lock) honour."""
    session.execute(
        update(m.Branch)
        .where(m.Branch.id == branch_id)
        .values(updated_at=m.Branch.updated_at)
        .execution_options(synchronize_session=False)
    )
