"""search storage: metadata as JSONB, search vectors kept inline on PostgreSQL

Create Date: 2026-11-25

A text search reads, for every document it matches, the document's search vector (to rank
and check phrases) and, when filtered, some metadata fields. At 1,000,000 documents a common
word matches 10,000 of them, so the per-row cost is the search's cost:

- ``json`` is text: ``metadata_json ->> 'issued_date'`` parses the whole document on each
  call; ``jsonb`` looks the key up (measured: ~1.1 µs against ~0.1 µs a call).
- A row of ~2 KB crossed the 2 KB toast threshold, so PostgreSQL compressed or moved the
  vector out of line and each match cost extra toast-index and toast-heap page reads.
  Storage EXTERNAL (never compressed) with ``toast_tuple_target`` at the page limit keeps the
  vector of an ordinary document inline; long documents' vectors still go out of line.

The type change rewrites the table and its indexes, but PostgreSQL keeps values it had already
compressed as they are: an existing row's vector takes the inline layout when the row's search
text is next written. To give every row the new layout at once (then VACUUM):
``UPDATE documents SET search_text = search_text WHERE search_text IS NOT NULL``.
SQLite has neither: nothing to do there.
"""

from __future__ import annotations

from alembic import op

from sohoa.storage.search.schema import METADATA_FIELDS, metadata_index_sql

revision, down_revision = "0008", "0003"


def _retype(column_type: str) -> None:
    for field in METADATA_FIELDS:
        op.execute(f"DROP INDEX IF EXISTS {metadata_index_sql('postgresql', field)[0]}")
    op.execute(
        f"ALTER TABLE documents ALTER COLUMN metadata_json TYPE {column_type} USING metadata_json::{column_type}"
    )
    for field in METADATA_FIELDS:
        op.execute(metadata_index_sql("postgresql", field)[1])


def _store(vector_storage: str, toast_target: str, metadata_type: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE documents ALTER COLUMN search_vector SET STORAGE {vector_storage}")
    op.execute(f"ALTER TABLE documents {toast_target}")
    _retype(metadata_type)


def upgrade() -> None:
    _store("EXTERNAL", "SET (toast_tuple_target = 8160)", "jsonb")


def downgrade() -> None:
    _store("EXTENDED", "RESET (toast_tuple_target)", "json")
