"""Issuing, listing and revoking API tokens (`branch-audit token`), each change audited.

A token is shown once, when issued; only its sha256 digest is stored, and nothing here
ever hands out either. Every new token expires (TOKEN_LIFETIME unless asked otherwise).
A token has a name, unique, and a holder: the person (pipeline/store/people.py). Names are stored
as they show (NFKC, whitespace collapsed, nothing invisible), and a name or holder that
reads like another's without being the same person is refused, so `token list` never
shows one person twice under two spellings. One person may hold several tokens (a
supervisor's and a province's): `--holder` names them, and separation of duties compares
holders.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Role, digest
from pipeline.store import models as m
from pipeline.store.people import display_name, lookalike, person

TOKEN_LIFETIME = timedelta(days=90)


class TokenError(ValueError):
    """A token cannot be issued or revoked so."""


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the token or its digest."""

    name: str
    holder: str
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
        row.name, row.holder or person(row.name), row.role, row.region, row.branch_id,
        row.created_at, row.expires_at, row.last_used_at, row.revoked_at,
    )  # fmt: skip


def _audit(session: Session, now: datetime, action: str, info: TokenInfo) -> None:
    detail = {
        "name": info.name, "holder": info.holder, "role": info.role, "region": info.region,
        "branch": info.branch,
    }  # fmt: skip
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


def _check_identity(session: Session, name: str, holder: str) -> None:
    """Refuse a name that reads as another token's, and a holder that reads as another
    person without being them (pipeline/store/people.py)."""
    for row in session.scalars(select(m.ApiToken).order_by(m.ApiToken.id)):
        state = f", revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else ""
        held = f"({row.role}, created {row.created_at:%Y-%m-%d}{state})"
        if row.name == name:
            raise TokenError(
                f"a token named {name!r} exists already {held}; token names are unique: "
                "pass another --name"
            )
        if lookalike(row.name) == lookalike(name):
            raise TokenError(
                f"the name {name!r} reads as the token name {row.name!r} {held}; one person, "
                "one name: pass another --name, and --holder to give one person a second role"
            )
        theirs = person(row.holder or row.name)
        if theirs != holder and lookalike(theirs) == lookalike(holder):
            raise TokenError(
                f"the holder {holder!r} reads as the holder {theirs!r} of {row.name!r} {held}: "
                f"if they are one person pass --holder {theirs!r}, else a name that reads "
                "differently"
            )


def issue_token(
    session: Session,
    role: str,
    name: str | None = None,
    region: str | None = None,
    branch: str | None = None,
    lifetime: timedelta = TOKEN_LIFETIME,
    allow_unknown: bool = False,
    holder: str | None = None,
) -> Issued:
    """A new random token for `holder` (default: the person of its name); only its
    digest is stored. A branch token's region is its branch's."""
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
    name = display_name(name or f"{role}-{region or branch or 'all'}")
    holder = person(holder if holder is not None else name)
    if not name or not holder:
        raise TokenError("a name and a holder need a visible character")
    _check_identity(session, name, holder)
    token = "ba_" + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = m.ApiToken(
        token_hash=digest(token), name=name, holder=holder, role=str(role), region=region,
        branch_id=branch, created_at=now, expires_at=now + lifetime,
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
    """Revoke the token named `name` (as `token list` shows it, or spelt otherwise): from
    the next request on it, and every browser session opened with it, gets 401."""
    row = session.scalars(
        select(m.ApiToken).where(m.ApiToken.name == display_name(name))
    ).one_or_none()
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
