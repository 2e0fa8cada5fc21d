"""`branch-audit token create|list|revoke`: tokens expire, holder names are unique, scopes
name stored branches, nothing lists a token, revocation is audited; and the migration
that brought expiry in keeps the tokens issued before it working."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text

from api.auth import digest, live_token
from cli.main import main
from pipeline.store import models as m
from pipeline.store.db import MIGRATIONS, Database

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.fixture
def url(db_url):
    """A database holding the branches of one region, as a nightly run leaves them."""
    db = Database(db_url)
    with db.session() as s:
        for branch in ("JS-HA-001", "JS-HA-002"):
            s.add(m.Branch(id=branch, name=branch, region="huaian", timezone="Asia/Shanghai",
                           updated_at=NOW))  # fmt: skip
    db.dispose()
    return db_url


def _create(url: str, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["token", "create", *args, "--db", url])
    out, err = capsys.readouterr()
    return code, out, err


def _rows(url: str) -> dict[str, m.ApiToken]:
    db = Database(url)
    with db.session() as s:
        rows = {row.name: row for row in s.scalars(select(m.ApiToken))}
    db.dispose()
    return rows


def test_new_tokens_expire_by_default_in_90_days_or_as_asked(url, capsys):
    code, out, _ = _create(url, capsys, "--role", "supervisor", "--region", "huaian")
    assert code == 0
    token = out.splitlines()[-1]
    assert token.startswith("ba_") and "expires" in out.splitlines()[0]
    code, out, _ = _create(url, capsys, "--role", "assessment", "--name", "hr", "--expires", "12h")
    assert code == 0
    rows = _rows(url)
    default, short = rows["supervisor-huaian"], rows["hr"]
    assert default.token_hash == digest(token)
    assert abs(default.expires_at - default.created_at - timedelta(days=90)) < timedelta(seconds=1)
    assert abs(short.expires_at - short.created_at - timedelta(hours=12)) < timedelta(seconds=1)
    for bad in ("0d", "90", "-1d", "3w", "1.5d"):
        with pytest.raises(SystemExit):
            main(["token", "create", "--role", "admin", f"--expires={bad}", "--db", url])
        assert "days or hours" in capsys.readouterr().err


def test_holder_names_are_unique(url, capsys):
    assert _create(url, capsys, "--role", "admin", "--name", "王主管")[0] == 0
    code, _, err = _create(url, capsys, "--role", "province", "--name", "王主管")
    assert code == 2 and "a token named '王主管' exists already" in err and "--name" in err
    assert _create(url, capsys, "--role", "branch", "--branch", "JS-HA-001")[0] == 0
    code, out, err = _create(url, capsys, "--role", "branch", "--branch", "JS-HA-001")
    assert code == 2 and "'branch-JS-HA-001' exists already" in err and not out  # the default
    assert set(_rows(url)) == {"王主管", "branch-JS-HA-001"}


def test_a_scope_must_name_stored_branches_unless_allowed_before_the_first_run(url, capsys):
    code, _, err = _create(url, capsys, "--role", "branch", "--branch", "JS-HA-999")
    assert code == 2 and "no branch JS-HA-999 in the database" in err and "--allow-unknown" in err
    code, _, err = _create(url, capsys, "--role", "supervisor", "--region", "huain")
    assert code == 2 and "no branch of region huain" in err
    assert (
        _create(url, capsys, "--role", "branch", "--branch", "JS-SZ-001", "--allow-unknown")[0] == 0
    )
    assert (
        _create(url, capsys, "--role", "supervisor", "--region", "suzhou", "--allow-unknown")[0]
        == 0
    )
    assert _create(url, capsys, "--role", "supervisor", "--region", "huaian")[0] == 0
    assert set(_rows(url)) == {"branch-JS-SZ-001", "supervisor-suzhou", "supervisor-huaian"}


def test_token_list_shows_holders_never_tokens(url, capsys):
    tokens = []
    for args in (("--role", "admin", "--name", "ada"),
                 ("--role", "branch", "--branch", "JS-HA-001", "--name", "李行长")):  # fmt: skip
        tokens.append(_create(url, capsys, *args)[1].splitlines()[-1])
    assert main(["token", "revoke", "--name", "ada", "--db", url]) == 0
    capsys.readouterr()
    secrets = [*tokens, *(digest(t) for t in tokens)]

    assert main(["token", "list", "--db", url]) == 0
    table = capsys.readouterr().out
    header, *lines = table.splitlines()
    assert "last used" in header and "revoked" in header and len(lines) == 2
    # columns line up on a terminal: a Chinese name takes two columns a character
    assert header.startswith("name    holder  role  ")
    assert lines[0].startswith("ada     ada     admin ")
    assert lines[1].startswith("李行长  李行长  branch")
    assert "all branches" in lines[0] and "branch JS-HA-001" in lines[1]
    assert not any(secret in table for secret in secrets)

    assert main(["token", "list", "--json", "--db", url]) == 0
    out = capsys.readouterr().out
    listed = {t["name"]: t for t in json.loads(out)}
    assert set(listed["ada"]) == {"name", "holder", "role", "region", "branch", "created_at",
                                  "expires_at", "last_used_at", "revoked_at"}  # fmt: skip
    assert listed["ada"]["revoked_at"] and listed["李行长"]["revoked_at"] is None
    assert listed["李行长"]["branch"] == "JS-HA-001" and listed["李行长"]["expires_at"]
    assert not any(secret in out for secret in secrets)


def test_revoke_is_audited_and_refuses_what_it_cannot_do(url, capsys):
    token = _create(url, capsys, "--role", "province", "--name", "pat")[1].splitlines()[-1]
    assert main(["token", "revoke", "--name", "pat", "--db", url]) == 0
    assert "revoked the token of pat" in capsys.readouterr().out
    assert main(["token", "revoke", "--name", "pat", "--db", url]) == 2
    assert "revoked already" in capsys.readouterr().err
    assert main(["token", "revoke", "--name", "nobody", "--db", url]) == 2
    assert "no token named 'nobody'" in capsys.readouterr().err
    db = Database(url)
    with db.session() as s:
        assert live_token(s, token, datetime.now(UTC)) is None
        log = s.scalars(select(m.AuditEntry).order_by(m.AuditEntry.id)).all()
        assert [(e.action, e.actor, e.detail["name"]) for e in log] == [
            ("token_create", "cli", "pat"),
            ("token_revoke", "cli", "pat"),
        ]
        assert token not in json.dumps([e.detail for e in log])
    db.dispose()


def test_tokens_from_before_expiry_keep_working_and_duplicate_names_are_renamed(db_url):
    db = Database(db_url, migrate=False)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0002_batch")
        for name, token in (("sam", "t1"), ("sam", "t2"), ("ada", "t3")):
            connection.execute(
                text("INSERT INTO api_tokens (token_hash, name, role, region, branch_id, "
                     "created_at) VALUES (:h, :n, 'admin', NULL, NULL, :at)"),
                {"h": digest(token), "n": name, "at": NOW},
            )  # fmt: skip
    db.migrate()
    with db.session() as s:
        rows = s.scalars(select(m.ApiToken).order_by(m.ApiToken.id)).all()
        assert [r.name for r in rows] == ["sam", f"sam #{rows[1].id}", "ada"]
        assert all(r.expires_at is None for r in rows)  # never: as issued
        assert live_token(s, "t2", datetime.now(UTC)).name == f"sam #{rows[1].id}"
    db.dispose()
