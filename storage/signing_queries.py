"""Reading and writing the signing tables: checks of archived copies, signatures found on inputs, renewals."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.storage.chunks import chunked
from sohoa.storage.records import DocumentRecord
from sohoa.storage.signing_records import ArchiveRenewalRecord, ExistingSignatureRecord, SignatureCheckRecord

__all__ = [
    "add_renewal",
    "add_signature_check",
    "archived_at_level",
    "latest_renewal",
    "latest_signature_check",
    "renewals_of",
    "replace_existing_signatures",
]


def latest_renewal(session: Session, document_id: str) -> ArchiveRenewalRecord | None:
    """The newest renewed copy of a document's archived PDF, or None when it was never renewed."""
    return session.scalars(
        select(ArchiveRenewalRecord)
        .where(ArchiveRenewalRecord.document_id == document_id)
        .order_by(ArchiveRenewalRecord.generation.desc())
        .limit(1)
    ).first()


def renewals_of(session: Session, document_ids: Collection[str]) -> dict[str, list[ArchiveRenewalRecord]]:
    """The renewed copies of each of ``document_ids`` that has any, oldest first."""
    found: dict[str, list[ArchiveRenewalRecord]] = {}
    for chunk in chunked(document_ids):
        rows = session.scalars(
            select(ArchiveRenewalRecord)
            .where(ArchiveRenewalRecord.document_id.in_(chunk))
            .order_by(ArchiveRenewalRecord.document_id, ArchiveRenewalRecord.generation)
        )
        for row in rows:
            found.setdefault(row.document_id, []).append(row)
    return found


def add_renewal(session: Session, renewal: ArchiveRenewalRecord) -> ArchiveRenewalRecord:
    session.add(renewal)
    return renewal


def archived_at_level(session: Session, signature_level: str) -> list[DocumentRecord]:
    """Archived documents signed at ``signature_level`` ("B-LTA" ...), oldest archived first."""
    return list(
        session.scalars(
            select(DocumentRecord)
            .where(DocumentRecord.state == DocumentState.ARCHIVED.value)
            .where(DocumentRecord.signature_level == signature_level)
            .order_by(DocumentRecord.archived_at)
        )
    )


def add_signature_check(session: Session, check: SignatureCheckRecord) -> SignatureCheckRecord:
    session.add(check)
    return check


def latest_signature_check(session: Session, document_id: str, archive_key: str) -> SignatureCheckRecord | None:
    """The last stored verification of one archived copy of a document, or None."""
    return session.scalars(
        select(SignatureCheckRecord)
        .where(SignatureCheckRecord.document_id == document_id, SignatureCheckRecord.archive_key == archive_key)
        .order_by(SignatureCheckRecord.checked_at.desc(), SignatureCheckRecord.id.desc())
        .limit(1)
    ).first()


def replace_existing_signatures(
    session: Session, document_id: str, signatures: Sequence[ExistingSignatureRecord]
) -> None:
    """Store the signatures found on a document's input, in place of any found before."""
    session.execute(delete(ExistingSignatureRecord).where(ExistingSignatureRecord.document_id == document_id))
    session.add_all(signatures)
