"""Archive tables: supersessions, legal holds, retention dates and fixity runs; lineage queries.

A correction never changes an archived record: a new document *supersedes* it. The link is
recorded at once and takes effect when the new document is archived, so a replacement that
fails or is rejected leaves the old record current. Search and listings exclude superseded
documents with :func:`superseded_ids`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, Select, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState
from sohoa.storage.records import Base, DocumentRecord

__all__ = [
    "FixityRunRecord",
    "LegalHoldRecord",
    "RetentionRecord",
    "SupersessionRecord",
    "active_hold",
    "is_superseded",
    "superseded_by",
    "superseded_ids",
    "supersessions_of",
]


class SupersessionRecord(Base):
    """``new_document_id`` replaces ``old_document_id``; both stay archived."""

    __tablename__ = "supersessions"

    new_document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    old_document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lineage_key: Mapped[str | None] = mapped_column(String(256), default=None)  # its record in the archive


class LegalHoldRecord(Base):
    """One legal hold on a document's archived object, from placement to release."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    archive_key: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(128))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(128), default=None)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    release_reason: Mapped[str | None] = mapped_column(Text, default=None)


class RetentionRecord(Base):
    """Until when the store must keep a document's archived object, as the store reported it."""

    __tablename__ = "archive_retentions"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    archive_key: Mapped[str] = mapped_column(String(256))
    mode: Mapped[str | None] = mapped_column(String(16), default=None)  # None: the store keeps no date
    retain_until: Mapped[datetime | None] = mapped_column(default=None, index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class FixityRunRecord(Base):
    """One fixity audit: how many archived objects were re-read and what was wrong."""

    __tablename__ = "fixity_runs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    actor: Mapped[str] = mapped_column(String(128))
    sample: Mapped[int | None] = mapped_column(Integer, default=None)
    since: Mapped[datetime | None] = mapped_column(default=None)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    intact: Mapped[int] = mapped_column(Integer, default=0)
    mismatched: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    unreadable: Mapped[int] = mapped_column(Integer, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)


def _effective() -> Select[str, str]:
    # A supersession counts once its new document is archived.
    return (
        select(SupersessionRecord.old_document_id, SupersessionRecord.new_document_id)
        .join(DocumentRecord, DocumentRecord.id == SupersessionRecord.new_document_id)
        .where(DocumentRecord.state == DocumentState.ARCHIVED.value)
    )


def superseded_ids() -> Select[str]:
    """Ids of superseded documents, for ``DocumentRecord.id.not_in(superseded_ids())``."""
    return select(_effective().subquery().c.old_document_id)


def is_superseded(session: Session, document_id: str) -> bool:
    return superseded_by(session, document_id) is not None


def superseded_by(session: Session, document_id: str) -> str | None:
    """The archived document that replaces ``document_id``, if any."""
    row = session.execute(
        _effective().where(SupersessionRecord.old_document_id == document_id).order_by(SupersessionRecord.created_at)
    ).first()
    return row[1] if row else None


def supersessions_of(session: Session, document_ids: Iterable[str]) -> list[SupersessionRecord]:
    """Every link touching one of ``document_ids``, in either direction, pending or effective."""
    ids = list(document_ids)
    return list(
        session.scalars(
            select(SupersessionRecord)
            .where(SupersessionRecord.old_document_id.in_(ids) | SupersessionRecord.new_document_id.in_(ids))
            .order_by(SupersessionRecord.created_at)
        )
    )


def active_hold(session: Session, document_id: str) -> LegalHoldRecord | None:
    return session.scalars(
        select(LegalHoldRecord)
        .where(LegalHoldRecord.document_id == document_id, LegalHoldRecord.released_at.is_(None))
        .order_by(LegalHoldRecord.id.desc())
    ).first()
