"""Database connection and schema migration: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_SQLITE = "branch_audit.db"


def default_url() -> str:
    """`$BRANCH_AUDIT_DB`, else an embedded SQLite file in the working directory."""
    return os.environ.get("BRANCH_AUDIT_DB") or f"sqlite:///{Path.cwd() / DEFAULT_SQLITE}"


def _normalise(url: str) -> str:
    # psycopg 3 is the driver the postgres extra installs
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    def __init__(self, url: str | None = None, migrate: bool = True) -> None:
        self.url = _normalise(url or default_url())
        self.engine: Engine = create_engine(self.url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per revision: noise
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the API) don't block the nightly writer
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
