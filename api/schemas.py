"""API schemas: the public shape of things, separate from catalogue records and domain values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from core.clock import to_local
from storage.records import DocumentRecord

__all__ = [
    "BatchPublic",
    "DocumentList",
    "DocumentPublic",
    "ErrorPublic",
    "EventPublic",
    "RejectedPublic",
    "UploadDocumentPublic",
    "UploadResponse",
]


class ErrorPublic(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class UploadDocumentPublic(BaseModel):
    id: str
    filename: str
    state: str
    duplicate_of: str | None = None


class RejectedPublic(BaseModel):
    filename: str
    code: str
    message: str
    document_id: str | None = None


class UploadResponse(BaseModel):
    batch_id: str
    documents: list[UploadDocumentPublic]
    rejected: list[RejectedPublic]


def _local(moment: datetime | None) -> datetime | None:
    return to_local(moment) if moment is not None else None


class DocumentPublic(BaseModel):
    id: str
    batch_id: str | None
    filename: str
    state: str
    reason_code: str | None = None
    reason_message: str | None = None
    procedure_code: str | None
    dossier_code: str | None
    sha256: str
    page_count: int | None
    kept_signature: bool
    mean_confidence: float | None
    metadata: dict[str, Any] | None
    review_reasons: list[str] | None
    archive_key: str | None
    archive_sha256: str | None
    signer_subject: str | None
    signature_level: str | None
    signed_at: datetime | None
    received_at: datetime
    archived_at: datetime | None

    @classmethod
    def from_record(cls, doc: DocumentRecord) -> DocumentPublic:
        return cls(
            id=doc.id,
            batch_id=doc.batch_id,
            filename=doc.filename,
            state=doc.state,
            reason_code=doc.reason_code,
            reason_message=doc.reason_message,
            procedure_code=doc.procedure_code,
            dossier_code=doc.dossier_code,
            sha256=doc.original_sha256,
            page_count=doc.page_count,
            kept_signature=doc.kept_signature,
            mean_confidence=doc.mean_confidence,
            metadata=doc.metadata_json,
            review_reasons=doc.review_reasons,
            archive_key=doc.archive_key,
            archive_sha256=doc.archive_sha256,
            signer_subject=doc.signer_subject,
            signature_level=doc.signature_level,
            signed_at=_local(doc.signed_at),
            received_at=to_local(doc.received_at),
            archived_at=_local(doc.archived_at),
        )


class DocumentList(BaseModel):
    total: int
    limit: int
    offset: int
    documents: list[DocumentPublic]


class BatchPublic(BaseModel):
    batch_id: str
    created_at: datetime
    created_by: str
    procedure_code: str | None
    dossier_code: str | None
    counts: dict[str, int]
    documents: list[DocumentPublic]


class EventPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    document_id: str | None
    batch_id: str | None
    from_state: str | None
    to_state: str | None
    details: dict[str, Any] | None
