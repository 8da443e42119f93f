"""API schemas: the public shape of things, separate from catalogue records and domain values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AliasChoices, AliasPath, BaseModel, ConfigDict, Field

from sohoa.core.clock import to_local
from sohoa.core.domain import Role
from sohoa.storage.accounts import MAX_PASSWORD, MIN_PASSWORD
from sohoa.storage.records import UserRecord

__all__ = [
    "AuditPage",
    "BatchList",
    "BatchPublic",
    "BatchSummary",
    "DocumentList",
    "DocumentPublic",
    "ErrorPublic",
    "EventPublic",
    "FromAttributes",
    "LocalTime",
    "LoginPublic",
    "MePublic",
    "PasswordSet",
    "ReadinessPublic",
    "RejectedPublic",
    "SigningStatusPublic",
    "TokenPublic",
    "TokensRevokedPublic",
    "UploadDocumentPublic",
    "UploadResponse",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
    "WarningPublic",
    "errors",
]


class ErrorPublic(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error answers, all of the ``ErrorPublic`` shape."""
    return {status: {"model": ErrorPublic} for status in statuses}


class UploadDocumentPublic(BaseModel):
    id: str
    filename: str
    state: str
    duplicate_of: str | None = None
    parts: list[str] = []  # a document of several files: their names, in page order


class RejectedPublic(BaseModel):
    filename: str
    code: str
    message: str
    document_id: str | None = None


class UploadResponse(BaseModel):
    batch_id: str
    documents: list[UploadDocumentPublic]
    rejected: list[RejectedPublic]


# A moment as every answer gives it: in Vietnam's time zone (ISO 8601 with +07:00).
LocalTime = Annotated[datetime, AfterValidator(to_local)]


class FromAttributes(BaseModel):
    """A public schema read from a record or a domain value by its attribute names (``model_validate(value)``),
    so that the fields are declared once here and not copied one by one."""

    model_config = ConfigDict(from_attributes=True)


class DocumentPublic(FromAttributes):
    id: str
    batch_id: str | None
    filename: str
    state: str
    reason_code: str | None = None
    reason_message: str | None = None
    procedure_code: str | None
    dossier_code: str | None
    sha256: str = Field(validation_alias=AliasChoices("original_sha256", "sha256"))
    page_count: int | None
    kept_signature: bool
    mean_confidence: float | None
    # A record's own ``metadata`` is SQLAlchemy's table catalogue: the JSON column is ``metadata_json``.
    metadata: dict[str, Any] | None = Field(validation_alias=AliasChoices("metadata_json", "metadata"))
    review_reasons: list[str] | None
    archive_key: str | None
    archive_sha256: str | None
    signer_subject: str | None
    signature_level: str | None
    signed_at: LocalTime | None
    received_at: LocalTime
    archived_at: LocalTime | None


class DocumentList(BaseModel):
    total: int
    limit: int
    offset: int
    documents: list[DocumentPublic]


class BatchSummary(FromAttributes):
    """An upload batch and how many of its documents are in each state."""

    # Read from the pipeline's BatchCounts: the batch's own fields come from its catalogue record.
    batch_id: str = Field(validation_alias=AliasPath("batch", "id"))
    created_at: LocalTime = Field(validation_alias=AliasPath("batch", "created_at"))
    created_by: str = Field(validation_alias=AliasPath("batch", "created_by"))
    procedure_code: str | None = Field(validation_alias=AliasPath("batch", "procedure_code"))
    dossier_code: str | None = Field(validation_alias=AliasPath("batch", "dossier_code"))
    counts: dict[str, int]  # documents by state


class BatchPublic(BatchSummary):
    """An upload batch with its documents, by file name."""

    documents: list[DocumentPublic]


class BatchList(BaseModel):
    total: int
    limit: int
    offset: int
    batches: list[BatchSummary]


class EventPublic(FromAttributes):
    id: int
    at: LocalTime
    actor: str
    action: str
    document_id: str | None
    batch_id: str | None
    from_state: str | None
    to_state: str | None
    details: dict[str, Any] | None


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    events: list[EventPublic]  # newest first


class LoginPublic(BaseModel):
    user: str
    role: Role


class MePublic(BaseModel):
    name: str
    role: Role


class UserPublic(BaseModel):
    name: str
    role: Role
    disabled: bool
    has_password: bool
    locked_until: LocalTime | None
    created_at: LocalTime

    @classmethod
    def from_record(cls, user: UserRecord) -> UserPublic:
        return cls(
            name=user.name,
            role=Role(user.role),
            disabled=user.disabled,
            has_password=user.password_hash is not None,
            locked_until=user.locked_until,
            created_at=user.created_at,
        )


class UserCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    role: Role
    password: str | None = Field(default=None, min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)
    token: bool = Field(default=False, description="also issue an API token (shown once)")


class UserUpdate(BaseModel):
    role: Role | None = None
    disabled: bool | None = Field(default=None, description="a disabled user can neither sign in nor use tokens")


class PasswordSet(BaseModel):
    password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)


class TokenPublic(BaseModel):
    user: UserPublic
    token: str | None = Field(default=None, description="bearer token, shown only this once")


class TokensRevokedPublic(BaseModel):
    revoked: int


class WarningPublic(BaseModel):
    code: str
    message: str
    fatal: bool


class SigningStatusPublic(BaseModel):
    available: bool
    backend: str | None
    subject: str | None
    issuer: str | None
    not_after: LocalTime | None
    days_left: float | None
    level: str
    tsa_url: str | None
    warnings: list[WarningPublic]


class ReadinessPublic(BaseModel):
    ready: bool
    checks: dict[str, str]
    certificate_days_left: float | None = None
