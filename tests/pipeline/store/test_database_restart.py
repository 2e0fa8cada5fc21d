"""The real PostgreSQL server drops every connection of the database (as a restart does:
its backends are terminated, pg_terminate_backend) while the API serves and while a night
runs: the next request is answered, the night finishes, and a transaction whose connection
is lost under it is done again (pipeline/store/db.py: pre-ping, reconnecting)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from pipeline.batch.night import Night, plan_night
from pipeline.store import models as m
from pipeline.store.db import Database, reconnecting
from rules.checklist import load_checklist
from tests.pipeline.batch.test_night_faults import SETTINGS, _site
from tests.support.api import running_api
from tests.support.phone_night import InlineExecutor
from tests.support.recordings import DAY
from tests.support.run_site import CHECKLIST

pytestmark = pytest.mark.postgres

TERMINATE = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.fixture
def pg_url(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("a server's restart is PostgreSQL's")
    return db_url


def _drop_every_connection(url: str) -> int:
    """From a connection of its own, as the server's restart would; how many it ended."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        return admin.execute(TERMINATE).fetchone()[0]


def test_the_api_answers_the_first_request_after_its_connections_are_dropped(pg_url, tmp_path):
    with running_api(pg_url, tmp_path / "evidence") as api:
        assert api.get("admin", "/api/v1/branches").status_code == 200
        for _ in range(2):  # twice, as the server was restarted twice
            assert _drop_every_connection(pg_url) >= 1  # the app's pooled connection
            response = api.get("admin", "/api/v1/branches")
            assert response.status_code == 200, response.text
            assert len(response.json()) >= 2


def test_a_transaction_whose_connection_is_lost_under_it_is_done_again(pg_url):
    db = Database(pg_url)
    tries = []

    @reconnecting
    def count_branches() -> int:
        with db.session() as s:
            tries.append(1)
            if len(tries) == 1:  # the server ends this very connection mid-transaction
                s.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            return len(s.scalars(select(m.Branch)).all())

    assert count_branches() == 0
    assert len(tries) == 2
    db.dispose()


class _Restarting(InlineExecutor):
    """Between every two units, the server drops every connection of the database."""

    def __init__(self, url: str) -> None:
        self.url, self.dropped = url, 0

    def run(self, units):
        for result in super().run(units):
            self.dropped += _drop_every_connection(self.url)
            yield result


def test_a_night_goes_on_when_the_server_drops_its_connections(pg_url, tmp_path):
    sites = tmp_path / "sites"
    files = [_site(sites, "ONE"), _site(sites, "TWO", "recordings-ONE")]
    checklist = load_checklist(CHECKLIST)
    days, _ = plan_night(files, DAY, SETTINGS, strict=False, checklist=checklist)
    db = Database(pg_url)
    executor = _Restarting(pg_url)

    report = Night(db, SETTINGS, checklist, None, executor).run(days, DAY)

    assert executor.dropped >= 2  # the night's own connections were ended under it
    assert report.failed == [] and report.exit_status == 0
    assert {b: [f["item"] for f in r.findings] for b, r in report.reports.items()} == {
        "ONE": ["TELLER_ABSENT"],
        "TWO": ["TELLER_ABSENT"],
    }
    with db.session() as s:
        assert {r.status for r in s.scalars(select(m.Run))} == {"done"}
    db.dispose()
