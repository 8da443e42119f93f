"""One schema, owned by the migrations: on an empty database they build exactly what the models say.

Alembic's autogenerate compares the migrated database with ``sohoa.storage.tables.metadata``; any
difference (a table, column, index or type the migrations forgot or added) would be proposed as the
next migration, so it must find nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from sohoa.storage.database import upgrade_database
from sohoa.storage.tables import include_object, metadata


def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_every_table_is_in_the_metadata_alembic_sees(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    upgrade_database(url)
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    migrated = {t for t in tables if include_object(None, t, "table", True, None)}
    assert migrated == set(metadata.tables), migrated ^ set(metadata.tables)


def test_sqlite_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    upgrade_database(url)
    assert _differences(url) == []


@pytest.mark.postgres
def test_postgresql_migrations_match_the_models(pg_url: str) -> None:
    upgrade_database(pg_url)
    assert _differences(pg_url) == []


def test_a_column_the_migrations_forgot_is_found(tmp_path: Path) -> None:
    """The comparison is not vacuous: a model column no migration creates shows up as a difference."""
    from sqlalchemy import Column, MetaData, String

    url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    upgrade_database(url)
    drifted = MetaData()
    for table in metadata.tables.values():
        copy = table.to_metadata(drifted)
        if table.name == "documents":
            copy.append_column(Column("forgotten", String(10)))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            found = list(compare_metadata(context, drifted))
    finally:
        engine.dispose()
    # ("add_column", schema, table name, Column)
    assert [(d[0], d[2], d[3].name) for d in found] == [("add_column", "documents", "forgotten")], found
