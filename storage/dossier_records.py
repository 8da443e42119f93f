"""Tables of dossiers and their owners: a dossier's owner and dates, the documents it holds and in
which role, what sohoa knows of a document beyond its filing metadata, and re-submissions.

On ``storage.records.Base``; created by migration 0011. Owner numbers are stored whole: masking is
the business of whoever shows them (``core.owners.mask_id``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sohoa.core.clock import utcnow
from sohoa.storage.records import Base

__all__ = ["DocumentFactsRecord", "DossierDocumentRecord", "DossierRecord", "OwnerRecord", "ResubmissionRecord"]


class OwnerRecord(Base):
    """A person or organisation that files dossiers: identified by id type and number."""

    __tablename__ = "owners"

    id_type: Mapped[str] = mapped_column(String(16), primary_key=True)  # core.owners.OwnerIdType
    id_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DossierRecord(Base):
    """One dossier (hồ sơ): from the register, an upload, or created by hand."""

    __tablename__ = "dossiers"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    procedure_code: Mapped[str | None] = mapped_column(String(64), default=None)
    owner_id_type: Mapped[str | None] = mapped_column(String(16), default=None)
    owner_id_number: Mapped[str | None] = mapped_column(String(32), default=None)
    owner_name: Mapped[str | None] = mapped_column(Text, default=None)
    received_date: Mapped[date | None] = mapped_column(Date, default=None, index=True)  # Asia/Ho_Chi_Minh
    resolved_date: Mapped[date | None] = mapped_column(Date, default=None)
    result_type: Mapped[str | None] = mapped_column(String(16), default=None)  # paper | electronic
    closed_at: Mapped[datetime | None] = mapped_column(default=None)  # no component is added after
    source: Mapped[str] = mapped_column(String(16), default="manual")  # register | upload | manual
    created_by: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DossierDocumentRecord(Base):
    """A document serving a dossier, as its result or as one of its components; linked, never copied."""

    __tablename__ = "dossier_documents"

    dossier_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # result | component
    component: Mapped[str | None] = mapped_column(Text, default=None)  # the name the procedure lists
    origin: Mapped[str] = mapped_column(String(16), default="upload")  # upload | reused
    linked_by: Mapped[str] = mapped_column(String(128))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentFactsRecord(Base):
    """What sohoa knows of one document besides its filing metadata: owner, validity, the paper it repeats."""

    __tablename__ = "document_facts"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    owner_id_type: Mapped[str | None] = mapped_column(String(16), default=None)
    owner_id_number: Mapped[str | None] = mapped_column(String(32), default=None)
    owner_name: Mapped[str | None] = mapped_column(Text, default=None)
    owner_source: Mapped[str | None] = mapped_column(String(16), default=None)  # upload | dossier | review
    printed_owners: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)  # read from the text
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)
    validity_source: Mapped[str | None] = mapped_column(String(16), default=None)  # text | review
    same_as: Mapped[str | None] = mapped_column(String(36), default=None)  # the archived paper it repeats
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResubmissionRecord(Base):
    """A component uploaded again although a reusable copy was on file: what the reuse target counts."""

    __tablename__ = "resubmissions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_code: Mapped[str] = mapped_column(String(64), index=True)
    document_id: Mapped[str | None] = mapped_column(String(36), default=None)  # None: the same bytes, not stored
    archived_id: Mapped[str] = mapped_column(String(36))  # the reusable document it repeats
    kind: Mapped[str] = mapped_column(String(16))  # bytes | content
    component: Mapped[str | None] = mapped_column(Text, default=None)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_dossiers_owner", DossierRecord.owner_id_type, DossierRecord.owner_id_number)
Index("ix_dossier_documents_document_id", DossierDocumentRecord.document_id)
Index("ix_document_facts_owner", DocumentFactsRecord.owner_id_type, DocumentFactsRecord.owner_id_number)
