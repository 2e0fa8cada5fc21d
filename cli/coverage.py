"""`branch-audit coverage`: what each camera's recordings show of a business day.

By default it reads containers and packet timestamps only (seconds for a camera-day):
observed time, holes, unreadable files and truncated tails are what `run` finds. Only a
decode error inside a file needs decoding: `--decode` decodes what `run` decodes at the
same `--rate` and agrees with it exactly (pipeline/footage/coverage.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, datetime

from cli.main import UserError
from cli.options import add_rate_option, sampling_rate
from pipeline.footage.coverage import Coverage, GapReason
from pipeline.footage.recordings import RecordingsError, find_segments
from pipeline.footage.sampler import Sample, SamplingSpec
from pipeline.footage.window import map_files
from pipeline.site import load_site
from rules.calendar import CoverageGap

# The frames `run` decodes at the same rate (the rule in pipeline/footage/coverage.py); a
# tiny conversion keeps the arrays nobody looks at from costing anything.
SCAN_SIDE = 32


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "coverage",
        help="per camera: segments, observed hours, gaps",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("--site", required=True, help="site file (YAML)")
    p.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    add_rate_option(p)
    p.add_argument(
        "--decode", action="store_true",
        help="decode what `run` decodes (finds decode errors; minutes, not seconds)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    p.set_defaults(func=run)


def _drain(samples: Iterator[Sample]) -> int:
    return sum(1 for _ in samples)


def run(args) -> int:
    try:
        scan = SamplingSpec(rate=sampling_rate(args), max_side=SCAN_SIDE, decode=args.decode)
    except ValueError as exc:
        raise UserError(f"--rate: {exc}") from None
    site = load_site(args.site)
    business = site.schedule().day(args.date)
    window = (business.opening, business.closing) if business else None
    report, failed = {}, False
    span = (window[1] - window[0]).total_seconds() if window else 0.0
    for n, cam in enumerate(site.cameras, 1):
        print(
            f"[{n}/{len(site.cameras)}] {cam.id}: {'decoding' if args.decode else 'reading'}",
            file=sys.stderr, flush=True,
        )  # fmt: skip
        folder = site.resolve(cam.recordings.folder)
        try:
            day = find_segments(folder, cam.file_pattern, cam.id, site.tz, args.date)
        except RecordingsError as exc:
            failed = True
            report[cam.id] = {
                "segments": 0,
                "observed_s": 0.0,
                "observed_pct": 0.0,
                "error": str(exc),
                "gaps": [_gap(CoverageGap(*window, GapReason.NO_FILE))] if window else [],
            }
            continue
        cov = map_files(_drain, day, scan, window)[1] if window else None
        report[cam.id] = _camera(len(day.segments), cov, span)
    doc = {
        "branch": site.branch.id,
        "date": args.date.isoformat(),
        "decoded": args.decode,
        "cameras": report,
    }
    print(json.dumps(doc, ensure_ascii=False, indent=2) if args.json else _table(doc, window))
    return 1 if failed else 0


def _camera(segments: int, cov: Coverage | None, span: float) -> dict:
    return {
        "segments": segments,
        "observed_s": round(cov.observed_s, 3) if cov else 0.0,
        "observed_pct": round(100 * cov.observed_s / span, 1) if cov and span else 0.0,
        "gaps": [_gap(g) for g in cov.gaps] if cov else [],
    }


def _gap(gap: CoverageGap) -> dict:
    return {"start": gap.start.isoformat(), "end": gap.end.isoformat(), "reason": str(gap.reason)}


def _table(doc: dict, window) -> str:
    hours = f"{window[0]:%H:%M}-{window[1]:%H:%M} {window[0].tzinfo}" if window else "closed"
    lines = [
        f"branch {doc['branch']}  {doc['date']}  business hours {hours}",
        f"{'camera':<16}{'segments':>9}{'observed h':>12}{'observed':>10}{'gaps':>6}",
    ]
    for cam, c in doc["cameras"].items():
        lines.append(
            f"{cam:<16}{c['segments']:>9}{c['observed_s'] / 3600:>12.2f}"
            f"{c['observed_pct']:>9.1f}%{len(c['gaps']):>6}"
        )
        if "error" in c:
            lines.append(f"    error: {c['error']}")
        lines += [
            f"    {_clock(g['start'])} - {_clock(g['end'])}  {g['reason']}" for g in c["gaps"]
        ]
    if not doc["decoded"]:
        lines.append("(packets read, frames not decoded: --decode also finds decode errors)")
    return "\n".join(lines)


def _clock(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M:%S")
