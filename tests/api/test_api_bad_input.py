"""Bad input at every door, as tables, on SQLite and PostgreSQL: bodies nested too deep
(login and API routes), path parameters no id can be (NUL, control characters, overlong,
other scripts), 422s that would echo what was sent, and a branch out of the caller's
scope, which every route with a branch filter answers alike: 404."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from tests.support.api import running_api


@pytest.fixture(scope="module")
def api(module_db_url, tmp_path_factory):
    with running_api(module_db_url, tmp_path_factory.mktemp("evidence")) as api:
        yield api


def _routes(routes) -> list[APIRoute]:
    """Every route of the app, into the routers it includes (FastAPI keeps those whole)."""
    out = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out += _routes(route.original_router.routes)
    return out


def _path_routes(app) -> list[APIRoute]:
    found = [r for r in _routes(app.routes) if r.dependant.path_params]
    assert len(found) >= 15, [r.path for r in found]  # the walk reaches into the routers
    return found


# ---- row 6: nesting ----------------------------------------------------------------

NESTED = {
    "1000 arrays": b"[" * 1000 + b"]" * 1000,
    "1000 open arrays": b"[" * 1000,
    "100000 open arrays": b"[" * 100_000,
    "33 objects": b'{"a":' * 33 + b"1" + b"}" * 33,
    "arrays in a decision": b'{"decision": ' + b"[" * 500 + b"]" * 500 + b"}",
}


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
@pytest.mark.parametrize(
    "url, who",
    [
        ("/login", None),
        ("/api/v1/findings/{pending}/review", "supervisor"),
        ("/api/v1/appeals/1/decision", "province"),
        ("/api/v1/candidates/1/review", "supervisor"),
    ],
)
def test_a_body_nested_too_deep_gets_a_422_not_a_500(api, url, who, body):
    url = url.format(pending=api.finding(api.own, "pending"))
    headers = {"Content-Type": "application/json", "Origin": "http://testserver"}
    if who:
        headers.update(api.auth(who))
    got = api.client.post(url, content=body, headers=headers)
    assert got.status_code == 422, got.text
    assert "nested over 32 deep" in got.json()["detail"][0]["msg"]


def test_a_body_nested_to_the_limit_is_parsed_and_judged_on_its_fields(api):
    body = b'{"decision": "confirm", "note": ' + b"[" * 31 + b"]" * 31 + b"}"
    url = f"/api/v1/findings/{api.finding(api.own, 'pending')}/review"
    got = api.client.post(url, content=body, headers={**api.auth("supervisor"),
                                                      "Content-Type": "application/json"})  # fmt: skip
    assert got.status_code == 422 and got.json()["detail"][0]["loc"] == ["body", "note"]


# ---- row 11: path parameters -------------------------------------------------------


def test_every_path_parameter_is_bounded_by_a_pattern_or_a_range(api):
    """A new route with a free-text path parameter fails here before it can hand a NUL
    to PostgreSQL."""
    loose = []
    for route in _path_routes(api.client.app):
        for param in route.dependant.path_params:
            meta = {type(m).__name__: m for m in param.field_info.metadata}
            bounded = any(getattr(m, "pattern", None) for m in meta.values()) or (
                param.field_info.annotation is int and {"Ge", "Le"} <= set(meta)
            )
            if not bounded:
                loose.append(f"{route.path} {param.name}")
    assert not loose


BAD_IDS = {
    "NUL": "%00",
    "NUL inside": "JS-HA-001%00x",
    "control": "%01%1f",
    "DEL": "%7f",
    "line feed": "a%0Ab",
    "overlong": "A" * 300,
    "full-width": "%EF%BC%A1%EF%BC%A2",
    "zero-width": "a%E2%80%8Bb",
    "space": "%20",
    "negative": "-1",
    "huge": "9" * 30,
    "lone surrogate bytes": "%ED%A0%80",
}


@pytest.mark.parametrize("value", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_no_path_parameter_value_gets_a_500(api, value):
    """Every route with a path parameter, every parameter replaced in turn, as the admin
    (who sees every branch; 403 where the role may not): 404 or 422, never the input."""
    answered = {}
    for route in _path_routes(api.client.app):
        good = {"finding_id": api.finding(api.own, "pending"), "branch_id": api.own,
                "week": "2026-W45", "candidate_id": "1", "appeal_id": "1", "order_id": "1",
                "camera_id": "counter-1"}  # fmt: skip
        for param in route.dependant.path_params:
            url = route.path.format(**{**good, param.name: value})
            for method in route.methods - {"HEAD"}:
                got = api.client.request(method, url, headers=api.auth("admin"), json={})
                answered[f"{method} {url}"] = got.status_code
                assert got.status_code in (403, 404, 422), (method, url, got.text)
                if got.status_code == 422 and len(value) > 3:
                    assert value not in got.text
    assert answered


# ---- row 12: nothing echoed -------------------------------------------------------

ECHOES = {
    "period": ("/api/v1/assessments", {"period": "<b>ECHO-ME</b>"}),
    "period long": ("/api/v1/assessments", {"period": "<script>ECHO-ME-" + "x" * 40}),
    "period stage": ("/api/v1/assessments", {"policy": "A", "period": "2026-S9"}),
    "date": ("/api/v1/findings", {"date": "<b>ECHO-ME</b>"}),
    "status": ("/api/v1/findings", {"status": "<b>ECHO-ME</b>"}),
    "branch": ("/api/v1/findings", {"branch": "<b>ECHO-ME</b>"}),
    "policy": ("/api/v1/assessments", {"policy": "<b>ECHO-ME</b>"}),
    "page": ("/api/v1/findings", {"page": "ECHO-ME"}),
    "export period": ("/api/v1/assessments.csv", {"period": "=HYPERLINK(ECHO-ME)"}),
}


@pytest.mark.parametrize("url, query", ECHOES.values(), ids=ECHOES.keys())
def test_a_422_never_echoes_the_input(api, url, query):
    got = api.get("admin", url, params=query)
    assert got.status_code == 422, got.text
    for value in query.values():
        assert value not in got.text and value[:20] not in got.text and "ECHO" not in got.text
    assert all(d["msg"] for d in got.json()["detail"])


# ---- row 13: out of scope ----------------------------------------------------------

SCOPED_LISTS = ("/api/v1/findings", "/api/v1/candidates", "/api/v1/appeals", "/api/v1/checks")


@pytest.mark.parametrize("url", SCOPED_LISTS)
@pytest.mark.parametrize("branch", ["other", "NO-SUCH-BRANCH"])
def test_a_branch_out_of_scope_answers_404_on_every_list(api, url, branch):
    """The supervisor's other region and a branch that does not exist answer alike, so
    the answer tells nobody which branches exist."""
    got = api.get("supervisor", url, params={"branch": getattr(api, branch, branch)})
    assert got.status_code == 404, got.text
    assert got.json()["detail"].startswith("no branch")
    mine = api.get("supervisor", url, params={"branch": api.own})
    assert mine.status_code == 200


@pytest.mark.parametrize("query", [{"from": "2026-13-45"}, {"date": "2026-02-30"}])
def test_a_page_s_422_never_echoes_the_input_either(api, query):
    got = api.get("admin", "/reviewed", params=query)
    assert got.status_code == 422
    assert next(iter(query.values())) not in got.text and "not a calendar date" in got.text
