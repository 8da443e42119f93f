"""Every table of the catalogue in one ``MetaData``: what the migrations are checked against.

The record classes live in several modules by subject; importing this one registers all of them,
so Alembic's autogenerate compares the migrations with the whole schema, never a part of it.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from sohoa.storage import account_records, archive_records, registry_records, signing_records
from sohoa.storage.records import Base

__all__ = ["metadata"]

# Named so a linter sees them used: importing them is what puts their tables in Base.metadata.
_RECORD_MODULES = (account_records, archive_records, registry_records, signing_records)

metadata: MetaData = Base.metadata
