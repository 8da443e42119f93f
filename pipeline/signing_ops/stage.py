"""The sign stage's part: hold a document while the signer is unfit, sign it, and record the
signatures its input already carried."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from sohoa.core.clock import utcnow
from sohoa.core.domain import SignRequest
from sohoa.core.errors import SigningError
from sohoa.pipeline.runtime import Runtime, worker_identity
from sohoa.pipeline.signing_ops.health import signing_blocked
from sohoa.signing.stamp import CopyStamp, stamp_from_settings
from sohoa.signing.trust import trust_roots
from sohoa.signing.verify import verify_pdf
from sohoa.storage.catalogue import get_document, record_event, release_document
from sohoa.storage.signing_queries import replace_existing_signatures
from sohoa.storage.signing_records import ExistingSignatureRecord

log = logging.getLogger(__name__)

SYSTEM = "system"


def hold_for_signer(rt: Runtime, document_id: str) -> bool:
    """Called by the sign stage first: when signing is blocked, leave the document in its state,
    record why (event ``signing.held``), release its lease and return True. The sweeper enqueues it
    again after ``stuck_after``; it is signed once the key is fit again."""

    blocking = signing_blocked(rt)
    if blocking is None:
        return False
    refusal = blocking.error()  # what signing would raise: the held event tells the same reason
    log.warning("document %s waits for the signing key: %s", document_id, refusal)
    with rt.db.session() as session:
        record_event(
            session,
            actor=SYSTEM,
            action="signing.held",
            document_id=document_id,
            details=refusal.event_details(),
        )
        release_document(session, document_id, owner=worker_identity())
    return True


def copy_stamp(rt: Runtime) -> CopyStamp | None:
    """The visible stamp the runtime's settings ask for (``SOHOA_STAMP``, none by default)."""
    return stamp_from_settings(rt.settings)


def sign_document(
    rt: Runtime, document_id: str, source: Path, signed: Path, *, kept_from: Path | None = None
) -> dict[str, Any]:
    """Sign ``source`` into ``signed``: the catalogue fields and event details as one dict.

    Signatures the input already carries (``kept_from``, default ``source``: a clean rendition signs
    in place of the signed file it carries) are verified and recorded first. A certification that
    forbids changes leaves the bytes as they are (``unsigned_reason``)."""
    from sohoa.signing.pades import sign_pdf

    with rt.db.session() as session:
        kept = get_document(session, document_id).kept_signature
    existing = record_existing_signatures(rt, document_id, kept_from or source) if kept else []
    request = SignRequest(
        input_path=source,
        output_path=signed,
        level=rt.settings.signing_level,
        reason=rt.settings.signing_reason,
        location=rt.settings.signing_location,
    )
    extra: dict[str, Any] = {"existing_signatures": len(existing)} if kept else {}
    try:
        info = sign_pdf(request, rt.signer(), timestamper=rt.settings.tsa_url, stamp=copy_stamp(rt))
    except SigningError as exc:
        if exc.code != "changes_forbidden":
            raise
        shutil.copyfile(source, signed)
        return {"signed_at": utcnow().isoformat(), "unsigned_reason": exc.code, **extra}
    outcome = {
        "signer_subject": info.signer_subject,
        "signer_fingerprint": info.certificate_sha256,
        "signature_level": info.level,
        "signed_at": info.signed_at.isoformat(),
        **extra,
    }
    if info.stamp_text is not None:
        outcome["stamp"] = info.stamp_text
    return outcome


# The row keeps these of a signature's report as they are, under the same names (texts are cut to
# their columns above).
_AS_REPORTED = (
    "certificate_sha256", "signing_time", "intact", "trusted", "revocation", "modification", "certification", "valid",
)  # fmt: skip


def record_existing_signatures(rt: Runtime, document_id: str, pdf_path: Path) -> list[dict[str, Any]]:
    """Verify the signatures ``pdf_path`` carries (against the configured roots, offline) and store one
    row each, replacing earlier rows of the document; returns the reports as dicts."""
    report = verify_pdf(pdf_path, trust_roots=trust_roots(rt.settings))
    rows = [
        ExistingSignatureRecord(
            document_id=document_id,
            position=i,
            field_name=s.field_name[:255],
            signer_subject=s.signer_subject[:512] if s.signer_subject else None,
            problems=list(s.problems),
            recorded_at=utcnow(),
            **{name: getattr(s, name) for name in _AS_REPORTED},
        )
        for i, s in enumerate(report.signatures)
    ]
    with rt.db.session() as session:
        replace_existing_signatures(session, document_id, rows)
        record_event(
            session,
            actor=SYSTEM,
            action="signatures.found",
            document_id=document_id,
            details={
                "count": len(rows),
                "intact": sum(r.intact for r in rows),
                "trusted": sum(r.trusted for r in rows),
            },
        )
    return [s.to_dict() for s in report.signatures]
