"""The API over a database filled by a real nightly run on the shared clip (the `run`
tests' branch), with its real evidence: what the run found is what the API serves, and a
supervisor's review moves the score the policy way."""

import av
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.tokens import issue_token
from pipeline.store import models as m
from tests.support.fuzz import contract_failures
from tests.support.run_site import BRANCH, DAY, build_site, run_cli


@pytest.fixture(scope="module")
def api(tmp_path_factory, footage):
    root = tmp_path_factory.mktemp("real-run")
    url = f"sqlite:///{root / 'night.db'}"
    doc = run_cli(build_site(root, footage), url, "--evidence", str(root / "evidence"))
    app = create_app(url, root / "evidence")
    db = app.state.settings.db
    with db.session() as s:
        s.add(m.Branch(id="OTHER-1", name="other", region="elsewhere", timezone="Asia/Shanghai",
                       updated_at=s.scalars(select(m.Branch.updated_at)).first()))  # fmt: skip
        s.flush()
        tokens = {
            "supervisor": issue_token(s, "supervisor", "sam", region="test").token,
            "other_branch": issue_token(s, "branch", "olga", branch="OTHER-1").token,
            "admin": issue_token(s, "admin", "ada").token,
        }
    with TestClient(app) as client:
        yield client, doc, tokens, root


def _get(client, token, path, headers=(), **kw):
    return client.get(path, headers={"Authorization": f"Bearer {token}", **dict(headers)}, **kw)


def test_the_runs_findings_are_served_with_playable_evidence(api):
    client, doc, tokens, root = api
    found = doc["branches"][BRANCH]["findings"]
    assert found, "the run on the real clip found the absences it should"
    listed = _get(client, tokens["supervisor"], "/api/v1/findings", params={"branch": BRANCH})
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert sorted(f["id"] for f in items) == sorted(f["id"] for f in found)
    first = found[0]["id"]
    clip = _get(client, tokens["supervisor"], f"/api/v1/findings/{first}/clip")
    assert clip.status_code == 200 and clip.headers["content-type"] == "video/mp4"
    (root / "served.mp4").write_bytes(clip.content)
    with av.open(str(root / "served.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) > 10
    part = _get(client, tokens["supervisor"], f"/api/v1/findings/{first}/clip",
                headers={"Range": "bytes=0-99"})  # fmt: skip
    assert part.status_code == 206 and len(part.content) == 100


def test_a_confirmed_absence_lowers_the_final_score(api):
    client, doc, tokens, _ = api
    checks = _get(client, tokens["supervisor"], "/api/v1/checks", params={"branch": BRANCH})
    (before,) = [c for c in checks.json() if c["date"] == DAY.isoformat()]
    assert before["final_score"] == 100 and before["provisional_score"] < 100
    finding = doc["branches"][BRANCH]["findings"][0]
    review = client.post(
        f"/api/v1/findings/{finding['id']}/review",
        json={"decision": "confirm", "note": "post empty on the clip"},
        headers={"Authorization": f"Bearer {tokens['supervisor']}"},
    )
    assert review.status_code == 200, review.text
    checks = _get(client, tokens["supervisor"], "/api/v1/checks", params={"branch": BRANCH})
    (after,) = [c for c in checks.json() if c["date"] == DAY.isoformat()]
    assert after["final_score"] < 100  # confirmed: it counts now
    assert after["provisional_score"] == before["provisional_score"]  # it counted already


def test_another_branch_cannot_see_these_findings(api):
    client, doc, tokens, _ = api
    finding = doc["branches"][BRANCH]["findings"][0]
    assert (
        _get(client, tokens["other_branch"], f"/api/v1/findings/{finding['id']}").status_code == 404
    )
    listed = _get(client, tokens["other_branch"], "/api/v1/findings").json()
    assert listed["items"] == []


def test_a_check_with_too_little_footage_is_incomplete_and_ranks_nowhere(api):
    """The test branch's clips leave a fifth of its day unseen (tests/support/run_site.py):
    its check is incomplete, so it is assessed as such, never ranked or rewarded."""
    client, _, tokens, _ = api
    checks = _get(client, tokens["supervisor"], "/api/v1/checks", params={"branch": BRANCH})
    (check,) = [c for c in checks.json() if c["date"] == DAY.isoformat()]
    assert check["coverage"] < 0.9 and check["complete"] is False
    for policy in ("A", "B"):
        report = _get(
            client, tokens["supervisor"], "/api/v1/assessments", params={"policy": policy}
        ).json()
        (row,) = [b for b in report["branches"] if b["branch"] == BRANCH]
        assert (row["outcome"], row["rank"], row["yuan"]) == ("incomplete", None, 0)


def test_the_api_keeps_its_documented_contract_over_a_real_night(api):
    """Schemathesis, every phase and check (tests/support/fuzz.py), over the database the
    real run filled. Last in this module: its requests change findings."""
    client, _, tokens, _ = api
    failures = contract_failures(client.app, {"Authorization": f"Bearer {tokens['admin']}"})
    assert not failures, "\n\n".join(failures)
