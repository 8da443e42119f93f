"""Who may do what: one table from rights to roles. ``admin`` holds every right.

The roles of a department:

- ``uploader``: uploads, and follows its own batches;
- ``reviewer``: reads documents, corrects and approves their metadata, links them to dossiers;
- ``archivist``: searches, downloads, reports, register and procedure imports, cover sheets;
- ``signer_admin``: the signing settings and the certificate's status;
- ``auditor``: reads everything, changes nothing (it holds every ``READ_RIGHTS`` right);
- ``metrics``: ``/metrics`` only (a Prometheus scraper);
- ``admin``: every right, users included.

``owner_data`` is the right to see owners' id numbers in full (Nghị định 13/2023/NĐ-CP); the
roles holding it besides ``admin`` are set by ``SOHOA_OWNER_DATA_ROLES`` (default: archivist and
reviewer), so :func:`sees_owner_data` decides, not the table.
"""

from __future__ import annotations

from enum import StrEnum

from sohoa.core.domain import Role
from sohoa.core.settings import Settings

__all__ = ["READ_RIGHTS", "RIGHTS", "Right", "has_right", "sees_owner_data"]


class Right(StrEnum):
    UPLOAD = "upload"
    READ_BATCHES = "read_batches"  # uploaders: their own batches only
    READ_DOCUMENTS = "read_documents"  # documents, search, register, cover sheets
    READ_PROCEDURES = "read_procedures"
    READ_REPORTS = "read_reports"
    DOWNLOAD = "download"
    REVIEW = "review"
    READ_AUDIT = "read_audit"
    READ_USERS = "read_users"
    MANAGE_USERS = "manage_users"
    READ_SIGNING = "read_signing"
    SIGNING_ADMIN = "signing_admin"
    METRICS = "metrics"
    MANAGE_REGISTRY = "manage_registry"
    PRINT_COVER_SHEETS = "print_cover_sheets"
    VERIFY = "verify"  # check the signatures of any PDF
    LEGAL_HOLD = "legal_hold"  # place or release a legal hold on an archived record
    READ_DOSSIERS = "read_dossiers"  # dossiers and owners' stores (numbers masked without owner_data)
    MANAGE_DOSSIERS = "manage_dossiers"  # create and close dossiers, reuse papers on file
    OWNER_DATA = "owner_data"  # owners' id numbers in full


# Rights that only read: the auditor holds every one of them, and no other.
READ_RIGHTS = frozenset(
    {
        Right.READ_BATCHES,
        Right.READ_DOCUMENTS,
        Right.READ_PROCEDURES,
        Right.READ_REPORTS,
        Right.DOWNLOAD,
        Right.READ_AUDIT,
        Right.READ_USERS,
        Right.READ_SIGNING,
        Right.METRICS,
        Right.VERIFY,
        Right.READ_DOSSIERS,
    }
)

R = Role
_GRANTED: dict[Right, frozenset[Role]] = {
    Right.UPLOAD: frozenset({R.UPLOADER}),
    Right.READ_BATCHES: frozenset({R.UPLOADER, R.REVIEWER, R.ARCHIVIST}),
    Right.READ_DOCUMENTS: frozenset({R.REVIEWER, R.ARCHIVIST}),
    Right.READ_PROCEDURES: frozenset({R.UPLOADER, R.REVIEWER, R.ARCHIVIST, R.SIGNER_ADMIN}),
    Right.READ_REPORTS: frozenset({R.ARCHIVIST}),
    Right.DOWNLOAD: frozenset({R.REVIEWER, R.ARCHIVIST}),
    Right.REVIEW: frozenset({R.REVIEWER}),
    Right.READ_AUDIT: frozenset(),
    Right.READ_USERS: frozenset(),
    Right.MANAGE_USERS: frozenset(),
    Right.READ_SIGNING: frozenset({R.SIGNER_ADMIN}),
    Right.SIGNING_ADMIN: frozenset({R.SIGNER_ADMIN}),
    Right.METRICS: frozenset({R.METRICS}),
    Right.MANAGE_REGISTRY: frozenset({R.ARCHIVIST}),
    Right.PRINT_COVER_SHEETS: frozenset({R.ARCHIVIST}),
    Right.VERIFY: frozenset({R.UPLOADER, R.REVIEWER, R.ARCHIVIST, R.SIGNER_ADMIN}),
    Right.LEGAL_HOLD: frozenset(),
    Right.READ_DOSSIERS: frozenset({R.UPLOADER, R.REVIEWER, R.ARCHIVIST}),
    Right.MANAGE_DOSSIERS: frozenset({R.UPLOADER, R.REVIEWER, R.ARCHIVIST}),
    Right.OWNER_DATA: frozenset({R.ARCHIVIST, R.REVIEWER}),  # the default of SOHOA_OWNER_DATA_ROLES
}
RIGHTS: dict[Right, frozenset[Role]] = {
    right: roles | {R.ADMIN} | ({R.AUDITOR} if right in READ_RIGHTS else frozenset())
    for right, roles in _GRANTED.items()
}


def has_right(role: Role | str, right: Right) -> bool:
    return Role(role) in RIGHTS[right]


def sees_owner_data(role: Role | str, settings: Settings) -> bool:
    """Whether ``role`` sees owners' id numbers in full: admin always, others as configured."""
    chosen = Role(role)
    if chosen is Role.ADMIN:
        return True
    configured = {r.strip() for r in settings.owner_data_roles.split(",") if r.strip()}
    return chosen.value in configured
