"""`branch-audit token create`: a new API token, printed once (only its digest is kept)."""

from __future__ import annotations

import argparse

from api.auth import Role, TokenError, issue_token
from cli.main import UserError
from cli.options import DB_HELP
from pipeline.store.db import Database


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
    create.add_argument("--name", help="who holds it, as recorded in the audit log")
    create.add_argument("--db", help=DB_HELP)
    create.set_defaults(func=run_create)


def run_create(args: argparse.Namespace) -> int:
    db = Database(args.db)
    try:
        with db.session() as session:
            token = issue_token(session, args.role, args.name, args.region, args.branch)
    except TokenError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.dispose()
    where = args.region or args.branch or "all branches"
    print(
        f"token for {args.name or args.role} ({args.role}, {where}); store it now, it is not kept:"
    )
    print(token)
    return 0
