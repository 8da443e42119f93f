"""Fixtures shared by the whole suite: settings on a temp data dir, runtimes, catalogues, PostgreSQL and S3."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from sohoa.core.settings import Settings
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.database import Database
from tests.support.services import need, port_open

PG_HOST, PG_PORT = "127.0.0.1", 5432


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Embedded settings on a fresh data dir; OCR by the fake engine unless a test says otherwise."""
    for key in ("SOHOA_DATABASE_URL", "SOHOA_S3_ENDPOINT", "SOHOA_BROKER_URL", "SOHOA_PKCS12_PATH"):
        monkeypatch.delenv(key, raising=False)
    return Settings(data_dir=tmp_path / "var", review_policy="never", ocr_engine="fake", ocr_processes=1)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime on ``settings``: catalogue, store, in-process queue; closed afterwards."""
    rt = open_runtime(settings)
    try:
        yield rt
    finally:
        rt.close()


@contextmanager
def throwaway_database(prefix: str = "sohoa_test") -> Iterator[str]:
    """The URL of a new PostgreSQL database, dropped afterwards (skipped when no server runs)."""
    need(port_open(PG_HOST, PG_PORT), f"PostgreSQL at {PG_HOST}:{PG_PORT}")
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database, dropped afterwards."""
    with throwaway_database() as url:
        yield url


def _catalogue(url: str) -> Iterator[Database]:
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_database(settings: Settings) -> Iterator[Database]:
    """A fresh catalogue alone (no runtime around it), on SQLite in the data dir."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    yield from _catalogue(settings.db_url)


@pytest.fixture
def postgresql_database(pg_url: str) -> Iterator[Database]:
    """A fresh catalogue alone, on a throwaway PostgreSQL database."""
    yield from _catalogue(pg_url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    """A fresh catalogue on each engine we ship, in turn: queries must agree on both."""
    db: Database = request.getfixturevalue(f"{request.param}_database")
    return db


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[object]:
    """An S3 server over HTTP: moto started by the tests, or SOHOA_TEST_S3_URL."""
    from tests.support.s3server import s3_server

    try:
        cm = s3_server()
        endpoint = cm.__enter__()
    except Exception as exc:  # moto missing or failed to start
        need(False, f"S3 test server ({exc})")
        raise
    try:
        yield endpoint
    finally:
        cm.__exit__(None, None, None)
