"""Queries of dossiers, the documents they hold by role, document facts and re-submissions.

``registry.dossiers`` decides what a dossier, a role or reusability means; this module only
reads and writes the rows. Both engines run the same SQL.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import Insert, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sohoa.storage.database import lock_for_update
from sohoa.storage.dossier_records import (
    DocumentFactsRecord,
    DossierDocumentRecord,
    DossierRecord,
    ResubmissionRecord,
)
from sohoa.storage.records import DocumentRecord

__all__ = [
    "add_dossier",
    "add_resubmission",
    "count_resubmissions",
    "dossier_memberships",
    "dossiers_by_code",
    "dossiers_received",
    "facts_of",
    "get_dossier_record",
    "get_facts",
    "held_documents",
    "held_documents_of",
    "insert_new",
    "membership",
    "resubmissions_of",
    "save_facts",
    "save_membership",
]


def get_dossier_record(session: Session, code: str, *, for_update: bool = False) -> DossierRecord | None:
    if for_update:
        lock_for_update(session)
    # populate_existing: a copy this session read before the lock must not stand for the row
    return session.get(DossierRecord, code, with_for_update=for_update or None, populate_existing=for_update)


def dossiers_by_code(session: Session, codes: Collection[str]) -> dict[str, DossierRecord]:
    """The dossiers of exactly these codes (give at most a few hundred at once)."""
    return {r.code: r for r in session.scalars(select(DossierRecord).where(DossierRecord.code.in_(codes)))}


def insert_new(session: Session, table: Any, values: dict[str, Any], keys: list[str]) -> bool:
    """Insert a row unless one with the same primary key exists (``INSERT ... ON CONFLICT DO NOTHING``):
    two uploads creating one dossier at once agree on one row instead of one failing. Whether it was new."""
    insert: Insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)
    statement = insert.values(**values).on_conflict_do_nothing(index_elements=keys)  # type: ignore[attr-defined]
    result = session.execute(statement.execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def add_dossier(session: Session, values: dict[str, Any]) -> tuple[DossierRecord, bool]:
    """The dossier of ``values["code"]``, created from ``values`` unless it exists; whether it was created."""
    created = insert_new(session, DossierRecord, values, ["code"])
    record = session.get(DossierRecord, values["code"], populate_existing=True)
    assert record is not None  # a dossier is never deleted
    return record, created


def dossiers_received(session: Session, start: date, end: date) -> list[DossierRecord]:
    """Dossiers received in ``[start, end)``, by received date then code."""
    stmt = (
        select(DossierRecord)
        .where(DossierRecord.received_date >= start, DossierRecord.received_date < end)
        .order_by(DossierRecord.received_date, DossierRecord.code)
    )
    return list(session.scalars(stmt))


def membership(session: Session, dossier_code: str, document_id: str) -> DossierDocumentRecord | None:
    return session.get(DossierDocumentRecord, (dossier_code, document_id))


def save_membership(session: Session, record: DossierDocumentRecord) -> DossierDocumentRecord:
    """Add or replace the role a document plays in a dossier; flushed, so a bad document id fails here."""
    found = session.get(DossierDocumentRecord, (record.dossier_code, record.document_id))
    if found is None:
        session.add(record)
        found = record
    else:
        found.role, found.component, found.origin = record.role, record.component, record.origin
        found.linked_by, found.linked_at = record.linked_by, record.linked_at
    session.flush()
    return found


def held_documents(session: Session, dossier_code: str) -> list[tuple[DossierDocumentRecord, DocumentRecord]]:
    """The documents a dossier holds, with their roles, oldest link first."""
    stmt = (
        select(DossierDocumentRecord, DocumentRecord)
        .join(DocumentRecord, DocumentRecord.id == DossierDocumentRecord.document_id)
        .where(DossierDocumentRecord.dossier_code == dossier_code)
        .order_by(DossierDocumentRecord.linked_at, DossierDocumentRecord.document_id)
    )
    return [(m, d) for m, d in session.execute(stmt).all()]


def held_documents_of(session: Session, document_id: str) -> list[tuple[DossierDocumentRecord, str]]:
    """The dossiers a document serves, with its role in each, oldest link first."""
    stmt = (
        select(DossierDocumentRecord)
        .where(DossierDocumentRecord.document_id == document_id)
        .order_by(DossierDocumentRecord.linked_at)
    )
    return [(m, m.dossier_code) for m in session.scalars(stmt)]


def dossier_memberships(
    session: Session, dossier_codes: Collection[str]
) -> list[tuple[DossierDocumentRecord, DocumentRecord]]:
    """Every document of these dossiers with its role (give at most a few hundred codes at once)."""
    stmt = (
        select(DossierDocumentRecord, DocumentRecord)
        .join(DocumentRecord, DocumentRecord.id == DossierDocumentRecord.document_id)
        .where(DossierDocumentRecord.dossier_code.in_(dossier_codes))
    )
    return [(m, d) for m, d in session.execute(stmt).all()]


def get_facts(session: Session, document_id: str) -> DocumentFactsRecord | None:
    return session.get(DocumentFactsRecord, document_id)


def facts_of(session: Session, document_ids: Collection[str]) -> dict[str, DocumentFactsRecord]:
    stmt = select(DocumentFactsRecord).where(DocumentFactsRecord.document_id.in_(document_ids))
    return {r.document_id: r for r in session.scalars(stmt)}


def save_facts(session: Session, document_id: str, *, now: datetime, **values: object) -> DocumentFactsRecord:
    """Set some facts of a document, creating its row on first use."""
    record = session.get(DocumentFactsRecord, document_id)
    if record is None:
        record = DocumentFactsRecord(document_id=document_id)
        session.add(record)
    for name, value in values.items():
        setattr(record, name, value)
    record.updated_at = now
    session.flush()
    return record


def add_resubmission(session: Session, record: ResubmissionRecord) -> ResubmissionRecord:
    session.add(record)
    session.flush()
    return record


def resubmissions_of(session: Session, dossier_code: str) -> list[ResubmissionRecord]:
    stmt = select(ResubmissionRecord).where(ResubmissionRecord.dossier_code == dossier_code)
    return list(session.scalars(stmt.order_by(ResubmissionRecord.id)))


def count_resubmissions(session: Session, dossier_codes: Collection[str]) -> dict[str, int]:
    stmt = (
        select(ResubmissionRecord.dossier_code, func.count())
        .where(ResubmissionRecord.dossier_code.in_(dossier_codes))
        .group_by(ResubmissionRecord.dossier_code)
    )
    return {code: int(n) for code, n in session.execute(stmt).all()}
