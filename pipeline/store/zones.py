"""Branches' zones as the night run stores them (models.Zone, written by
pipeline/batch/writer.py as it registers the branch and its cameras): the one place pages,
documents and filters learn a zone's purpose and name, so that none reads a site file
and a moved site file leaves them as they were."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from detectors.observations import ZonePurpose
from pipeline.store import models as m
from rules.calendar import ZoneRef
from rules.checklist import Checklist


def stored_zones(session: Session, branch_id: str) -> list[ZoneRef]:
    """The branch's zones as the last night run stored them."""
    return [
        ZoneRef(r.camera_id, r.id, ZonePurpose(r.purpose), r.post)
        for r in session.scalars(
            select(m.Zone)
            .where(m.Zone.branch_id == branch_id)
            .order_by(m.Zone.camera_id, m.Zone.id)
        )
    ]


def zone_choices(session: Session, branches: Iterable[str]) -> dict[str, list[str]]:
    """The zone ids a finding filter offers for these branches, sorted, each with the
    purposes it has among them."""
    ids = list(branches)
    if not ids:
        return {}
    out: dict[str, set[str]] = {}
    for zone_id, purpose in session.execute(
        select(m.Zone.id, m.Zone.purpose).where(m.Zone.branch_id.in_(ids)).distinct()
    ):
        out.setdefault(zone_id, set()).add(purpose)
    return {z: sorted(out[z]) for z in sorted(out)}


def camera_choices(session: Session, branches: Iterable[str]) -> list[str]:
    """The camera ids a finding filter offers for these branches, sorted."""
    ids = list(branches)
    if not ids:
        return []
    return sorted(
        set(session.scalars(select(m.Camera.id).where(m.Camera.branch_id.in_(ids)).distinct()))
    )


def zone_keys(session: Session, zone_id: str, checklist: Checklist) -> list[str]:
    """The stored `Finding.zone` values a filter for `zone_id` matches: the id itself, and
    the keys of the items judged over all zones of a purpose it has (rules/timeline.posts
    names those posts by their purposes), so the timeline's name finds the finding."""
    purposes = set(session.scalars(select(m.Zone.purpose).where(m.Zone.id == zone_id)))
    keys = {zone_id}
    for item in checklist.items:
        own = {str(p) for p in item.evidence.purposes}
        if item.scope == "purpose" and own & purposes:
            keys.add("+".join(sorted(own)))
    return sorted(keys)
