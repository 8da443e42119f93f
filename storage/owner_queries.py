"""Queries of owners and of what an owner has on file (the owner's store, Kho dữ liệu).

A document belongs to an owner by its own facts (``document_facts``); the dossiers it serves
come from ``dossier_documents``. ``registry.dossiers`` decides which of them are reusable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.storage.dossier_queries import insert_new
from sohoa.storage.dossier_records import DocumentFactsRecord, DossierDocumentRecord, OwnerRecord
from sohoa.storage.records import DocumentRecord

__all__ = ["documents_of_owner", "find_owners", "get_owner", "save_owner"]


def get_owner(session: Session, id_type: str, id_number: str) -> OwnerRecord | None:
    return session.get(OwnerRecord, (id_type, id_number))


def save_owner(session: Session, id_type: str, id_number: str, name: str | None, *, now: datetime) -> OwnerRecord:
    """The owner's row, created on first sight (also by two uploads at once); a name given replaces the one kept."""
    values = {"id_type": id_type, "id_number": id_number, "name": name, "created_at": now, "updated_at": now}
    insert_new(session, OwnerRecord, values, ["id_type", "id_number"])
    record = session.get(OwnerRecord, (id_type, id_number), populate_existing=True)
    assert record is not None  # an owner is never deleted
    if name and name != record.name:
        record.name, record.updated_at = name, now
        session.flush()
    return record


def find_owners(
    session: Session, *, id_number_prefix: str | None, name_contains: str | None, limit: int
) -> list[OwnerRecord]:
    stmt = select(OwnerRecord)
    if id_number_prefix:
        stmt = stmt.where(OwnerRecord.id_number.startswith(id_number_prefix, autoescape=True))
    if name_contains:
        stmt = stmt.where(OwnerRecord.name.contains(name_contains, autoescape=True))
    return list(session.scalars(stmt.order_by(OwnerRecord.id_type, OwnerRecord.id_number).limit(limit)))


def documents_of_owner(
    session: Session, id_type: str, id_number: str
) -> list[tuple[DocumentRecord, DocumentFactsRecord, list[DossierDocumentRecord]]]:
    """Every document of the owner with its facts and the dossiers it serves, newest first."""
    stmt = (
        select(DocumentRecord, DocumentFactsRecord)
        .join(DocumentFactsRecord, DocumentFactsRecord.document_id == DocumentRecord.id)
        .where(DocumentFactsRecord.owner_id_type == id_type, DocumentFactsRecord.owner_id_number == id_number)
        .order_by(DocumentRecord.received_at.desc(), DocumentRecord.id)
    )
    rows = session.execute(stmt).all()
    ids = [d.id for d, _ in rows]
    served: dict[str, list[DossierDocumentRecord]] = {i: [] for i in ids}
    if ids:
        links = select(DossierDocumentRecord).where(DossierDocumentRecord.document_id.in_(ids))
        for link in session.scalars(links.order_by(DossierDocumentRecord.linked_at)):
            served[link.document_id].append(link)
    return [(d, f, served[d.id]) for d, f in rows]
