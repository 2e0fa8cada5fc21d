"""The caller and the branches they may see."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentPrincipal, visible_branches
from api.deps import DbSession
from api.schemas import BranchOut, Me

router = APIRouter(prefix="/api/v1", tags=["branches"])


@router.get("/me")
def me(principal: CurrentPrincipal) -> Me:
    return Me(
        name=principal.name,
        role=principal.role,
        region=principal.region,
        branch=principal.branch,
    )


@router.get("/branches")
def branches(session: DbSession, principal: CurrentPrincipal) -> list[BranchOut]:
    return [
        BranchOut(id=b.id, name=b.name, region=b.region, timezone=b.timezone)
        for b in visible_branches(session, principal)
    ]
