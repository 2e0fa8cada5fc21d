"""The OpenAPI document lists every status each route answers, each with its real body:
`{"detail": str}` for errors, the validation shape for 422. (That the app answers what
the document says is tests/api/test_api_fuzz.py's work.)"""

from __future__ import annotations

import pytest

from api.app import create_app

# 429: an address over the limit of invalid tokens (api/attempts.py), on every route
READ = {200, 401, 403, 404, 422, 429}
FILE = READ | {206, 400, 416}  # FileResponse honours Range
DECIDE = {401, 403, 404, 409, 413, 422, 429}
ASSESS = {200, 401, 403, 422, 429}
STATUSES = {
    ("get", "/api/v1/me"): {200, 401, 429},
    ("get", "/api/v1/branches"): {200, 401, 429},
    ("get", "/api/v1/checks"): READ,
    ("get", "/api/v1/findings"): READ,
    ("get", "/api/v1/findings/{finding_id}"): READ,
    # a moment's clip: 202 while it is drawn, 503 when the queue is full
    ("get", "/api/v1/findings/{finding_id}/clip"): FILE | {202, 503},
    ("get", "/api/v1/findings/{finding_id}/keyframe"): FILE,
    ("get", "/api/v1/findings/{finding_id}/reference"): FILE,
    ("get", "/api/v1/findings/{finding_id}/timeline"): READ,
    ("post", "/api/v1/findings/{finding_id}/review"): DECIDE | {200},
    ("post", "/api/v1/findings/{finding_id}/undo"): DECIDE - {413} | {200},
    ("post", "/api/v1/findings/{finding_id}/reopen"): DECIDE | {200},
    ("post", "/api/v1/findings/{finding_id}/appeal"): DECIDE | {201},
    # what deciding them together would do: nothing is decided, so nothing conflicts
    ("post", "/api/v1/findings/bulk/preview"): DECIDE - {409} | {200},
    ("get", "/api/v1/appeals"): READ,
    ("post", "/api/v1/appeals/{appeal_id}/decision"): DECIDE | {200},
    ("post", "/api/v1/appeals/{appeal_id}/reopen"): DECIDE | {200},
    ("get", "/api/v1/branches/{branch_id}/rectifications"): READ,
    ("post", "/api/v1/branches/{branch_id}/rectifications"): DECIDE - {409} | {201},
    ("post", "/api/v1/rectifications/{order_id}/close"): DECIDE | {200},
    ("post", "/api/v1/rectifications/{order_id}/withdraw"): DECIDE | {200},
    ("get", "/api/v1/branches/{branch_id}/notices/{week}"): READ,
    ("post", "/api/v1/branches/{branch_id}/notices/{week}"): DECIDE - {409} | {201},
    ("get", "/api/v1/candidates"): READ,
    ("get", "/api/v1/candidates/{candidate_id}"): READ,
    ("get", "/api/v1/candidates/{candidate_id}/image"): FILE,
    ("post", "/api/v1/candidates/{candidate_id}/review"): DECIDE | {200},
    ("post", "/api/v1/candidates/{candidate_id}/undo"): DECIDE - {413} | {200},
    ("get", "/api/v1/assessments"): ASSESS,
    ("get", "/api/v1/assessments.csv"): ASSESS,
    ("get", "/api/v1/assessments.xlsx"): ASSESS,
}


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('doc') / 'doc.db'}")
    yield app.openapi()
    app.state.settings.db.dispose()


def _schema(response: dict) -> dict:
    return response["content"]["application/json"]["schema"]


def test_every_route_lists_the_statuses_it_answers(document):
    listed = {
        (method, path): {int(code) for code in operation["responses"]}
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert listed == STATUSES


def test_errors_are_documented_with_their_bodies(document):
    schemas = document["components"]["schemas"]
    assert schemas["ErrorOut"]["required"] == ["detail"]
    assert schemas["ErrorOut"]["properties"]["detail"]["type"] == "string"
    assert set(schemas["ValidationError"]["required"]) == {"loc", "msg", "type"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                where = (method, path, code)
                if code == "422":
                    assert _schema(response) == {
                        "$ref": "#/components/schemas/HTTPValidationError"
                    }, where
                elif code in ("400", "416"):  # Starlette's own plain-text answers to Range
                    assert list(response["content"]) == ["text/plain"], where
                elif code.startswith("4"):
                    assert _schema(response) == {"$ref": "#/components/schemas/ErrorOut"}, where
                    assert response["description"], where


def test_the_period_parameter_states_the_grammar(document):
    (period,) = [
        p for p in document["paths"]["/api/v1/assessments"]["get"]["parameters"]
        if p["name"] == "period"
    ]  # fmt: skip
    assert period["schema"]["pattern"].startswith("^$|^([0-9]{4})")
    assert "a quarter (2026-Q1 to 2026-Q4)" in period["description"]
