"""What the crash-leftover cleanup asks the catalogue: is this still somebody's?"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.storage.document_parts import referenced_parts
from sohoa.storage.records import DocumentRecord, OriginalRecord

__all__ = ["delete_orphan_claims", "documents_in_flight", "documents_needing_work", "referenced_originals"]

_CHUNK = 500  # keys per IN (...): well under every engine's bound-parameter limit
_RESTING = (DocumentState.ARCHIVED, DocumentState.REJECTED, DocumentState.FAILED)


def referenced_originals(session: Session, keys: Collection[str]) -> set[str]:
    """Those of ``keys`` (``originals/{sha256}``) that some document names, by key, by sha256 or as a part."""
    wanted = list(keys)
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(session.scalars(select(DocumentRecord.original_key).where(DocumentRecord.original_key.in_(chunk))))
        by_sha = {key.rpartition("/")[2]: key for key in chunk}
        found.update(
            by_sha[sha]
            for sha in session.scalars(
                select(DocumentRecord.original_sha256).where(DocumentRecord.original_sha256.in_(list(by_sha)))
            )
        )
        # The files of a document of several are originals too, named by the document's parts.
        found.update(by_sha[sha] for sha in referenced_parts(session, list(by_sha)))
    return found


def documents_in_flight(session: Session, ids: Collection[str]) -> set[str]:
    """Those of ``ids`` that name a document still on its way (its work area is in use)."""
    wanted = list(ids)
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(
            session.scalars(
                select(DocumentRecord.id)
                .where(DocumentRecord.id.in_(chunk))
                .where(DocumentRecord.state.not_in([s.value for s in _RESTING]))
            )
        )
    return found


def documents_needing_work(session: Session, ids: Collection[str]) -> set[str]:
    """Those of ``ids`` that name a document whose stage outputs may still be read: any but an
    archived or rejected one (a failed document is retried from the outputs it had)."""
    wanted = list(ids)
    found: set[str] = set()
    final = [DocumentState.ARCHIVED.value, DocumentState.REJECTED.value]
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(
            session.scalars(
                select(DocumentRecord.id).where(DocumentRecord.id.in_(chunk)).where(DocumentRecord.state.not_in(final))
            )
        )
    return found


def delete_orphan_claims(session: Session, before: datetime) -> int:
    """Drop ``originals`` rows older than ``before`` whose document does not exist; how many."""
    orphan = ~exists().where(DocumentRecord.id == OriginalRecord.document_id)
    result = session.execute(
        delete(OriginalRecord)
        .where(OriginalRecord.created_at < before, orphan)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
