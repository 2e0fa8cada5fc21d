"""`branch-audit serve`: the API and the review pages over the database, with uvicorn."""

from __future__ import annotations

import argparse
from pathlib import Path

from api.bodies import MAX_BODY
from cli.options import DB_HELP


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the API and the review pages",
        description="Serve the scoring API (/api/v1, docs at /docs) and the supervisors' "
        "review pages. Every route needs a token from `branch-audit token create`.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--db", help=DB_HELP)
    p.add_argument(
        "--evidence",
        type=Path,
        default=Path("evidence"),
        help="evidence root; clips and key frames are served from inside it only",
    )
    p.add_argument("--checklist", type=Path, help="the bank's checklist file (default: built in)")
    p.add_argument(
        "--max-body",
        type=int,
        default=MAX_BODY,
        metavar="BYTES",
        help=f"largest request body accepted; larger ones get 413 unread (default: {MAX_BODY})",
    )
    p.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        help="the reverse proxies (addresses or networks, comma-separated) whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed; default: none, so the "
        "connection's own address is the client's",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    app = create_app(
        args.db, args.evidence, args.checklist, args.max_body, args.forwarded_allow_ips
    )
    # the app alone decides whom to believe (api/app.py); uvicorn's own proxy headers
    # would believe any local process, 127.0.0.1 being its default
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", proxy_headers=False)
    return 0
