"""`branch-audit token create|list|revoke`: API tokens; a new one is printed once (only
its digest is kept), and nothing lists a token again."""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from dataclasses import asdict
from datetime import datetime, timedelta

from api.auth import Role
from api.tokens import TOKEN_LIFETIME, TokenError, TokenInfo, issue_token, list_tokens, revoke_token
from cli.main import UserError
from cli.options import DB_HELP
from pipeline.store.db import Database

UNITS = {"d": "days", "h": "hours"}


def lifetime(text: str) -> timedelta:
    """`90d` or `12h`: how long a new token lasts."""
    match = re.fullmatch(r"([1-9][0-9]{0,4})([dh])", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of days or hours, e.g. 90d or 12h")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("token", help="manage API tokens")
    sub = p.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = sub.add_parser(
        "create",
        help="create a token and print it on the last line",
        description="Create an API token for a role; the token is printed once, on the last "
        "line, and only its sha256 digest is stored.",
    )
    create.add_argument("--role", required=True, choices=[str(r) for r in Role])
    create.add_argument("--region", help="the region a supervisor inspects")
    create.add_argument("--branch", help="the branch a branch manager's token is for")
    create.add_argument(
        "--name", help="the token's name, unique, as recorded in reviews and the audit log"
    )
    create.add_argument(
        "--holder",
        help="the person who holds it (default: its name): one person's tokens of several "
        "roles name the same holder, and never decide an appeal of what they reviewed",
    )
    create.add_argument(
        "--expires",
        type=lifetime,
        default=TOKEN_LIFETIME,
        metavar="Nd|Nh",
        help=f"lifetime, in days or hours (default: {TOKEN_LIFETIME.days}d)",
    )
    create.add_argument(
        "--allow-unknown",
        action="store_true",
        help="issue for a --branch or --region not in the database yet (before its first run)",
    )
    create.add_argument("--db", help=DB_HELP)
    create.set_defaults(func=run_create)
    listing = sub.add_parser(
        "list",
        help="list tokens (never the tokens themselves)",
        description="Every token's holder, role, scope, creation, expiry, last use and "
        "revocation; the tokens and their digests are never shown.",
    )
    listing.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    listing.add_argument("--db", help=DB_HELP)
    listing.set_defaults(func=run_list)
    revoke = sub.add_parser(
        "revoke",
        help="revoke a holder's token",
        description="Revoke a token: from its next request on it gets 401, in open "
        "browser sessions too. Audited.",
    )
    revoke.add_argument("--name", required=True, help="the holder, as `token list` shows")
    revoke.add_argument("--db", help=DB_HELP)
    revoke.set_defaults(func=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    db = Database(args.db)
    try:
        with db.session() as session:
            issued = issue_token(
                session, args.role, args.name, args.region, args.branch, args.expires,
                args.allow_unknown, args.holder,
            )  # fmt: skip
    except TokenError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.dispose()
    info = issued.info
    print(
        f"token {info.name} for {info.holder} ({info.role}, {info.scope}), expires "
        f"{_when(info.expires_at)}; "
        "store it now, it is not kept:"
    )
    print(issued.token)
    return 0


def run_list(args: argparse.Namespace) -> int:
    db = Database(args.db)
    try:
        with db.session() as session:
            tokens = list_tokens(session)
    finally:
        db.dispose()
    print(
        json.dumps([_doc(t) for t in tokens], ensure_ascii=False, indent=2)
        if args.json
        else _table(tokens)
    )
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    db = Database(args.db)
    try:
        with db.session() as session:
            info = revoke_token(session, args.name)
    except TokenError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.dispose()
    print(
        f"revoked the token of {info.name} ({info.role}, {info.scope}) at {_when(info.revoked_at)}"
    )
    return 0


def _when(at: datetime | None, never: str = "") -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else never


def _doc(info: TokenInfo) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(info).items()}


COLUMNS = ("name", "holder", "role", "scope", "created", "expires", "last used", "revoked")


def _width(text: str) -> int:
    """Columns a terminal gives `text`: Chinese holder names take two each."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(tokens: list[TokenInfo]) -> str:
    rows = [COLUMNS] + [
        (t.name, t.holder, t.role, t.scope, _when(t.created_at), _when(t.expires_at, "never"),
         _when(t.last_used_at, "-"), _when(t.revoked_at, "-"))
        for t in tokens
    ]  # fmt: skip
    widths = [max(_width(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(
            cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    )
