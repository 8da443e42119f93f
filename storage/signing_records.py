"""Catalogue tables of the signing feature: checks of archived copies, signatures found on inputs,
and renewed archive copies. On ``storage.records.Base``; created by migration 0007."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sohoa.core.clock import utcnow
from sohoa.storage.records import Base

__all__ = ["ArchiveRenewalRecord", "ExistingSignatureRecord", "SignatureCheckRecord"]


class SignatureCheckRecord(Base):
    """One verification of a document's archived copy (the newest row is the one shown)."""

    __tablename__ = "signature_checks"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    archive_key: Mapped[str] = mapped_column(String(256))
    archive_sha256: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_by: Mapped[str] = mapped_column(String(128))
    valid: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str] = mapped_column(String(128))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)  # signing.verify.VerificationReport.to_dict()


class ExistingSignatureRecord(Base):
    """A signature an input already carried when it arrived (its bytes are never rewritten)."""

    __tablename__ = "existing_signatures"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # order in the file
    field_name: Mapped[str] = mapped_column(String(255))
    signer_subject: Mapped[str | None] = mapped_column(String(512), default=None)
    certificate_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    signing_time: Mapped[datetime | None] = mapped_column(default=None)
    intact: Mapped[bool] = mapped_column(Boolean)
    trusted: Mapped[bool] = mapped_column(Boolean)  # to the configured trust roots
    revocation: Mapped[str] = mapped_column(String(16))
    modification: Mapped[str] = mapped_column(String(16))  # changes after it, as found on arrival
    certification: Mapped[str | None] = mapped_column(String(16), default=None)  # DocMDP of a certification
    valid: Mapped[bool] = mapped_column(Boolean)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArchiveRenewalRecord(Base):
    """A renewed copy ``{document_id}.r{generation}.pdf`` stored beside the archived one, which stays."""

    __tablename__ = "archive_renewals"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, 2, ...
    archive_key: Mapped[str] = mapped_column(String(256), unique=True)
    previous_key: Mapped[str] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64))
    previous_expiry: Mapped[datetime] = mapped_column()  # of the TSA certificate renewed
    expires_at: Mapped[datetime] = mapped_column()  # of the new timestamp's TSA certificate
    renewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    renewed_by: Mapped[str] = mapped_column(String(128))


Index("ix_signature_checks_document", SignatureCheckRecord.document_id, SignatureCheckRecord.checked_at)
