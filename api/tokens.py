"""Issuing, listing and revoking API tokens (`branch-audit token`), each change audited.

A token is shown once, when issued; only its sha256 digest is stored, and nothing here
ever hands out either. Every new token expires (TOKEN_LIFETIME unless asked otherwise);
holder names are unique, because reviews, appeal decisions and the audit log record
people by name and separation of duties compares those names.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Role, digest
from pipeline.store import models as m

TOKEN_LIFETIME = timedelta(days=90)


class TokenError(ValueError):
    """A token cannot be issued or revoked so."""


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the token or its digest."""

    name: str
    role: str
    region: str | None
    branch: str | None
    created_at: datetime
    expires_at: datetime | None  # None: issued before tokens expired; never
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def scope(self) -> str:
        if self.region:
            return f"region {self.region}"
        return f"branch {self.branch}" if self.branch else "all branches"


@dataclass(frozen=True)
class Issued:
    token: str
    info: TokenInfo


def _info(row: m.ApiToken) -> TokenInfo:
    return TokenInfo(
        row.name, row.role, row.region, row.branch_id, row.created_at, row.expires_at,
        row.last_used_at, row.revoked_at,
    )  # fmt: skip


def _audit(session: Session, now: datetime, action: str, info: TokenInfo) -> None:
    detail = {"name": info.name, "role": info.role, "region": info.region, "branch": info.branch}
    session.add(m.AuditEntry(at=now, actor="cli", action=action, detail=detail))


def _check_scope(session: Session, region: str | None, branch: str | None) -> None:
    """A scope names branches the nightly run has stored, so a typo cannot make a token
    that silently sees nothing."""
    if branch and session.get(m.Branch, branch) is None:
        raise TokenError(
            f"no branch {branch} in the database; check the id, or pass --allow-unknown "
            "to issue the token before the branch's first nightly run"
        )
    of_region = select(m.Branch.id).where(m.Branch.region == region).limit(1)
    if region and session.scalar(of_region) is None:
        raise TokenError(
            f"no branch of region {region} in the database; check the name, or pass "
            "--allow-unknown to issue the token before the region's first nightly run"
        )


def issue_token(
    session: Session,
    role: str,
    name: str | None = None,
    region: str | None = None,
    branch: str | None = None,
    lifetime: timedelta = TOKEN_LIFETIME,
    allow_unknown: bool = False,
) -> Issued:
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
    if lifetime <= timedelta(0):
        raise TokenError(f"a token must expire after it is issued, not {lifetime} later")
    if not allow_unknown:
        _check_scope(session, region, branch)
    name = name or f"{role}-{region or branch or 'all'}"
    held = session.scalars(select(m.ApiToken).where(m.ApiToken.name == name)).one_or_none()
    if held is not None:
        state = f", revoked {held.revoked_at:%Y-%m-%d}" if held.revoked_at else ""
        raise TokenError(
            f"a token named {name!r} exists already ({held.role}, created "
            f"{held.created_at:%Y-%m-%d}{state}); holder names are unique: pass another --name"
        )
    token = "ba_" + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = m.ApiToken(
        token_hash=digest(token), name=name, role=str(role), region=region, branch_id=branch,
        created_at=now, expires_at=now + lifetime,
    )  # fmt: skip
    session.add(row)
    info = _info(row)
    _audit(session, now, "token_create", info)
    return Issued(token, info)


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token, oldest first, revoked and expired ones too."""
    rows = session.scalars(select(m.ApiToken).order_by(m.ApiToken.created_at, m.ApiToken.id))
    return [_info(row) for row in rows]


def revoke_token(session: Session, name: str) -> TokenInfo:
    """Revoke the token `name` holds: from the next request on it, and every browser
    session opened with it, gets 401."""
    row = session.scalars(select(m.ApiToken).where(m.ApiToken.name == name)).one_or_none()
    if row is None:
        raise TokenError(f"no token named {name!r} (`branch-audit token list` shows them)")
    if row.revoked_at is not None:
        raise TokenError(
            f"the token named {name!r} was revoked already, at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    now = datetime.now(UTC)
    row.revoked_at = now
    info = _info(row)
    _audit(session, now, "token_revoke", info)
    return info
