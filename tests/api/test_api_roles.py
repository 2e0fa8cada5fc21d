"""The role matrix: each role on each route, for its own branch and another region's.

A role without the capability gets 403; a branch outside the caller's scope is answered
exactly like one that does not exist (404), so nothing about it leaks. Supervisors review,
the province (the level above) decides appeals, only an admin reopens a decided one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select

from pipeline.store import models as m
from tests.support.api import PERSONAS, running_api

ALL = set(PERSONAS)
READERS = {"admin", "province", "supervisor", "branch"}
REVIEWERS = {"admin", "supervisor"}
DECIDERS = {"admin", "province"}
UNCONFINED = {"admin", "province", "assessment"}  # not limited to a region or a branch

# name: method, url, status when allowed, roles allowed
ROUTES = {
    "checks": ("GET", "/api/v1/checks?branch={branch}", 200, ALL),
    "findings": ("GET", "/api/v1/findings?branch={branch}", 200, READERS),
    "finding": ("GET", "/api/v1/findings/{finding}", 200, READERS),
    "clip": ("GET", "/api/v1/findings/{finding}/clip", 200, READERS),
    "keyframe": ("GET", "/api/v1/findings/{finding}/keyframe", 200, READERS),
    "timeline": ("GET", "/api/v1/findings/{finding}/timeline", 200, READERS),
    "review": ("POST", "/api/v1/findings/{finding}/review", 200, REVIEWERS),
    "appeal": ("POST", "/api/v1/findings/{finding}/appeal", 201, {"branch"}),
    "appeals": ("GET", "/api/v1/appeals?branch={branch}", 200, READERS),
    "decide": ("POST", "/api/v1/appeals/{appeal}/decision", 200, DECIDERS),
    "reopen": ("POST", "/api/v1/appeals/{appeal}/reopen", 200, {"admin"}),
    "branch page": ("GET", "/branches/{branch}", 200, ALL),
    "review page": ("GET", "/review?branch={branch}", 200, REVIEWERS),
    "finding page": ("GET", "/findings/{finding}", 200, READERS),
    "reviewed page": ("GET", "/reviewed?branch={branch}", 200, READERS),
    "issue notice": ("POST", "/api/v1/branches/{branch}/notices/2026-W45", 201, REVIEWERS),
    "notices": ("GET", "/api/v1/branches/{branch}/notices/2026-W45", 200, READERS),
}
BODIES = {
    "review": {"decision": "confirm", "seen_status": "pending", "note": "matrix"},
    "appeal": {"reason": "matrix"},
    "decide": {"decision": "uphold"},
    "reopen": {"reason": "matrix"},
    "issue notice": {},  # no body: the notice as it stands is issued
}
# the appeal each route needs: a pending one to list or decide, an upheld one to reopen
APPEAL = {"appeals": "pending", "decide": "pending", "reopen": "upheld"}


@pytest.fixture(scope="module")
def api(module_db_url, tmp_path_factory):
    with running_api(module_db_url, tmp_path_factory.mktemp("evidence")) as api:
        yield api


def _target(api, branch: str, route: str) -> dict:
    """A confirmed finding of `branch` (pending for the review route: only a pending one
    is reviewed) without appeals or the matrix's reviews (with a fresh appeal where the
    route needs one), so every allowed call succeeds however often the matrix makes it,
    and no decider is barred for having reviewed it."""
    with api.db.session() as s:
        finding = s.scalars(
            select(m.Finding).where(
                m.Finding.branch_id == branch,
                m.Finding.reviews.any(m.Review.reviewer == "night-supervisor"),
            )
        ).first()
        finding.status = "pending" if route == "review" else "confirmed"
        s.execute(delete(m.Appeal).where(m.Appeal.finding_id == finding.id))
        s.execute(
            delete(m.Review).where(m.Review.finding_id == finding.id, m.Review.note == "matrix")
        )
        appeal = None
        if route in APPEAL:
            now = datetime.now(UTC)
            decided = APPEAL[route] != "pending"
            appeal = m.Appeal(
                finding_id=finding.id, reason="r", by="bo", at=now, status=APPEAL[route],
                decided_by="pat" if decided else None, decided_at=now if decided else None,
            )  # fmt: skip
            s.add(appeal)
            s.flush()
        return {"branch": branch, "finding": finding.id, "appeal": appeal and appeal.id}


def _expected(role: str, route: str, whose: str) -> int:
    _, _, ok, roles = ROUTES[route]
    if role not in roles:
        return 403
    if whose == "other" and role not in UNCONFINED:
        return 404
    return ok


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("role", PERSONAS)
def test_role_matrix(api, role, route, whose):
    branch = api.own if whose == "own" else api.other
    target = _target(api, branch, route)
    method, url, _, _ = ROUTES[route]
    url = url.format(**target)
    response = api.get(role, url) if method == "GET" else api.post(role, url, json=BODIES[route])
    expected = _expected(role, route, whose)
    assert response.status_code == expected, response.text
    with api.db.session() as s:
        name = s.get(m.Branch, branch).name
    if expected == 404:
        assert name not in response.text
        if url.startswith("/api/"):
            assert response.json()["detail"].startswith(("no branch", "no finding", "no appeal"))
    if expected == 403:
        assert name not in response.text and target["finding"] not in response.text
    if expected == 200 and url.startswith("/api/") and route in ("checks", "findings", "appeals"):
        rows = response.json()
        rows = rows["items"] if isinstance(rows, dict) else rows
        assert rows and {r["branch"] for r in rows} == {branch}


VISIBLE = {
    "admin": {"JS-HA-001", "JS-HA-002", "JS-SZ-001", "JS-SZ-002"},
    "province": {"JS-HA-001", "JS-HA-002", "JS-SZ-001", "JS-SZ-002"},
    "assessment": {"JS-HA-001", "JS-HA-002", "JS-SZ-001", "JS-SZ-002"},
    "supervisor": {"JS-HA-001", "JS-HA-002"},  # region huaian
    "branch": {"JS-HA-001"},
}


@pytest.mark.parametrize("role", PERSONAS)
def test_unfiltered_lists_hold_only_the_callers_branches(api, role):
    assert {b["id"] for b in api.get(role, "/api/v1/branches").json()} == VISIBLE[role]
    assert {c["branch"] for c in api.get(role, "/api/v1/checks").json()} == VISIBLE[role]
    report = api.get(role, "/api/v1/assessments?policy=B").json()
    assert {r["branch"] for r in report["branches"]} == VISIBLE[role]
    ranks = {
        r["branch"]: r["rank"]
        for r in api.get("admin", "/api/v1/assessments?policy=B").json()["branches"]
    }
    assert all(
        r["rank"] == ranks[r["branch"]] for r in report["branches"]
    )  # ranks stay province-wide
    findings = api.get(role, "/api/v1/findings?per_page=200")
    if role == "assessment":
        assert findings.status_code == 403
    else:
        assert {f["branch"] for f in findings.json()["items"]} <= VISIBLE[role]
        assert api.own in {f["branch"] for f in findings.json()["items"]}
