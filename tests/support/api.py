"""A database as a night's batch leaves it, for the API tests.

`filled_db(url, evidence_root)` is the whole interface: two regions of branches, three
checked days each, pending and confirmed findings with real H.264 clips and JPEG key
frames under the evidence root, and check scores computed by the store. The tests learn
what is there by asking the database, so a real batch run can replace this function.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.tokens import issue_token
from pipeline.evidence.video_writer import H264Writer
from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.scores import recompute_scores
from rules.checklist import load_checklist
from rules.findings import finding_id

TZ = "Asia/Shanghai"
DAYS = (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4))
BRANCHES = (  # id, name, region
    ("JS-HA-001", "淮安清江浦支行", "huaian"),
    ("JS-HA-002", "淮安淮阴支行", "huaian"),
    ("JS-SZ-001", "苏州工业园区支行", "suzhou"),
    ("JS-SZ-002", "苏州姑苏支行", "suzhou"),
)
# branch, day index, item, zone, camera, local start "HH:MM", minutes, status
FINDINGS = (
    ("JS-HA-001", 0, "TELLER_ABSENT", "post-1", "counter-1", "09:40", 12, "pending"),
    ("JS-HA-001", 0, "PHONE_USE", "post-2", "counter-1", "10:15", 1, "pending"),
    ("JS-HA-001", 1, "COUNTER_CLUTTER", "desk-1", "counter-1", "14:05", 8, "pending"),
    ("JS-HA-001", 1, "LOBBY_MANAGER_ABSENT", "lobby_manager", "lobby-1", "11:20", 15, "confirmed"),
    ("JS-HA-002", 0, "TELLER_ABSENT", "post-1", "counter-1", "15:30", 6, "pending"),
    ("JS-HA-002", 2, "PHONE_USE", "post-1", "counter-1", "10:02", 1, "confirmed"),
    ("JS-SZ-001", 0, "COUNTER_CLUTTER", "desk-2", "counter-2", "09:10", 20, "pending"),
    ("JS-SZ-001", 2, "LOBBY_MANAGER_ABSENT", "lobby_manager", "lobby-1", "13:00", 11, "confirmed"),
)


def _evidence(root: Path, stem: str, label: str) -> tuple[str, str]:
    """A 3 s clip of a moving box with a frame counter, and its middle frame as JPEG."""
    clip, key = f"{stem}.mp4", f"{stem}.jpg"
    middle = None
    with H264Writer(root / clip, fps=10) as writer:
        for i in range(30):
            frame = np.full((120, 160, 3), (60, 50, 40), np.uint8)
            cv2.rectangle(frame, (10 + 3 * i, 40), (40 + 3 * i, 90), (40, 200, 240), -1)
            cv2.putText(
                frame, f"{label} {i:02d}", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255,) * 3
            )
            writer.write(frame)
            middle = frame if i == 15 else middle
    ok, jpeg = cv2.imencode(".jpg", middle)
    assert ok
    (root / key).write_bytes(jpeg.tobytes())
    return clip, key


def filled_db(url: str, evidence_root: Path) -> None:
    """Migrate the database at `url` and fill it; evidence files go under `evidence_root`."""
    db = Database(url)
    checklist = load_checklist()
    now = datetime.now(UTC)
    tz = ZoneInfo(TZ)
    with db.session() as s:
        for branch, name, region in BRANCHES:
            s.add(m.Branch(id=branch, name=name, region=region, timezone=TZ, updated_at=now))
        s.flush()
        for branch, *_ in BRANCHES:
            for day in DAYS:
                s.add(
                    m.CheckScore(
                        branch_id=branch, date=day, provisional=100, final=100,
                        coverage=0.96, findings={}, updated_at=now,
                    )
                )  # fmt: skip
        for branch, index, item, zone, camera, hhmm, minutes, status in FINDINGS:
            day = DAYS[index]
            local = datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), tz)
            start = local.astimezone(UTC)
            fid = finding_id(branch, item, zone, start)
            clip, key = _evidence(evidence_root, f"{branch}/{day}/{fid}", item[:12])
            s.add(
                m.Finding(
                    id=fid, branch_id=branch, date=day, item=item, zone=zone, cameras=[camera],
                    start=start, end=start + timedelta(minutes=minutes),
                    duration_s=60.0 * minutes, confidence=0.87, support=[],
                    status=status, detector_version="fixture", clip=clip, keyframe=key,
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
            if status != "pending":
                s.add(
                    m.Review(
                        finding_id=fid, decision="confirm", note="seen on the clip",
                        reviewer="night-supervisor", at=now,
                    )
                )  # fmt: skip
        s.flush()
        for branch, *_ in BRANCHES:
            recompute_scores(s, branch, DAYS[0], checklist)
    db.dispose()


PERSONAS = ("admin", "province", "supervisor", "branch", "assessment")


@dataclass
class Api:
    """The app over a filled database, a client, and a token per persona.

    `own` is a branch of the first region (the supervisor's region, and the branch
    persona's branch); `other` is a branch of another region."""

    client: TestClient
    db: Database
    evidence: Path
    tokens: dict[str, str]
    own: str
    other: str

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, url: str, **kw):
        return self.client.get(url, headers={**self.auth(who), **kw.pop("headers", {})}, **kw)

    def post(self, who: str, url: str, **kw):
        return self.client.post(url, headers=self.auth(who), **kw)

    def finding(self, branch: str, status: str, item: str | None = None) -> str:
        """The id of the first finding of `branch` in `status` (of `item`)."""
        with self.db.session() as s:
            stmt = select(m.Finding.id).where(
                m.Finding.branch_id == branch, m.Finding.status == status
            )
            if item:
                stmt = stmt.where(m.Finding.item == item)
            return s.scalars(stmt.order_by(m.Finding.start)).first()


@contextmanager
def running_api(url: str, evidence_root: Path) -> Iterator[Api]:
    filled_db(url, evidence_root)
    app = create_app(url, evidence_root)
    db = app.state.settings.db
    with db.session() as s:
        regions = sorted(set(s.scalars(select(m.Branch.region))))
        own = s.scalars(select(m.Branch.id).where(m.Branch.region == regions[0])).first()
        other = s.scalars(select(m.Branch.id).where(m.Branch.region == regions[1])).first()
        tokens = {
            "admin": issue_token(s, "admin", "ada").token,
            "province": issue_token(s, "province", "pat").token,
            "supervisor": issue_token(s, "supervisor", "sam", region=regions[0]).token,
            "branch": issue_token(s, "branch", "bo", branch=own).token,
            "assessment": issue_token(s, "assessment", "hr-system").token,
        }
    with TestClient(app) as client:
        yield Api(client, db, evidence_root, tokens, own, other)
    db.dispose()
