"""`branch-audit coverage`: what each camera's recordings show of a business day.

The site file is read by a private minimal loader (`_load_cameras`) that takes only what
coverage needs; it gives way to the project's site loader once that exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from pipeline.camera_day import map_camera
from pipeline.cli import UserError
from pipeline.coverage import Coverage, Gap, GapReason
from pipeline.recordings import RecordingsError, find_segments
from pipeline.sampler import KEYFRAMES, Sample, SamplingSpec

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Keyframes are the cheapest frames that still prove a file decodes; a tiny conversion
# keeps the arrays nobody looks at from costing anything.
SCAN = SamplingSpec(rate=KEYFRAMES, max_side=32)


@dataclass(frozen=True)
class _Camera:
    id: str
    folder: Path
    pattern: str | None


@dataclass(frozen=True)
class _Site:
    branch: str
    tz: ZoneInfo
    hours: dict[int, tuple[time, time]]  # weekday (Monday 0) -> opening, closing
    cameras: tuple[_Camera, ...]


def _load_cameras(path: str | Path) -> _Site:
    """Branch id, time zone, business hours and the cameras' recordings from a site file."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        branch = doc["branch"]
        tz = ZoneInfo(branch["timezone"])
        hours = {d: (time.fromisoformat(a), time.fromisoformat(b))
                 for key, (a, b) in (doc.get("business_hours") or {}).items()
                 for d in _weekdays(key)}
        cameras = tuple(
            _Camera(str(c["id"]), path.parent / c["recordings"]["folder"],
                    c["recordings"].get("pattern"))
            for c in doc.get("cameras") or ())
        return _Site(str(branch["id"]), tz, hours, cameras)
    except OSError as exc:
        raise UserError(f"cannot read site file {path}: {exc}") from exc
    except (yaml.YAMLError, KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
        raise UserError(f"site file {path}: missing or bad entry: {exc!r}") from exc


def _weekdays(key: str) -> list[int]:
    """"mon-fri", "sat", "mon,wed" -> weekday numbers."""
    out = []
    for part in key.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        a, b = DAYS.index(first), DAYS.index(last or first)
        out += range(a, b + 1)
    return out


def register(subparsers) -> None:
    p = subparsers.add_parser("coverage", help="per camera: segments, observed hours, gaps",
                              description=__doc__.splitlines()[0])
    p.add_argument("--site", required=True, help="site file (YAML)")
    p.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    p.set_defaults(func=run)


def _drain(samples: Iterator[Sample]) -> int:
    return sum(1 for _ in samples)


def run(args) -> int:
    site = _load_cameras(args.site)
    hours = site.hours.get(args.date.weekday())
    window = hours and tuple(datetime.combine(args.date, t, site.tz) for t in hours)
    report, failed = {}, False
    for cam in site.cameras:
        try:
            day = find_segments(cam.folder, cam.pattern, cam.id, site.tz, args.date)
        except RecordingsError as exc:
            failed = True
            report[cam.id] = {"segments": 0, "observed_s": 0.0, "error": str(exc),
                              "gaps": [_gap(Gap(*window, GapReason.NO_FILE))] if window else []}
            continue
        cov = map_camera(_drain, day, SCAN, window)[1] if window else None
        report[cam.id] = _camera(len(day.segments), cov)
    doc = {"branch": site.branch, "date": args.date.isoformat(), "cameras": report}
    print(json.dumps(doc, ensure_ascii=False, indent=2) if args.json
          else _table(doc, window))
    return 1 if failed else 0


def _camera(segments: int, cov: Coverage | None) -> dict:
    return {"segments": segments, "observed_s": round(cov.observed_s, 3) if cov else 0.0,
            "gaps": [_gap(g) for g in cov.gaps] if cov else []}


def _gap(gap: Gap) -> dict:
    return {"start": gap.start.isoformat(), "end": gap.end.isoformat(),
            "reason": str(gap.reason)}


def _table(doc: dict, window) -> str:
    hours = (f"{window[0]:%H:%M}-{window[1]:%H:%M} {window[0].tzinfo}" if window
             else "closed")
    lines = [f"branch {doc['branch']}  {doc['date']}  business hours {hours}",
             f"{'camera':<16}{'segments':>9}{'observed h':>12}{'gaps':>6}"]
    for cam, c in doc["cameras"].items():
        lines.append(f"{cam:<16}{c['segments']:>9}{c['observed_s'] / 3600:>12.2f}"
                     f"{len(c['gaps']):>6}")
        if "error" in c:
            lines.append(f"    error: {c['error']}")
        lines += [f"    {_clock(g['start'])} - {_clock(g['end'])}  {g['reason']}"
                  for g in c["gaps"]]
    return "\n".join(lines)


def _clock(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M:%S")
