"""What the crash-leftover cleanup asks the catalogue: is this still somebody's?"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, exists
from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.storage.chunks import present
from sohoa.storage.document_parts import referenced_parts
from sohoa.storage.records import DocumentRecord, OriginalRecord

__all__ = ["delete_orphan_claims", "documents_in_flight", "documents_needing_work", "referenced_originals"]

_RESTING = (DocumentState.ARCHIVED, DocumentState.REJECTED, DocumentState.FAILED)


def referenced_originals(session: Session, keys: Collection[str]) -> set[str]:
    """Those of ``keys`` (``originals/{sha256}``) that some document names, by key, by sha256 or as a part."""
    by_sha = {key.rpartition("/")[2]: key for key in keys}
    found = present(session, DocumentRecord.original_key, keys)
    found.update(by_sha[sha] for sha in present(session, DocumentRecord.original_sha256, by_sha))
    # The files of a document of several are originals too, named by the document's parts.
    found.update(by_sha[sha] for sha in referenced_parts(session, by_sha))
    return found


def documents_in_flight(session: Session, ids: Collection[str]) -> set[str]:
    """Those of ``ids`` that name a document still on its way (its work area is in use)."""
    return present(session, DocumentRecord.id, ids, DocumentRecord.state.not_in([s.value for s in _RESTING]))


def documents_needing_work(session: Session, ids: Collection[str]) -> set[str]:
    """Those of ``ids`` that name a document whose stage outputs may still be read: any but an
    archived or rejected one (a failed document is retried from the outputs it had)."""
    final = [DocumentState.ARCHIVED.value, DocumentState.REJECTED.value]
    return present(session, DocumentRecord.id, ids, DocumentRecord.state.not_in(final))


def delete_orphan_claims(session: Session, before: datetime) -> int:
    """Drop ``originals`` rows older than ``before`` whose document does not exist; how many."""
    orphan = ~exists().where(DocumentRecord.id == OriginalRecord.document_id)
    result = session.execute(
        delete(OriginalRecord)
        .where(OriginalRecord.created_at < before, orphan)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
