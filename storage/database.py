"""Engine, sessions and migrations of the catalogue (SQLite embedded, PostgreSQL scaled)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from sohoa.storage.permissions import PRIVATE_FILE, private_mkdir, warn_loose_permissions

__all__ = ["Database", "alembic_config", "lock_for_update", "upgrade_database"]

_MIGRATIONS = Path(__file__).with_name("migrations")
_upgrade_lock = threading.Lock()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    # Alembic's config is interpolated: a % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _ensure_sqlite_folder(url: str) -> None:
    """A fresh data dir has no folder for the catalogue yet; SQLite would fail to open the file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        private_mkdir(path.parent)
        # Created private before SQLite opens it: its -wal and -shm files take the database's mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database)
    return None


def upgrade_database(url: str) -> None:
    _ensure_sqlite_folder(url)
    with _upgrade_lock:
        # "heads": features add their own migration branches off the foundation.
        command.upgrade(alembic_config(url), "heads")


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_folder(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the API read while a worker writes; foreign keys are off by default in SQLite.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def lock_for_update(session: Session) -> None:
    """Make the rows this transaction reads next its own until it ends, as ``SELECT ... FOR UPDATE``
    does on PostgreSQL.

    SQLite has no row locks and ignores FOR UPDATE, and its Python driver begins a transaction only at
    the first write: a read-check-write (a correction, a dossier's component) read the row outside any
    transaction, so two at once could both pass the check and the second overwrite the first. Taking
    the database's write lock first (``BEGIN IMMEDIATE``; waits like any writer) makes the rest of the
    transaction see the latest rows and keeps every other writer out until it commits. A transaction
    that has written already holds that lock."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One engine and session factory per process; migrated on first use."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        sqlite_file = _sqlite_file(url)
        if sqlite_file is not None:
            warn_loose_permissions([sqlite_file.parent, sqlite_file])
        if migrate:
            upgrade_database(url)
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def check(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
