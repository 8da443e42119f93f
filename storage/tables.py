"""Every table of the catalogue in one ``MetaData``: what the migrations are checked against.

The record classes live in several modules by subject; importing this one registers all of them,
so Alembic's autogenerate compares the migrations with the whole schema, never a part of it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData

from sohoa.storage import account_records, archive_records, dossier_records, registry_records, signing_records
from sohoa.storage.document_parts import DocumentPartRecord
from sohoa.storage.records import Base
from sohoa.storage.search.schema import SEARCH_COLUMNS, SEARCH_INDEXES, SEARCH_TABLE_PREFIX

__all__ = ["include_object", "metadata"]

# Named so a linter sees them used: importing them is what puts their tables in Base.metadata.
_RECORD_MODULES = (account_records, archive_records, dossier_records, registry_records, signing_records)
_PART_RECORDS = DocumentPartRecord  # the files of a document of several, in page order

metadata: MetaData = Base.metadata


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: leave out the search schema, which migrations build in raw SQL.

    Full-text tables, generated vectors and expression indexes have no model; without this,
    autogenerate would propose dropping them."""
    if not reflected or compare_to is not None or name is None:
        return True
    if type_ == "table":
        return not name.startswith(SEARCH_TABLE_PREFIX)
    if type_ == "index":
        return name not in SEARCH_INDEXES
    if type_ == "column":
        return (obj.table.name, name) not in SEARCH_COLUMNS
    return True
