"""Schemathesis's engine over the app, as `st run --checks all` runs it (the API tests)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import StopReason, events, from_schema

from pipeline.report.notice import NoticeError, week_days
from rules.assessment import assessment_rows
from rules.periods import COLUMNS, PeriodError
from rules.policies import load_policy
from tests.support.api import DAYS

BOUNDS = {
    "generation": {"max-examples": 10, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"max-steps": 5}},
    "cache": {"enabled": False},
}
UNLIMITED = 1_000_000  # failed tries from one address
ONE_SCORE = pd.DataFrame([("X", "r", DAYS[0], 100.0)], columns=list(COLUMNS))


def _judged(case) -> bool:
    """Whether a request keeps the rules between parameters that OpenAPI cannot state
    (test_api's table checks the 422s of those that do not): `from` not after `to`, a
    period the policy has a rule for, a candidate's drawn box inside its image, a week
    that the year has, and a dismissal's reason code only with a dismissal
    (tests/api/test_notices.py checks those 422s)."""
    body = case.body if isinstance(case.body, dict) else {}
    if case.path.startswith("/api/v1/candidates") and body.get("box") is not None:
        return False  # a drawn box: within the stored image, whose size the schema cannot know
    if body.get("reason_code") is not None and body.get("decision") != "dismiss":
        return False
    week = (case.path_parameters or {}).get("week")
    if isinstance(week, str):
        try:
            week_days(week)
        except NoticeError:
            return False
    query = case.query or {}
    start, end = query.get("from"), query.get("to")
    if isinstance(start, str) and isinstance(end, str) and start > end:
        return False
    policy, period = query.get("policy", "A"), query.get("period")
    if (
        case.path.startswith("/api/v1/assessments")
        and policy in ("A", "B")
        and (period is None or isinstance(period, str))
    ):
        try:
            assessment_rows(ONE_SCORE, load_policy(policy), period or None)
        except PeriodError:
            return False
    return True


def _failures(schema) -> list[str]:
    """Each distinct failure the run found, with a curl command that reproduces it."""
    found: dict[tuple[str, str, str], str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        key = (event.recorder.label, failure.title, failure.message)
                        found.setdefault(key, check.failure_info.code_sample)
        elif isinstance(event, events.NonFatalError):
            found[(event.label, "error", str(event.value))] = ""
        elif isinstance(event, events.FatalError):
            found[("engine", "error", repr(event.exception))] = ""
        elif isinstance(event, events.EngineFinished) and event.stop_reason != StopReason.COMPLETED:
            found[("engine", "stopped", event.stop_reason)] = ""
    return [
        f"{where}: {title}\n{message}\n{sample}"
        for (where, title, message), sample in found.items()
    ]


def contract_failures(app, headers: dict[str, str]) -> list[str]:
    """Every distinct failure of every phase and check over `app`, bounded. The run sends
    wrong tokens on purpose (its authentication check), all from one address: under the
    usual limit the rest of it would be 429s, so the limit is lifted for the run (it is
    tested in tests/api/test_guessing.py)."""
    config = SchemathesisConfig.from_dict({**BOUNDS, "headers": headers})
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config, headers=headers)

    @schema.hook
    def filter_case(context, case) -> bool:
        return _judged(case)

    settings = app.state.settings
    app.state.settings = replace(settings, failures=UNLIMITED)
    try:
        return _failures(schema)
    finally:
        app.state.settings = settings
