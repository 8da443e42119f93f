from __future__ import annotations

from collections.abc import Iterator

import pytest

from sohoa.core.settings import Settings
from sohoa.storage.database import Database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Database]:
    """The catalogue on each engine we ship: the date and coverage queries must agree on both."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_database(settings: Settings) -> Iterator[Database]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    try:
        yield db
    finally:
        db.dispose()
