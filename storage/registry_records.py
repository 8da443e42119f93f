"""Registry tables: the procedure catalogue, the register of resolved dossiers, staff links to dossiers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sohoa.core.clock import utcnow
from sohoa.storage.records import Base

__all__ = ["DossierLinkRecord", "ProcedureRecord", "RegisterEntryRecord"]


class ProcedureRecord(Base):
    """One administrative procedure (thủ tục hành chính) of the catalogue."""

    __tablename__ = "procedures"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(255), default=None)  # lĩnh vực
    agency: Mapped[str | None] = mapped_column(String(255), default=None)  # cơ quan thực hiện
    search_key: Mapped[str] = mapped_column(Text, default="")  # core.text.fold of code, name, field, agency
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegisterEntryRecord(Base):
    """One resolved dossier as the one-stop system exported it; the dossier code is its identity."""

    __tablename__ = "register_entries"

    dossier_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(64), index=True)
    procedure_name: Mapped[str | None] = mapped_column(Text, default=None)
    field: Mapped[str | None] = mapped_column(String(255), default=None)
    # Calendar dates in Asia/Ho_Chi_Minh, as the one-stop system shows them.
    received_date: Mapped[date | None] = mapped_column(Date, default=None)
    resolved_date: Mapped[date] = mapped_column(Date, index=True)
    result_type: Mapped[str] = mapped_column(String(16))  # paper | electronic
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DossierLinkRecord(Base):
    """A staff decision that a document belongs to a dossier; it overrides the document's own dossier code."""

    __tablename__ = "dossier_links"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    dossier_code: Mapped[str] = mapped_column(String(64), index=True)
    linked_by: Mapped[str] = mapped_column(String(128))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_register_entries_resolved_result", RegisterEntryRecord.resolved_date, RegisterEntryRecord.result_type)
