"""The nightly plan samples a camera with a meeting zone from the morning meeting's window
(outside business hours), and the rules judge only MORNING_MEETING there: generated
recordings of an empty room, planned, run by the worker and judged."""

from __future__ import annotations

from datetime import datetime

from pipeline.batch.units import DetectorSpec, UnitSettings, plan_branch_day
from pipeline.batch.worker import run_unit
from pipeline.footage.sampler import SamplingSpec
from rules.checklist import load_checklist
from rules.temporal import judge_day
from tests.support.recordings import DAY, TZ, write_clip

SITE = """\
branch: {id: PLAN-MEETING, region: test}
business_hours: {mon-sun: ["09:00", "09:01"]}
meeting_window: [1, 0.5]     # 08:59:00-08:59:30
cameras:
  - id: huddle
    recordings: {folder: recordings/huddle}
    zones:
      - {id: huddle, purpose: meeting, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]}
  - id: post
    recordings: {folder: recordings/post}
    zones:
      - {id: post-1, purpose: teller_post, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]}
"""
SETTINGS = UnitSettings(SamplingSpec(rate=0.5), DetectorSpec(phone=None, gate=False))


def clock(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hh, mm, ss, tzinfo=TZ)


def test_a_meeting_camera_is_sampled_from_the_window_and_judged_there_only(tmp_path):
    for camera in ("huddle", "post"):  # each recorded 08:58:30-09:01:00
        name = clock(8, 58, 30).strftime(f"{camera}_%Y%m%d_%H%M%S.mp4")
        write_clip(tmp_path / "recordings" / camera / name, 150, fps=2, gop=2)
    (tmp_path / "site.yaml").write_text(SITE, encoding="utf-8")

    bd = plan_branch_day(tmp_path / "site.yaml", DAY, SETTINGS)

    spans = {u.ref.camera: (u.ref.lo, u.ref.hi) for u in bd.units}
    assert spans == {"huddle": (clock(8, 59), clock(9, 1)), "post": (clock(9, 0), clock(9, 1))}
    frames = []
    for unit in bd.units:
        result = run_unit(unit)
        frames += result.observations.frames(unit.ref.camera, TZ)
    assert min(f.t for f in frames if f.camera == "huddle") == clock(8, 59)
    assert min(f.t for f in frames if f.camera == "post") == clock(9, 0)

    checklist = load_checklist()
    short = checklist.item("MORNING_MEETING").model_copy(
        update={
            "trigger": checklist.item("MORNING_MEETING").trigger.model_copy(
                update={"duration_s": 10}
            )
        }
    )
    items = tuple(short if i.code == "MORNING_MEETING" else i for i in checklist.items)
    schedule = bd.site.schedule()
    result = judge_day(
        frames,
        bd.business,
        checklist.model_copy(update={"items": items}),
        branch=bd.branch,
        zones=schedule.zones,
    )
    # the empty room held no meeting; the empty post before 09:00 is no absence, and the
    # coverage is business hours' (the last sample's two seconds unseen)
    assert [(f.item, f.start, f.end) for f in result.findings] == [
        ("MORNING_MEETING", clock(8, 59), clock(8, 59, 30))
    ]
    assert result.coverage["huddle"] == result.coverage["post"] > 0.96
