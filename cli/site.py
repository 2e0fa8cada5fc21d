"""`branch-audit site check`: a site file checked against its recordings before a night."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from pipeline.site import load_site
from pipeline.site_check import check_site


def register(subparsers) -> None:
    p = subparsers.add_parser("site", help="check a site file", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="site_command", required=True, metavar="SUBCOMMAND")
    c = sub.add_parser(
        "check",
        help="validate, list each camera's files, draw its zones on a real frame",
        description="Validates the site file, lists per camera the files its pattern "
        "matches for the date and the ones it skips with why, and writes one PNG per "
        "camera with its zones drawn and labelled on a frame of its recordings.",
    )
    c.add_argument("site", help="site file (YAML)")
    c.add_argument(
        "--date", type=date.fromisoformat, default=None,
        help="YYYY-MM-DD (default: today in the branch's time zone)",
    )  # fmt: skip
    c.add_argument("--out", type=Path, default=Path("site-check"), help="folder for the PNGs")
    c.set_defaults(func=run)


def run(args) -> int:
    site = load_site(args.site)  # a SiteError names every problem with its place
    day = args.date or datetime.now(site.tz).date()
    print(f"{args.site}: valid · branch {site.branch.id} · {day}")
    failed = False
    for check in check_site(site, day, args.out):
        print(f"\ncamera {check.camera}: {len(check.segments)} file(s) for {day}")
        if check.error:
            failed = True
            print(f"  error: {check.error}")
        for seg in check.segments:
            what = seg.error or seg.note or "ok"
            print(f"  {seg.start:%H:%M:%S}-{seg.end:%H:%M:%S}  {seg.path.name}  {what}")
        for skip in check.skipped:
            print(f"  skipped {skip.path.name}: {skip.why}")
        print(f"  picture: {check.picture or check.picture_note}")
    return 1 if failed else 0
