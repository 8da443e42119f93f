"""Signing over the catalogue and the object store: the signer's health (which may hold signing),
signatures found on inputs, verification of archived copies and renewal of their timestamps.

Called by the sign stage, the API, the CLI and the worker; the signing itself is :mod:`signing`'s.

Modules: :mod:`.health` (the signer's checks and whether signing waits), :mod:`.stage` (holding,
signing, signatures found on inputs), :mod:`.archive` (verifying archived copies, renewing their
timestamps).
"""

from __future__ import annotations

from sohoa.pipeline.signing_ops.archive import (
    current_archive_key,
    latest_verification,
    renew_archive_timestamps,
    verify_archived,
)
from sohoa.pipeline.signing_ops.health import (
    CHECK_EVERY,
    SignerHealth,
    check_signer,
    signer_metrics,
    signer_readiness,
    signer_status,
    signing_blocked,
    start_certificate_checks,
)
from sohoa.pipeline.signing_ops.stage import copy_stamp, hold_for_signer, record_existing_signatures, sign_document

__all__ = [
    "CHECK_EVERY",
    "SignerHealth",
    "check_signer",
    "copy_stamp",
    "current_archive_key",
    "hold_for_signer",
    "latest_verification",
    "record_existing_signatures",
    "renew_archive_timestamps",
    "sign_document",
    "signer_metrics",
    "signer_readiness",
    "signer_status",
    "signing_blocked",
    "start_certificate_checks",
    "verify_archived",
]
