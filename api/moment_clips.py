"""A clip of a moment of a finding, as the API answers for it: the kept clip if it was
drawn before, else the moment queued for the drawer (pipeline/evidence/moments.py) and
its progress at once (202), for the caller to ask again. No request waits while a clip
is drawn, so none holds a database connection or a worker thread meanwhile; one person
asking for many moments gets 429 beyond their share, a full queue 503."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi import HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import AppState, evidence_file
from api.timeline import window_of
from pipeline.evidence.clips import EvidenceError, moment_path
from pipeline.evidence.moments import MomentsBusy, Progress, moment_request
from pipeline.store import models as m
from pipeline.store.zones import stored_zones
from rules.wording import named_zones

#: how soon to ask again, in seconds: a clip of 12 s takes some seconds to draw, and a
#: poll costs a lookup, never the recordings' folder (MomentDrawer.progress)
POLL_S = 1


class MomentProgressOut(BaseModel):
    """A moment's clip being drawn: ask `poll` again after `retry_after` seconds; it
    answers this until the clip is ready (200, the video) or cannot be drawn (404)."""

    state: Literal["queued", "drawing"]
    ahead: int = Field(ge=0, description="clips to be drawn before this one")
    stage: Literal["queued", "decoding", "drawing", "encoding"] = Field(
        "queued", description="while drawing: decoding the recording up to the moment, "
        "drawing its frames (detection, blur, labels), or encoding the last of them",
    )  # fmt: skip
    percent: int = Field(0, ge=0, le=100, description="the share of the clip's frames drawn")
    poll: str
    retry_after: int = Field(ge=1)
    message: str


def _unreachable(reason: str) -> HTTPException:
    return HTTPException(
        404,
        f"无法调取该时刻的录像 The recordings of this moment cannot be reached from this "
        f"server: {reason}",
    )


def moment_clip(
    session: Session, settings: AppState, principal: Principal, row: m.Finding, at: datetime
) -> Path | MomentProgressOut:
    """The kept clip around `at`, or the progress of drawing it. 404 outside the
    timeline's window, and, with the reason, when the recordings cannot be reached."""
    lo, hi = window_of(row)
    if not lo <= at <= hi:
        raise HTTPException(
            404,
            f"no moment {at.isoformat()} in this finding's timeline "
            f"({lo.isoformat()} to {hi.isoformat()})",
        )
    drawer = settings.moments
    try:
        rel = moment_path(row.id, at)
        if (kept := evidence_file(settings.evidence_root, rel)) is not None:
            if drawer is not None:
                drawer.used(rel)
            return kept
        if drawer is None:
            raise EvidenceError("this server draws no clips on demand")
        progress = drawer.progress(rel)  # asked before: no need to find the recordings
        if progress is None:
            branch, camera = session.get(m.Branch, row.branch_id), str(row.cameras[0])
            # the zone drawn highlighted, as the night stored it (a purpose's key names its
            # zone on this camera); the recordings and the zones' outlines are the site's
            named = named_zones(stored_zones(session, branch.id), [camera], row.zone)
            zone = next((z.zone_id for z in named if z.camera == camera), row.zone)
            request = moment_request(branch.site_path, row.id, row.item, camera, zone, row.date, at)
            progress = drawer.ask(rel, request, principal.holder)
    except EvidenceError as exc:
        raise _unreachable(str(exc)) from None
    except MomentsBusy as exc:
        status = 429 if exc.per_person else 503
        raise HTTPException(
            status, f"片段调取繁忙，请稍后再试 Busy drawing clips, ask again later: {exc}",
            headers={"Retry-After": str(POLL_S * 5)},
        ) from None  # fmt: skip
    at_text = f"{at.astimezone(lo.tzinfo):%H:%M:%S}"
    return MomentProgressOut(
        state=progress.state,
        ahead=progress.ahead,
        stage=progress.stage,
        percent=progress.percent,
        poll=f"/api/v1/findings/{row.id}/clip?at={quote(at.isoformat())}",
        retry_after=POLL_S,
        message=_message(progress, at_text),
    )


def _message(progress: Progress, at_text: str) -> str:
    """What the page says while the clip of `at_text` is on its way."""
    if progress.state == "queued":
        return f"{at_text} 的片段排队中，前面还有 {progress.ahead} 个 Queued, {progress.ahead} ahead"
    return {
        "decoding": f"正在解码 {at_text} 的录像 Decoding the recording of {at_text}",
        "drawing": f"正在绘制 {at_text} 的片段 {progress.percent}% Drawing the clip of "
        f"{at_text}, {progress.percent}%",
        "encoding": f"正在编码 {at_text} 的片段 Encoding the clip of {at_text}",
    }.get(progress.stage, f"正在绘制 {at_text} 的片段 Drawing the clip of {at_text}")
