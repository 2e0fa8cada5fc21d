"""The bulk confirm step's summary (api/bulk.py) is what the decisions then do: per branch,
the findings, the points off the final score and the fines; asking for it changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline.store import models as m
from tests.support.api import running_api


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _pending(api) -> list[str]:
    with api.db.session() as s:
        return list(
            s.scalars(
                select(m.Finding.id)
                .where(m.Finding.branch_id == api.own, m.Finding.status == "pending")
                .order_by(m.Finding.start)
            )
        )


def _finals(api) -> dict[str, float]:
    rows = api.get("admin", f"/api/v1/checks?branch={api.own}").json()
    return {r["date"]: r["final_score"] for r in rows}


def test_the_preview_is_what_confirming_them_does_and_changes_nothing(api):
    ids = _pending(api)
    assert len(ids) >= 2
    decided = api.get("admin", f"/api/v1/findings?branch={api.own}&status=confirmed").json()
    finals = _finals(api)
    preview = api.post(
        "supervisor", "/api/v1/findings/bulk/preview", json={"ids": ids, "decision": "confirm"}
    )
    assert preview.status_code == 200, preview.text
    summary = preview.json()
    assert summary["findings"] == len(ids) and summary["left_out"] == []
    (branch,) = summary["branches"]
    assert branch["branch"] == api.own and branch["findings"] == len(ids)
    assert {d["date"]: d["final_before"] for d in branch["days"]}.items() <= finals.items()
    # asking changed nothing
    assert _pending(api) == ids and _finals(api) == finals
    assert api.get("admin", f"/api/v1/findings?branch={api.own}&status=confirmed").json() == decided

    yuan = 0.0
    for fid in ids:
        done = api.post(
            "supervisor", f"/api/v1/findings/{fid}/review", json={"decision": "confirm"}
        )
        assert done.status_code == 200, done.text
    for fid in ids:
        yuan += api.get("admin", f"/api/v1/findings/{fid}").json()["fine_yuan"] or 0.0
    after = _finals(api)
    assert branch["points"] == pytest.approx(sum(finals[d] - after[d] for d in finals))
    assert branch["points"] > 0
    assert branch["yuan"] == pytest.approx(yuan)
    for day in branch["days"]:
        assert day["final_after"] == after[day["date"]]


def test_the_preview_leaves_out_what_is_decided_and_is_for_reviewers_only(api):
    ids = _pending(api)[:2]
    api.post("supervisor", f"/api/v1/findings/{ids[0]}/review", json={"decision": "dismiss"})
    summary = api.post(
        "supervisor", "/api/v1/findings/bulk/preview", json={"ids": ids, "decision": "confirm"}
    ).json()
    assert summary["left_out"] == [ids[0]] and summary["findings"] == 1
    refused = api.post(
        "branch", "/api/v1/findings/bulk/preview", json={"ids": ids, "decision": "confirm"}
    )
    assert refused.status_code == 403
    elsewhere = api.finding(api.other, "pending")
    hidden = api.post(
        "supervisor",
        "/api/v1/findings/bulk/preview",
        json={"ids": [elsewhere], "decision": "confirm"},
    )
    assert hidden.status_code == 404
