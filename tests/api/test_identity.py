"""One person, one identity, on SQLite and PostgreSQL: names that differ in width, case,
spaces or invisible characters, or only look alike across scripts, are refused beside an
existing holder; one person's tokens of two roles (supervisor and province) are one
person to separation of duties; and tokens from before, two spellings of one name, are
one person too."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select

from api.auth import digest
from api.tokens import TokenError, issue_token, list_tokens
from cli.main import main
from pipeline.store import models as m
from pipeline.store.db import MIGRATIONS
from pipeline.store.people import person
from tests.support.api import running_api

SPELLINGS = {
    "trailing spaces": "supha  ",
    "upper case": "SUPHA",
    "full width": "ｓｕｐｈａ",
    "zero-width space": "su\u200bpha",
    "leading tab": "\tsupha",
    "soft hyphen": "sup\u00adha",
    "hangul filler": "sup\u3164ha",
    "cyrillic lookalikes": "ѕuрhа",
    "greek omicron, cyrillic e (beside one)": "οnе",
}


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        with api.db.session() as s:
            region = s.get(m.Branch, api.own).region
            api.tokens["supha"] = issue_token(s, "supervisor", "supha", region=region).token
            api.tokens["one"] = issue_token(s, "admin", "one").token
        yield api


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_another_spelling_of_a_holder_s_name_is_refused(api, spelling, capsys):
    with api.db.session() as s, pytest.raises(TokenError, match="exists already|reads as"):
        issue_token(s, "province", spelling)
    code = main(["token", "create", "--role", "province", "--name", spelling, "--db", api.db.url])
    assert code == 2 and "--name" in capsys.readouterr().err
    with api.db.session() as s:
        names = [t.name for t in list_tokens(s)]
    assert names.count("supha") == 1 and len(names) == 7


def test_a_holder_that_only_looks_like_another_person_is_refused(api):
    with api.db.session() as s, pytest.raises(TokenError, match="reads as the holder 'supha'"):
        issue_token(s, "province", "prov-x", holder="ѕupha")  # a Cyrillic s


def _confirmed_and_appealed(api) -> int:
    pending = api.finding(api.own, "pending")
    url = f"/api/v1/findings/{pending}"
    confirm = {"Authorization": f"Bearer {api.tokens['supha']}"}
    assert api.client.post(
        f"{url}/review", json={"decision": "confirm"}, headers=confirm
    ).is_success
    appealed = api.post("branch", f"{url}/appeal", json={"reason": "the teller was on a break"})
    assert appealed.status_code == 201, appealed.text
    return appealed.json()["id"]


def test_one_person_s_province_token_may_not_decide_what_their_supervisor_token_confirmed(api):
    with api.db.session() as s:
        issued = issue_token(s, "province", "supha (province)", holder="SUPHA ")
        assert issued.info.holder == "supha"
    appeal = _confirmed_and_appealed(api)
    own = {"Authorization": f"Bearer {issued.token}"}
    decided = api.client.post(
        f"/api/v1/appeals/{appeal}/decision", json={"decision": "grant"}, headers=own
    )
    assert decided.status_code == 403, decided.text
    assert "separation of duties: supha reviewed" in decided.json()["detail"]
    other = api.post("province", f"/api/v1/appeals/{appeal}/decision", json={"decision": "grant"})
    assert other.status_code == 200 and other.json()["decided_by"] == "pat"


def test_two_spellings_issued_before_are_one_person(api):
    """Tokens from before names were normalised: `supha  ` beside `supha`, holder unset."""
    now = datetime.now(UTC)
    with api.db.session() as s:
        s.add(m.ApiToken(token_hash=digest("ba_old-spelling"), name="supha  ", role="province",
                         created_at=now, expires_at=None))  # fmt: skip
    appeal = _confirmed_and_appealed(api)
    old = {"Authorization": "Bearer ba_old-spelling"}
    decided = api.client.post(
        f"/api/v1/appeals/{appeal}/decision", json={"decision": "grant"}, headers=old
    )
    assert decided.status_code == 403 and "separation of duties" in decided.text
    with api.db.session() as s:  # the audit log names the person beside the token
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "review")).one()
        assert (entry.actor, entry.detail["holder"]) == ("supha", "supha")


@pytest.mark.parametrize(
    "name, holder",
    [("supha", "supha"), ("  Su\u200bPHA\t", "supha"), ("王 主管", "王 主管"),
     ("Ｗａｎｇ  Ｗｅｉ", "wang wei"), ("Straße", "strasse")],
)  # fmt: skip
def test_person_folds_width_case_space_and_invisible_characters(name, holder):
    assert person(name) == holder


def test_migration_0009_goes_down_and_up_again(api):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with api.db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0008")  # the revision before 0009
        command.upgrade(cfg, "head")
    with api.db.session() as s:
        holders = dict(s.execute(select(m.ApiToken.name, m.ApiToken.holder)).all())
    assert holders["supha"] is None  # unset by the way down: read as its name's person
    assert api.get("admin", "/api/v1/me").json()["name"] == "ada"
