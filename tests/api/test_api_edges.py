"""The API's edges: 422s that never echo what cannot be encoded, periods outside the
grammar, dates that are not ISO dates."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError

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
    [("A", "2026-S1", "no stage 1"), ("B", "2026-S4", "no stage 4"), ("B", "2026-11", "month")],
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
     ("B", "2026-Q4", "2026-Q4"), ("B", "2026", "2026")],
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
