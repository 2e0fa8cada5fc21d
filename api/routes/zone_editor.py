"""The admin's zone editor: a camera's still frame with its zones drawn, whose corners a
person drags (or nudges with the arrow keys), and the YAML of the camera's zones to copy
into the site file (docs/site.md, "区域编辑器 Zone editor"; api/static/zone_editor.js).

Only ids come from the request. The site file is the one the branch's last night run
stored (`Branch.site_path`, pipeline/batch/writer.py), its zones' polygons are that file's
(the stored zones, pipeline/store/zones.py, carry no polygon), and the picture is the
frame `branch-audit site check` draws the zones on (pipeline/site_check.py), from the
files that site file names for the camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import cv2
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth import Principal, Role
from api.deps import DbSession
from api.queries import branch_or_404
from api.rendering import Viewer, render
from api.schemas import BRANCH_ID, CAMERA_ID
from detectors.observations import ZonePurpose
from pipeline.evidence.overlay import ZONE_COLOURS
from pipeline.site import Camera, Site, SiteError, load_site
from pipeline.site_check import NoStill, Still, camera_still
from pipeline.store import models as m
from rules.wording import PURPOSE_NAMES

router = APIRouter(include_in_schema=False)

BranchId = Annotated[str, PathParam(pattern=BRANCH_ID)]
CameraId = Annotated[str, PathParam(pattern=CAMERA_ID)]
Day = Annotated[date | None, Query(alias="date", description="YYYY-MM-DD")]
#: the canvas when no frame can be had: the zones can still be moved
BLANK = (1280, 720)


def _admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise HTTPException(403, f"role {principal.role} may not edit zones (admins only)")


@dataclass(frozen=True)
class Target:
    """The camera asked for: its branch, its site file's entry (None, and why, when the
    site file cannot give it) and the day whose recordings give the picture."""

    branch: m.Branch
    camera_id: str
    day: date
    site: Site | None
    camera: Camera | None
    note: str | None


def _target(
    session: Session, principal: Principal, branch_id: str, camera_id: str, day: date | None
) -> Target:
    _admin(principal)
    branch = branch_or_404(session, principal, branch_id)
    if session.get(m.Camera, (branch.id, camera_id)) is None:
        raise HTTPException(404, f"no camera {camera_id} at branch {branch.id}")
    day = day or _last_day(session, branch, camera_id)
    if not branch.site_path:
        return Target(branch, camera_id, day, None, None, "no site file stored for the branch")
    try:
        site = load_site(branch.site_path)
        return Target(branch, camera_id, day, site, site.camera(camera_id), None)
    except SiteError as exc:
        return Target(branch, camera_id, day, None, None, str(exc))


def _last_day(session: Session, branch: m.Branch, camera_id: str) -> date:
    """The last day the night read this camera's recordings, else today on its clock."""
    last = session.scalar(
        select(func.max(m.WorkUnit.date)).where(
            m.WorkUnit.branch_id == branch.id, m.WorkUnit.camera_id == camera_id
        )
    )
    return last or datetime.now(ZoneInfo(branch.timezone)).date()


def _still(target: Target) -> Still:
    if target.site is None or target.camera is None:
        raise NoStill(target.note or "no site file")
    folder = target.site.resolve(target.camera.recordings.folder)
    stamp = (_mtime(Path(target.branch.site_path)), _mtime(folder))
    try:
        return _recent_still(target.branch.site_path, stamp, target.camera_id, target.day)
    except SiteError as exc:  # the file changed since `_target` read it
        raise NoStill(str(exc)) from None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@lru_cache(maxsize=4)
def _recent_still(site_path: str, stamp: tuple[float, float], camera_id: str, day: date) -> Still:
    """The page and its picture ask for one still in turn: it is found and decoded once
    while neither the site file nor the camera's folder changes (`stamp`)."""
    site = load_site(site_path)
    return camera_still(site, site.camera(camera_id), day)


def _zones(camera: Camera | None) -> list[dict]:
    """The camera's zones as the site file gives them, every key the file may hold."""
    if camera is None:
        return []
    return [
        {
            "id": z.id,
            "purpose": str(z.purpose),
            "anchor": None if z.anchor is None else str(z.anchor),
            "post": z.post,
            "reference": None if z.reference is None else z.reference.as_posix(),
            "uniform": None if z.uniform is None else z.uniform.model_dump(),
            "polygon": [list(p) for p in z.polygon],
        }
        for z in camera.zones
    ]


def _hex(bgr: tuple[int, int, int]) -> str:
    b, g, r = bgr
    return f"#{r:02x}{g:02x}{b:02x}"


@router.get("/branches/{branch_id}/cameras/{camera_id}/zones", response_class=HTMLResponse)
def zone_editor_page(
    request: Request,
    session: DbSession,
    principal: Viewer,
    branch_id: BranchId,
    camera_id: CameraId,
    day: Day = None,
):
    """The editor for one camera of a branch, over a frame of its recordings of `date`
    (default: the last day the night read it)."""
    target = _target(session, principal, branch_id, camera_id, day)
    try:
        still, still_note = _still(target), None
    except NoStill as exc:
        still, still_note = None, str(exc)
    height, width = still.picture.shape[:2] if still else BLANK[::-1]
    tz = target.branch.timezone
    cameras = session.scalars(
        select(m.Camera.id).where(m.Camera.branch_id == target.branch.id).order_by(m.Camera.id)
    ).all()
    data = {
        "camera": target.camera_id,
        "index": target.site.cameras.index(target.camera) if target.camera else None,
        "width": width,
        "height": height,
        "zones": _zones(target.camera),
        "colours": {str(p): _hex(ZONE_COLOURS[p]) for p in ZonePurpose},
        "purposes": {str(p): PURPOSE_NAMES[p] for p in ZonePurpose},
    }
    return render(
        request,
        "zone_editor.html",
        principal,
        branch=target.branch,
        camera_id=target.camera_id,
        cameras=cameras,
        day=target.day,
        site_note=target.note,
        site_path=target.branch.site_path,
        still=still,
        still_note=still_note,
        still_time=f"{still.t:%Y-%m-%d %H:%M:%S} ({tz})" if still else "",
        data=data,
    )


@router.get("/branches/{branch_id}/cameras/{camera_id}/still.jpg")
def camera_still_image(
    session: DbSession,
    principal: Viewer,
    branch_id: BranchId,
    camera_id: CameraId,
    day: Day = None,
) -> Response:
    """The editor's picture: the frame `site check` draws on, at its own aspect, no zones."""
    target = _target(session, principal, branch_id, camera_id, day)
    try:
        still = _still(target)
    except NoStill as exc:
        raise HTTPException(404, f"no picture of camera {camera_id}: {exc}") from None
    ok, jpeg = cv2.imencode(".jpg", still.picture, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise HTTPException(500, "the frame could not be encoded")
    return Response(jpeg.tobytes(), media_type="image/jpeg", headers={"Cache-Control": "no-store"})
