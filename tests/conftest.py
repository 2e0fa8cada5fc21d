"""Shared fixtures: the real footage, fresh databases, generated recordings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from sample_videos.recordings import footage_dir
from tests.support.recordings import LAYOUT, at, cut, write_clip

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "False")

# No test may fail because the machine is slow or busy (CI shares 2 cores): property tests
# run without Hypothesis's per-example deadline.
hypothesis_settings.register_profile("branch-audit", deadline=None)
hypothesis_settings.load_profile("branch-audit")

REPO = Path(__file__).resolve().parents[1]
FOOTAGE = footage_dir()
DATA = Path(__file__).resolve().parent / "data"


def footage_file(name: str) -> Path:
    path = FOOTAGE / name
    if not path.is_file():
        pytest.skip(f"real footage {name} not found under {FOOTAGE}")
    return path


@pytest.fixture(scope="session")
def footage() -> Path:
    """The folder of the real clips."""
    if not FOOTAGE.is_dir():
        pytest.skip(f"real footage not found at {FOOTAGE} (../shared/footage from the repo)")
    return FOOTAGE


@pytest.fixture(scope="session")
def recordings(tmp_path_factory) -> Path:
    """cam-1 on DAY from 09:00: a hole 30-40 s, an overlap 55-60 s, the last file cut."""
    folder = tmp_path_factory.mktemp("recordings") / "cam-1"
    for start, length, keep in LAYOUT:
        path = write_clip(folder / at(start).strftime("cam-1_%Y%m%d_%H%M%S.mp4"), length)
        if keep:
            cut(path, keep)
    return folder


PG_ADMIN = os.environ.get("BRANCH_AUDIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _fresh_database(kind: str, directory: Path):
    """Yield the URL of a fresh, empty database of `kind`; PostgreSQL is the real local server."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'test.db'}"
        return
    import uuid

    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise  # CI starts the server: a missing one is a failure there, not a skip
        pytest.skip(f"no PostgreSQL server at {PG_ADMIN}: {exc}")
    name = f"ba_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    yield from _fresh_database(request.param, tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(request, tmp_path_factory):
    """Like `db_url`, shared by one module's tests (for large read-mostly matrices)."""
    yield from _fresh_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory, footage):
    """One uninterrupted local run of the test branch (tests/run_site.py) on SQLite: its
    site file, database file and JSON document, for the other runs to be compared with."""
    from tests.support.run_site import build_site, run_cli

    root = tmp_path_factory.mktemp("reference")
    site = build_site(root, footage)
    db = root / "reference.db"
    return site, db, run_cli(site, f"sqlite:///{db}")


@pytest.fixture(scope="session")
def phone_night(tmp_path_factory, footage):
    """The test branch's night with a phone stage that sees phones (tests/support/
    phone_night.py): database URL, evidence root, site file."""
    from tests.support.phone_night import phone_night as run

    return run(tmp_path_factory.mktemp("phone-night"), footage)


def pytest_collection_modifyitems(items) -> None:
    """Stage-independent markers, so `pytest -m "not postgres"` or `-m footage` select by
    what a test needs: the real clips, the PostgreSQL server."""
    for item in items:
        module = getattr(item, "module", None)
        uses_clips = {"footage", "reference_run"} & set(item.fixturenames) or any(
            hasattr(module, name) for name in ("footage_file", "clip_path")
        )
        if uses_clips:
            item.add_marker(pytest.mark.footage)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "postgresql" in params.values():
            item.add_marker(pytest.mark.postgres)
