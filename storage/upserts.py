"""Filing imported rows by their key: insert the new, update the changed, leave the rest.

What the procedure catalogue and the register share. The import as a whole is one
transaction: when another import inserts the same keys meanwhile, this one fails with
``Conflict`` and the caller's transaction is rolled back, so a retry sees their rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.errors import Conflict
from sohoa.storage.chunks import chunked

__all__ = ["Upsert", "UpsertCounts", "upsert_by_key"]

Row = TypeVar("Row")  # a parsed, valid row
Stored = TypeVar("Stored")  # its database record


@dataclass(frozen=True)
class Upsert(Generic[Row, Stored]):
    """How an import files one kind of row by its key: what the catalogue and the register share."""

    key: Callable[[Row], str]
    load: Callable[[Session, list[str]], dict[str, Stored]]  # the stored records of some keys
    same: Callable[[Stored, Row], bool]
    new: Callable[[Row, datetime], Stored]
    update: Callable[[Stored, Row, datetime], None]
    duplicate_code: str  # the RowError code of a key given twice
    key_name: str  # how messages name the key ("code", "dossier")
    concurrent: str  # the message when another import wrote the same keys meanwhile


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int


def upsert_by_key(session: Session, wanted: Mapping[str, Row], upsert: Upsert[Row, Stored]) -> UpsertCounts:
    """File ``wanted`` (rows by key) in chunks; flushed, so a concurrent insert is found here."""
    inserted = updated = unchanged = 0
    try:
        now = utcnow()
        for chunk in chunked(wanted):
            # Loading the next chunk flushes the last one: a clash can surface here too.
            existing = upsert.load(session, chunk)
            for key in chunk:
                new = wanted[key]
                record = existing.get(key)
                if record is None:
                    session.add(upsert.new(new, now))
                    inserted += 1
                elif upsert.same(record, new):
                    unchanged += 1
                else:
                    upsert.update(record, new, now)
                    updated += 1
        session.flush()
    except sa_exc.IntegrityError:
        # another import inserted the same rows meanwhile: this one is rolled back whole
        raise Conflict(upsert.concurrent, code="concurrent_import") from None
    return UpsertCounts(inserted, updated, unchanged)
