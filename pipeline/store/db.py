"""Database connection and schema migration: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import functools
import logging
import os
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
P, T = ParamSpec("P"), TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_SQLITE = "branch_audit.db"
#: the PostgreSQL advisory lock that runs migrating one database at once take in turn
MIGRATION_LOCK = zlib.crc32(b"branch-audit migrate")
#: a database server restarting is back within this: new connections are tried again
#: until then (once the database was reached), and a transaction whose connection was
#: lost is done again this many times (`reconnecting`)
RECONNECT_S = 30.0
RETRIES = 3


class DatabaseError(Exception):
    """The database cannot be opened: a bad URL, a missing driver, a server that does not
    answer, a file that cannot be created."""


def default_url() -> str:
    """`$BRANCH_AUDIT_DB`, else an embedded SQLite file in the working directory."""
    return os.environ.get("BRANCH_AUDIT_DB") or f"sqlite:///{Path.cwd() / DEFAULT_SQLITE}"


def _normalise(url: str) -> str:
    # psycopg 3 is the driver the postgres extra installs
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _shown(url: str) -> str:
    """The URL as given, for messages: its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class Database:
    def __init__(self, url: str | None = None, migrate: bool = True) -> None:
        url = url or default_url()
        self.url = _normalise(url)
        self._shown = _shown(url)
        try:
            # pre-ping: a pooled connection the server dropped (a restart, a terminated
            # backend) is replaced at checkout instead of failing its first statement
            self.engine: Engine = create_engine(self.url, future=True, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:
            raise DatabaseError(f"cannot open database {self._shown}: {exc}") from None
        self.reached = False  # set once connected: from then on connects are retried
        if self.engine.dialect.name == "postgresql":
            event.listen(self.engine, "do_connect", self._connect)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent). Processes that start on
        a fresh database at once take turns: the first creates the schema, the others
        find it made (a lock held for the upgrade's transaction)."""
        logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per revision: noise
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                _lock_for_migration(connection)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        except (OperationalError, InterfaceError) as exc:
            reason = " ".join(str(exc.orig).split())  # drivers' messages run over lines
            raise DatabaseError(f"cannot open database {self._shown}: {reason}") from None

    def _connect(self, dialect, _record, cargs, cparams):
        """A new connection; once the database was reached, one refused while its server
        restarts is tried again for up to RECONNECT_S (a bad URL still fails at once)."""
        deadline = time.monotonic() + RECONNECT_S
        while True:
            try:
                connection = dialect.connect(*cargs, **cparams)
                self.reached = True
                return connection
            except dialect.loaded_dbapi.OperationalError as exc:
                if not self.reached or time.monotonic() > deadline:
                    raise
                log.warning("database %s away (%s): connecting again", self._shown,
                            " ".join(str(exc).split()))  # fmt: skip
                time.sleep(1.0)

    def lost(self, exc: OperationalError | InterfaceError) -> DatabaseError:
        """The one line for a database that stayed away past every retry mid-work."""
        reason = " ".join(str(exc.orig).split())
        return DatabaseError(
            f"database {self._shown} lost: {reason}; run the date again once it is back"
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def reconnecting(work: Callable[P, T]) -> Callable[P, T]:
    """Do a whole transaction again when its connection was lost under it (a server
    restart, a terminated backend), up to RETRIES times; for work that opens its own
    session and may be done twice (an upsert by key, a row's status)."""

    @functools.wraps(work)
    def again(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(RETRIES + 1):
            try:
                return work(*args, **kwargs)
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt == RETRIES:
                    raise
                log.warning("%s: database connection lost (%s); once more", work.__name__,
                            " ".join(str(exc.orig).split()))  # fmt: skip
        raise AssertionError("unreachable")

    return again


def _lock_for_migration(connection: Connection) -> None:
    """Hold the database for the migration's transaction: an advisory lock on PostgreSQL
    (its DDL is transactional), SQLite's write lock taken up front (BEGIN EXCLUSIVE; the
    driver would begin only at the first INSERT, after alembic read the version)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN EXCLUSIVE")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: WAL below may wait for another
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the API) don't block the nightly writer
    cursor.close()
