"""`branch-audit` command line: one module per subcommand, registered here."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

# Each module exposes `register(subparsers)`, which adds its parser with `func` set to a
# callable taking the parsed args and returning an exit code.
COMMAND_MODULES = (
    "cli.detect",
    "cli.observe",
    "cli.score",
    "cli.assess",
    "cli.coverage",
    "cli.site",
    "cli.token",
    "cli.serve",
    "cli.run",
    "cli.report",
    "cli.notice",
    "cli.dataset",
    "cli.train",
    "cli.evaluate",
)


class UserError(Exception):
    """Bad input from the user: printed as one line, exit status 2, no traceback."""


def user_errors() -> tuple[type[Exception], ...]:
    """Errors that mean bad input, not a bug: every stage's own error class."""
    from detectors.base import DetectorError
    from detectors.config_base import ConfigError
    from pipeline.footage.sampler import VideoError
    from pipeline.report.build import ReportError
    from pipeline.report.notice import NoticeError
    from pipeline.site import SiteError
    from pipeline.store.db import DatabaseError
    from rules.periods import PeriodError

    return (
        UserError, DetectorError, VideoError, ReportError, NoticeError, SiteError,
        DatabaseError, ConfigError, PeriodError,
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="branch-audit",
        description="Review bank branches' surveillance recordings against the off-site checklist.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except user_errors() as exc:
        print(f"branch-audit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    # `python -m cli.main`: run the module the commands import (cli.main), not this copy
    # (__main__), whose UserError they never raise
    from cli.main import main as registered_main

    sys.exit(registered_main())
