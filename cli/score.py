"""`branch-audit score`: findings and check scores of an observation series, no video needed."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

from cli.main import UserError
from detectors.observations import FrameObservation, ZoneObservation
from pipeline.site import load_site
from rules.calendar import BranchSchedule
from rules.checklist import load_checklist
from rules.scoring import score_check
from rules.temporal import judge_day

_ZONE_FIELDS = {f.name for f in dataclasses.fields(ZoneObservation)} - {"zone_id", "purpose"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "score",
        help="turn an observation series into findings and check scores",
        description="Judge observations (the lines `branch-audit observe --json` prints) "
        "against the checklist: findings, coverage gaps and one check score per day.",
    )
    p.add_argument("--observations", required=True, type=Path, help="observation JSONL file")
    p.add_argument("--site", required=True, type=Path, help="the branch's site file (YAML)")
    p.add_argument("--checklist", type=Path, help="checklist YAML (default: the shipped one)")
    p.add_argument(
        "--start",
        help="ISO-8601 time that t=0 stands for when t is in seconds; a date alone means "
        "that day's opening",
    )
    p.add_argument(
        "--camera", help="camera of lines without one (default: the site camera with their zones)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def _start(text: str | None, schedule: BranchSchedule) -> datetime | None:
    if text is None:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = schedule.day(date.fromisoformat(text))
            if day is None:
                raise UserError(f"--start {text}: the branch is closed that day")
            return day.opening
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--start {text!r} is not an ISO-8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=schedule.tz)


def _frames(args: argparse.Namespace, schedule: BranchSchedule) -> list[FrameObservation]:
    start = _start(args.start, schedule)
    purposes = {(z.camera, z.zone_id): z.purpose for z in schedule.zones}
    cameras_of: dict[str, set[str]] = defaultdict(set)
    for camera, zone_id in purposes:
        cameras_of[zone_id].add(camera)
    frames = []
    with args.observations.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{args.observations}:{n}"
            try:
                record = json.loads(line)
                t, zones = record["t"], record["zones"]
            except (ValueError, KeyError, TypeError):
                raise UserError(f"{where}: expected a JSON object with t and zones") from None
            camera = record.get("camera") or args.camera
            if camera is None:
                candidates = set.intersection(*(cameras_of[z] for z in zones)) if zones else set()
                if len(candidates) != 1:
                    raise UserError(
                        f"{where}: cannot tell the camera of zones {sorted(zones)}; pass --camera"
                    )
                camera = candidates.pop()
            if isinstance(t, int | float):
                if start is None:
                    raise UserError(f"{where}: t is in seconds; pass --start")
                moment = start + timedelta(seconds=t)
            else:
                moment = datetime.fromisoformat(t)
                moment = moment if moment.tzinfo else moment.replace(tzinfo=schedule.tz)
            observed = {}
            for zone_id, fields in zones.items():
                if (camera, zone_id) not in purposes:
                    raise UserError(
                        f"{where}: zone {zone_id!r} is not a zone of camera "
                        f"{camera!r} in the site file"
                    )
                known = {k: v for k, v in fields.items() if k in _ZONE_FIELDS}
                observed[zone_id] = ZoneObservation(zone_id, purposes[camera, zone_id], **known)
            frames.append(FrameObservation(moment.astimezone(schedule.tz), camera, observed))
    return frames


def run(args: argparse.Namespace) -> int:
    schedule = load_site(args.site).schedule()
    checklist = load_checklist(args.checklist)
    by_day: dict[date, list[FrameObservation]] = defaultdict(list)
    for frame in _frames(args, schedule):
        by_day[frame.t.date()].append(frame)
    checks, earlier = [], []
    for on in sorted(by_day):
        day = schedule.day(on)
        if day is None:
            continue
        judgement = judge_day(
            by_day[on], day, checklist, branch=schedule.branch, zones=schedule.zones
        )
        score = score_check(judgement.findings, checklist, earlier=earlier)
        earlier += judgement.findings
        checks.append(_check_json(judgement, score))
    report = {"branch": schedule.branch, "region": schedule.region, "checks": checks}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_table(report)
    return 0


def _check_json(judgement, score) -> dict:
    return {
        "date": judgement.day.date.isoformat(),
        "business_hours": [judgement.day.opening.isoformat(), judgement.day.closing.isoformat()],
        "coverage": {camera: round(share, 4) for camera, share in judgement.coverage.items()},
        "gaps": [
            {
                "camera": g.camera,
                "start": g.start.isoformat(),
                "end": g.end.isoformat(),
                "reason": g.reason,
            }
            for g in judgement.gaps
        ],
        "findings": [f.to_json() for f in judgement.findings],
        "score": {
            "provisional": score.provisional,
            "final": score.final,
            "deductions": [dataclasses.asdict(d) for d in score.provisional_deductions],
        },
    }


def _print_table(report: dict) -> None:
    print(f"branch {report['branch']} ({report['region']})")
    for check in report["checks"]:
        coverage = ", ".join(f"{c} {share:.0%}" for c, share in check["coverage"].items())
        score = check["score"]
        print(
            f"\n{check['date']}  provisional {score['provisional']:g}  "
            f"final {score['final']:g}  coverage: {coverage or 'none'}"
        )
        for d in score["deductions"]:
            print(f"  −{d['points']:g} {d['item']}: {d['arithmetic']}")
        for f in check["findings"]:
            print(
                f"  {f['item']:<22} {f['zone']:<14} {f['start'][11:19]}–{f['end'][11:19]} "
                f"{f['duration_s']:>7.0f}s  conf {f['confidence']:.2f}  {','.join(f['cameras'])}"
            )
        print(f"  {len(check['gaps'])} coverage gap(s)")
