"""The API's edges: bodies that are not strict JSON, bodies over the limit, bodies from
callers without a token, periods outside the grammar, dates that are not ISO dates, and
the security headers on every kind of response."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient

from api.app import create_app
from cli.main import main
from tests.support.api import running_api

FORMS = "a year (2026), a quarter (2026-Q1 to 2026-Q4), a stage of the policy"


@pytest.fixture(scope="module")
def api(module_db_url, tmp_path_factory):
    with running_api(module_db_url, tmp_path_factory.mktemp("evidence")) as api:
        yield api


def _urls(api) -> dict[str, str]:
    finding = api.finding(api.own, "pending")
    return {
        "review": f"/api/v1/findings/{finding}/review",
        "appeal": f"/api/v1/findings/{api.finding(api.own, 'confirmed')}/appeal",
        "decision": "/api/v1/appeals/1/decision",
    }


def _post_raw(api, who: str, url: str, body: bytes):
    headers = {**api.auth(who), "Content-Type": "application/json"}
    return api.client.post(url, content=body, headers=headers)


def _is_validation_shape(detail) -> bool:
    return isinstance(detail, list) and all(
        set(d) == {"loc", "msg", "type"} and isinstance(d["loc"], list) and d["msg"] for d in detail
    )


def test_the_validation_handler_echoes_no_input_and_escapes_what_cannot_be_encoded(api):
    """Strict JSON keeps NaN and lone surrogates out of bodies; the app's one validation
    handler answers any other 422 without the input, its keys and messages escaped."""
    app = api.client.app

    def unencodable():
        problem = {
            "loc": ("body", "\ud800"),
            "msg": "bad \udfff",
            "type": "x",
            "input": float("nan"),
        }
        raise RequestValidationError([problem])

    app.add_api_route("/api/v1/unencodable", unencodable, include_in_schema=False)
    response = api.get("admin", "/api/v1/unencodable")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"loc": ["body", "\\ud800"], "msg": "bad \\udfff", "type": "x"}]
    }
    typo = api.post("admin", _urls(api)["review"], json={"decision": "maybe", "n\u00e9": 1})
    assert typo.status_code == 422 and _is_validation_shape(typo.json()["detail"])


@pytest.mark.parametrize(
    "period", ["99999", "2026-W10", "-", "week12", "2026-Q5", "2026-13", "2026-5", "2026-q1"]
)
@pytest.mark.parametrize("policy", ["A", "B"])
def test_a_period_outside_the_grammar_gets_a_422_naming_the_forms(api, policy, period):
    for path in ("/api/v1/assessments", "/api/v1/assessments.csv", "/api/v1/assessments.xlsx"):
        response = api.get("assessment", path, params={"policy": policy, "period": period})
        assert response.status_code == 422, response.text
        (problem,) = response.json()["detail"]
        assert problem["loc"] == ["query", "period"] and problem["type"] == "value_error"
        assert FORMS in problem["msg"] and "--" not in problem["msg"]
    page = api.get("assessment", "/assessments", params={"policy": policy, "period": period})
    assert page.status_code == 200 and FORMS in page.text  # the page says it in place


@pytest.mark.parametrize(
    ("policy", "period", "says"),
    [("A", "2026-S1", "no stage 1"), ("B", "2026-S4", "no stage 4")],
)
def test_a_period_the_policy_cannot_judge_gets_a_422_in_the_validation_shape(
    api, policy, period, says
):
    response = api.get(
        "assessment", "/api/v1/assessments", params={"policy": policy, "period": period}
    )
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["query", "period"] and says in problem["msg"]


@pytest.mark.parametrize(
    ("policy", "period", "label"),
    [("A", "", "2026-11-02..2026-11-04"), ("B", "", "2026-S3"), ("A", "2026-11", "2026-11"),
     ("B", "2026-Q4", "2026-Q4"), ("B", "2026", "2026"), ("B", "2026-11", "2026-11")],
)  # fmt: skip
def test_periods_in_the_grammar_and_the_default_are_assessed(api, policy, period, label):
    response = api.get(
        "assessment", "/api/v1/assessments", params={"policy": policy, "period": period}
    )
    assert response.status_code == 200 and response.json()["period"]["label"] == label


@pytest.mark.parametrize(
    "query",
    ["/api/v1/checks?to=0", "/api/v1/checks?from=0", "/api/v1/checks?from=1793577600",
     "/api/v1/checks?to=2026-11-02T00:00:00", "/api/v1/findings?date=0",
     "/api/v1/findings?date=20261102", "/api/v1/checks?to=2026-11-31"],
)  # fmt: skip
def test_dates_are_iso_dates_only(api, query):
    response = api.get("admin", query)
    assert response.status_code == 422, response.text
    assert _is_validation_shape(response.json()["detail"])


@pytest.mark.parametrize(
    ("route", "who", "body", "says"),
    [
        ("review", "admin", b'{"decision": "confirm", "note": NaN}', "NaN"),
        ("review", "admin", b'{"decision": NaN}', "NaN"),
        ("review", "admin", b'{"decision": "confirm", "note": Infinity}', "Infinity"),
        ("review", "admin", b'{"decision": "confirm", "note": -Infinity}', "-Infinity"),
        ("review", "admin", b'{"decision": "confirm", "note": 1e999}', "too large"),
        ("review", "admin", b'{"decision": "confirm", "note": "\\ud800"}', "surrogate"),
        ("review", "admin", b'{"decision": "\\udfff"}', "surrogate"),
        ("review", "admin", b'{"\\ud800": 1}', "surrogate"),
        ("review", "admin", b'{"decision": "confirm", "note": "\xff"}', "UTF-8"),
        ("review", "admin", b'{"decision": "confirm", "note": ' + b"9" * 5000 + b"}", "digits"),
        ("review", "admin", b'{"decision": "confirm", "seen_status": [NaN]}', "NaN"),
        ("appeal", "branch", b'{"reason": "\\ud800 no"}', "surrogate"),
        ("appeal", "branch", b'{"reason": NaN}', "NaN"),
        ("decision", "admin", b'{"decision": "grant", "note": Infinity}', "Infinity"),
        ("decision", "admin", b'{"decision": "\\ud83d"}', "surrogate"),
    ],
)
def test_a_body_that_is_not_strict_json_gets_a_422_that_says_why(api, route, who, body, says):
    url = _urls(api)[route]
    response = _post_raw(api, who, url, body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert _is_validation_shape(detail) and detail[0]["loc"][0] == "body"
    assert says in detail[0]["msg"]
    if route == "review":
        assert api.get("admin", url.removesuffix("/review")).json()["status"] == "pending"


def _asgi_post(app, path: str, headers: dict[str, str], chunks: Iterator[bytes]) -> tuple[int, int]:
    """POST to the ASGI app as a server streams a body in: the status it answered and
    how many body bytes it had asked for by then."""
    read, status = 0, None
    pending = iter(chunks)
    following = next(pending, None)

    async def receive():
        nonlocal read, following
        if following is None:
            return {"type": "http.disconnect"}
        chunk, following = following, next(pending, None)
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": following is not None}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    anyio.run(app, scope, receive, send)
    return status, read


MB = 1_000_000


def _megabytes(n: int) -> Iterator[bytes]:
    chunk = b" " * MB
    for _ in range(n):
        yield chunk


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_caller_without_a_valid_token_gets_401_before_the_body_is_read(api, declared):
    url = _urls(api)["review"]
    length = {"Content-Length": str(50 * MB)} if declared else {"Transfer-Encoding": "chunked"}
    for token in ({}, {"Authorization": "Bearer not-a-token"}):
        headers = {"Content-Type": "application/json", **length, **token}
        status, read = _asgi_post(api.client.app, url, headers, _megabytes(50))
        assert (status, read) == (401, 0)


def test_a_body_over_the_limit_gets_413_without_being_read_past_it(api):
    url = _urls(api)["review"]
    headers = {**api.auth("admin"), "Content-Type": "application/json"}
    declared = {**headers, "Content-Length": str(50 * MB)}
    assert _asgi_post(api.client.app, url, declared, _megabytes(50)) == (413, 0)
    status, read = _asgi_post(api.client.app, url, headers, _megabytes(50))  # no length
    assert status == 413 and read <= 2 * MB
    big = _post_raw(api, "admin", url, b'{"decision": "confirm", "note": "' + b"n" * MB + b'"}')
    assert big.status_code == 413
    assert big.json() == {"detail": "the request body is over the limit of 1000000 bytes"}


def test_the_limit_is_set_by_create_app_and_serve(api, monkeypatch):
    served = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: served.setdefault("app", app))
    assert main(["serve", "--db", api.db.url, "--max-body", "100"]) == 0
    apps = (create_app(api.db.url, api.evidence, max_body=100), served["app"])
    for app in apps:
        with TestClient(app) as client:
            url, headers = _urls(api)["review"], {**api.auth("admin")}
            small = client.post(url, json={"decision": "maybe"}, headers=headers)
            assert small.status_code == 422  # read and judged
            large = client.post(
                url, json={"decision": "confirm", "note": "n" * 100}, headers=headers
            )
            assert large.status_code == 413 and "100 bytes" in large.json()["detail"]
        app.state.settings.db.dispose()


SECURITY = {
    "content-security-policy": "default-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def test_every_response_carries_the_security_headers(api):
    fid = api.finding(api.own, "pending")
    client = TestClient(api.client.app, raise_server_exceptions=False)

    def boom():
        raise RuntimeError("a bug")

    api.client.app.add_api_route("/api/v1/boom", boom, include_in_schema=False)  # a 500
    responses = {
        "json": api.get("admin", "/api/v1/me"),
        "csv": api.get("admin", "/api/v1/assessments.csv"),
        "clip": api.get("admin", f"/api/v1/findings/{fid}/clip"),
        "page": api.get("admin", "/review"),
        "login page": api.client.get("/login"),
        "redirect": api.client.get("/", follow_redirects=False),
        "static": api.client.get("/static/app.css"),
        "401": api.client.get("/api/v1/me"),
        "404": api.get("admin", "/api/v1/findings/nosuchfinding"),
        "404 page": api.get("admin", "/branches/nosuch"),
        "422": api.get("admin", "/api/v1/checks?to=0"),
        "413": _post_raw(api, "admin", f"/api/v1/findings/{fid}/review", b" " * (MB + 1)),
        "strict JSON 422": _post_raw(api, "admin", f"/api/v1/findings/{fid}/review", b"NaN"),
        "500": client.get("/api/v1/boom", headers=api.auth("admin")),
    }
    for what, response in responses.items():
        for name, value in SECURITY.items():
            assert response.headers.get(name) == value, (what, name, response.status_code)
        api_path = response.request.url.path.startswith("/api/")
        assert (response.headers.get("cache-control") == "no-store") == api_path, what
    assert responses["500"].status_code == 500
