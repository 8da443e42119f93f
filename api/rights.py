"""Who may do what: one table from rights to roles. ``admin`` holds every right."""

from __future__ import annotations

from enum import StrEnum

from core.domain import Role

__all__ = ["RIGHTS", "Right", "has_right"]


class Right(StrEnum):
    UPLOAD = "upload"
    READ_BATCHES = "read_batches"
    READ_DOCUMENTS = "read_documents"
    DOWNLOAD = "download"
    REVIEW = "review"
    READ_AUDIT = "read_audit"
    MANAGE_USERS = "manage_users"
    SIGNING_ADMIN = "signing_admin"
    METRICS = "metrics"
    MANAGE_REGISTRY = "manage_registry"


R = Role
RIGHTS: dict[Right, frozenset[Role]] = {
    Right.UPLOAD: frozenset({R.UPLOADER}),
    Right.READ_BATCHES: frozenset({R.UPLOADER, R.REVIEWER, R.ARCHIVIST, R.AUDITOR}),
    Right.READ_DOCUMENTS: frozenset({R.REVIEWER, R.ARCHIVIST, R.AUDITOR}),
    Right.DOWNLOAD: frozenset({R.ARCHIVIST, R.AUDITOR, R.REVIEWER}),
    Right.REVIEW: frozenset({R.REVIEWER}),
    Right.READ_AUDIT: frozenset({R.AUDITOR}),
    Right.MANAGE_USERS: frozenset(),
    Right.SIGNING_ADMIN: frozenset({R.SIGNER_ADMIN}),
    Right.METRICS: frozenset({R.METRICS}),
    Right.MANAGE_REGISTRY: frozenset({R.ARCHIVIST}),
}


def has_right(role: Role | str, right: Right) -> bool:
    role = Role(role)
    return role is Role.ADMIN or role in RIGHTS[right]
