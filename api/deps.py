"""Per-request access to the app's database and settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.attempts import FAILURES
from pipeline.evidence.moments import MomentDrawer
from pipeline.store.db import Database
from rules.checklist import Checklist
from rules.fines import FineRule


@dataclass(frozen=True)
class AppState:
    db: Database
    evidence_root: Path  # resolved; no clip is served from outside it
    checklist: Checklist
    #: the per-incident fines of confirmed findings (Policy B's: rules/policy_b.yaml)
    fines: dict[str, FineRule] = field(default_factory=dict)
    #: draws the clips of moments asked for (a moment of a long finding) off the request
    #: path; None: this server draws none
    moments: MomentDrawer | None = None
    #: failed logins, or refused bearer tokens, from one address before it must wait
    #: (api/attempts.py)
    failures: int = FAILURES


def settings(request: Request) -> AppState:
    return request.app.state.settings


AppSettings = Annotated[AppState, Depends(settings)]


def session(s: AppSettings) -> Iterator[Session]:
    """One transaction per request."""
    with s.db.session() as db_session:
        yield db_session


# "function" scope: committed when the endpoint returns, so a client that reads right after
# a response sees what that response reported.
DbSession = Annotated[Session, Depends(session, scope="function")]


def evidence_file(root: Path, relative: str) -> Path | None:
    """A stored evidence file (clip, key frame, candidate crop), only if it is a file inside
    the evidence root once links are resolved: paths from the database never leave it."""
    try:
        path = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    return path if path.is_relative_to(root) and path.is_file() else None
