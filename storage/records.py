"""Catalogue tables (SQLAlchemy 2.0). Records are the database's view; domain values live in core.domain."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from sohoa.core.clock import utcnow
from sohoa.core.domain import Metadata

__all__ = [
    "ApiTokenRecord",
    "Base",
    "BatchRecord",
    "DocumentRecord",
    "EventRecord",
    "MetadataJSON",
    "OriginalRecord",
    "PageRecord",
    "UserRecord",
    "UserSecretColumns",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Always hand back aware UTC datetimes, also from SQLite which forgets the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            from datetime import UTC

            value = value.replace(tzinfo=UTC)
        return value


_FIELD_ORDER = {f.name: i for i, f in enumerate(fields(Metadata))}


def _ordered(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = sorted(value.items(), key=lambda kv: (_FIELD_ORDER.get(kv[0], len(_FIELD_ORDER)), kv[0]))
    return {key: _ordered(item) for key, item in items}


class MetadataJSON(TypeDecorator[dict[str, Any]]):
    """A document's metadata: JSONB on PostgreSQL, JSON elsewhere; keys in ``Metadata``'s field order.

    JSONB because search filters read fields of every row a text query matches: ``->>`` on
    ``json`` parses the whole document each time (about ten times slower). JSONB keeps keys in
    its own order, so they are handed back in the order of the ``Metadata`` fields (others after,
    by name) on both engines: the search text and the pages that show metadata stay the same.
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return _ordered(value)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class UserRecord(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSecretColumns:
    """A secret a user holds (an API token, a browser session), kept only as its sha256.

    The secret is 256 random bits: a slow hash adds nothing at that entropy, and a copied table
    cannot be replayed as tokens or cookies.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiTokenRecord(UserSecretColumns, Base):
    __tablename__ = "api_tokens"

    prefix: Mapped[str] = mapped_column(String(16))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)  # None: never (SOHOA_TOKEN_DAYS=0)


class BatchRecord(Base):
    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))
    procedure_code: Mapped[str | None] = mapped_column(String(64), default=None)
    dossier_code: Mapped[str | None] = mapped_column(String(64), default=None)
    source: Mapped[str] = mapped_column(String(16), default="api")


class DocumentRecord(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"), index=True, default=None)
    filename: Mapped[str] = mapped_column(String(512))
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason_code: Mapped[str | None] = mapped_column(String(64), default=None)
    reason_message: Mapped[str | None] = mapped_column(Text, default=None)
    procedure_code: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    dossier_code: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    original_sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_key: Mapped[str | None] = mapped_column(String(256), default=None)
    original_kind: Mapped[str | None] = mapped_column(String(8), default=None)
    original_size: Mapped[int] = mapped_column(BigInteger, default=0)
    container_sha256: Mapped[str | None] = mapped_column(String(64), default=None)  # the zip it came in
    page_count: Mapped[int | None] = mapped_column(Integer, default=None)
    kept_signature: Mapped[bool] = mapped_column(Boolean, default=False)
    mean_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column(MetadataJSON, default=None)
    review_reasons: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    search_text: Mapped[str | None] = mapped_column(Text, default=None)  # core.text.fold of text + metadata
    archive_key: Mapped[str | None] = mapped_column(String(256), unique=True, default=None)
    archive_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    # The corrections stored beside the archived PDF ({id}.c{n}.json), oldest first, as
    # {"key", "sha256", "size"}: so that fixity finds one lost or changed. None: none known.
    archive_corrections: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    signer_subject: Mapped[str | None] = mapped_column(String(512), default=None)
    signer_fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    signature_level: Mapped[str | None] = mapped_column(String(8), default=None)
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker's claim on the document while it runs a stage (cleared by every state change).
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_expires: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(128), default="system")


class OriginalRecord(Base):
    """One row per distinct original: its primary key makes duplicate detection race-free."""

    __tablename__ = "originals"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    # No foreign key: the claim is taken before the document row exists, in the same transaction.
    document_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PageRecord(Base):
    __tablename__ = "pages"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    page_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="ocr")
    confidence: Mapped[float | None] = mapped_column(Float, default=None)


class EventRecord(Base):
    """The append-only audit log: every state change and action."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    document_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    from_state: Mapped[str | None] = mapped_column(String(16), default=None)
    to_state: Mapped[str | None] = mapped_column(String(16), default=None)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


Index("ix_documents_procedure_state", DocumentRecord.procedure_code, DocumentRecord.state)
