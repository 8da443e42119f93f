"""Queries of the registry tables: the procedure catalogue, the register of resolved dossiers, dossier links.

``registry/`` decides what a code or a dossier means; this module only reads and writes the
rows. A document belongs to the dossier a staff member linked it to, else to its own code.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sohoa.storage.records import DocumentRecord
from sohoa.storage.registry_records import DossierLinkRecord, ProcedureRecord, RegisterEntryRecord

__all__ = [
    "any_procedure",
    "count_procedures",
    "count_register_entries",
    "delete_dossier_link",
    "document_dossiers",
    "documents_in_dossier",
    "find_procedures",
    "find_register_entries",
    "first_procedure_under",
    "get_dossier_link",
    "get_register_entry",
    "procedures_by_code",
    "register_entries_by_code",
    "save_dossier_link",
]


def procedures_by_code(session: Session, codes: Collection[str]) -> dict[str, ProcedureRecord]:
    """The catalogue's records of exactly these codes (give at most a few hundred at once)."""
    return {r.code: r for r in session.scalars(select(ProcedureRecord).where(ProcedureRecord.code.in_(codes)))}


def any_procedure(session: Session) -> bool:
    return session.scalar(select(ProcedureRecord.code).limit(1)) is not None


def first_procedure_under(session: Session, code: str) -> ProcedureRecord | None:
    """The first catalogue code, in code order, that extends ``code`` by whole segments."""
    return session.scalars(
        select(ProcedureRecord)
        .where(ProcedureRecord.code.startswith(code + ".", autoescape=True))
        .order_by(ProcedureRecord.code)
        .limit(1)
    ).first()


def find_procedures(
    session: Session, *, words: Sequence[str], field: str | None, limit: int, offset: int
) -> tuple[list[ProcedureRecord], int]:
    """One page of procedures by code whose search key holds every one of ``words`` (already folded)."""
    stmt = select(ProcedureRecord)
    if words:
        stmt = stmt.where(*(ProcedureRecord.search_key.contains(w, autoescape=True) for w in words))
    if field is not None:
        stmt = stmt.where(ProcedureRecord.field == field)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(ProcedureRecord.code).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def count_procedures(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProcedureRecord)) or 0


def register_entries_by_code(session: Session, dossier_codes: Collection[str]) -> dict[str, RegisterEntryRecord]:
    """The register's entries of exactly these dossier codes (give at most a few hundred at once)."""
    stmt = select(RegisterEntryRecord).where(RegisterEntryRecord.dossier_code.in_(dossier_codes))
    return {r.dossier_code: r for r in session.scalars(stmt)}


def get_register_entry(session: Session, dossier_code: str) -> RegisterEntryRecord | None:
    return session.get(RegisterEntryRecord, dossier_code)


def find_register_entries(
    session: Session,
    *,
    resolved_from: date | None = None,
    resolved_before: date | None = None,
    procedure_code: str | None = None,
    result_type: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[RegisterEntryRecord], int]:
    """One page of entries by resolved date then dossier code, and how many match in all."""
    stmt = select(RegisterEntryRecord)
    if resolved_from is not None:
        stmt = stmt.where(RegisterEntryRecord.resolved_date >= resolved_from)
    if resolved_before is not None:
        stmt = stmt.where(RegisterEntryRecord.resolved_date < resolved_before)
    if procedure_code is not None:
        stmt = stmt.where(RegisterEntryRecord.procedure_code == procedure_code)
    if result_type is not None:
        stmt = stmt.where(RegisterEntryRecord.result_type == result_type)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(RegisterEntryRecord.resolved_date, RegisterEntryRecord.dossier_code).limit(limit).offset(offset)
    )
    return list(rows), int(total)


def count_register_entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RegisterEntryRecord)) or 0


def document_dossiers() -> Select[str, str, str, datetime | None]:
    """Every document with the dossier it belongs to: the staff link if any, else its own dossier code."""
    dossier = func.coalesce(DossierLinkRecord.dossier_code, DocumentRecord.dossier_code)
    return select(
        DocumentRecord.id.label("document_id"),
        dossier.label("dossier_code"),
        DocumentRecord.state.label("state"),
        DocumentRecord.signed_at.label("signed_at"),
    ).outerjoin(DossierLinkRecord, DossierLinkRecord.document_id == DocumentRecord.id)


def documents_in_dossier(session: Session, dossier_code: str) -> list[DocumentRecord]:
    """The documents that belong to ``dossier_code``, oldest first."""
    ids = document_dossiers().subquery()
    stmt = (
        select(DocumentRecord)
        .join(ids, ids.c.document_id == DocumentRecord.id)
        .where(ids.c.dossier_code == dossier_code)
        .order_by(DocumentRecord.received_at, DocumentRecord.id)
    )
    return list(session.scalars(stmt))


def get_dossier_link(session: Session, document_id: str) -> DossierLinkRecord | None:
    return session.get(DossierLinkRecord, document_id)


def save_dossier_link(
    session: Session, document_id: str, dossier_code: str, *, linked_by: str, linked_at: datetime
) -> DossierLinkRecord:
    """Link ``document_id`` to ``dossier_code``, replacing any link it had; flushed, so a bad id fails here."""
    link = session.get(DossierLinkRecord, document_id)
    if link is None:
        link = DossierLinkRecord(
            document_id=document_id, dossier_code=dossier_code, linked_by=linked_by, linked_at=linked_at
        )
        session.add(link)
    else:
        link.dossier_code, link.linked_by, link.linked_at = dossier_code, linked_by, linked_at
    session.flush()
    return link


def delete_dossier_link(session: Session, link: DossierLinkRecord) -> None:
    session.delete(link)
    session.flush()
