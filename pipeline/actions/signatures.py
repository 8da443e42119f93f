"""Signatures on one file, for people: sign a PDF with the configured key, verify any PDF (uploaded
or on disk), check the signer now. The pipeline's own signing of documents is ``signing_ops``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from sohoa.core.domain import SignRequest
from sohoa.core.errors import InputRejected
from sohoa.core.settings import Settings
from sohoa.pipeline.actions.audit import audit_event
from sohoa.pipeline.intake import spool
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import SignerHealth, check_signer, latest_verification, verify_archived
from sohoa.signing.backends import load_signer
from sohoa.signing.pades import SignatureInfo, level_refusal, sign_pdf
from sohoa.signing.stamp import stamp_from_settings
from sohoa.signing.trust import trust_roots
from sohoa.signing.verify import VerificationReport, verify_pdf

__all__ = ["check_signer_now", "document_verification", "sign_file", "verify_file", "verify_upload"]


def sign_file(settings: Settings, request: SignRequest, *, tsa_url: str | None = None) -> tuple[SignatureInfo, str]:
    """Sign ``request.input_path`` with the configured key (and stamp, per ``settings``); the
    signature's facts and where the key lives. A level the key cannot reach is refused first."""
    with load_signer(settings) as backend:
        refusal = level_refusal(backend, request.level)
        if refusal is not None:  # a level this key cannot reach is a bad argument, like an unknown one
            raise InputRejected(refusal, code="level_unavailable")
        info = sign_pdf(request, backend, timestamper=tsa_url or settings.tsa_url, stamp=stamp_from_settings(settings))
        return info, backend.describe()


def verify_file(
    settings: Settings, path: Path, *, extra_roots: list[Path] | None = None, allow_fetching: bool = False
) -> VerificationReport:
    """Whether ``path`` is exactly what was signed, against the configured trust roots (and ``extra_roots``)."""
    roots = trust_roots(settings, extra_roots or [])
    return verify_pdf(
        path, trust_roots=roots, allow_fetching=allow_fetching, require_revocation=settings.require_revocation
    )


def verify_upload(rt: Runtime, stream: BinaryIO, *, filename: str, actor: str) -> dict[str, Any]:
    """Verify an uploaded PDF: spooled within the upload size limit, never stored; one audit event."""
    rt.settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=rt.settings.work_dir, prefix="verify-") as tmp:
        path = Path(tmp) / "upload.pdf"
        sha256, size = spool(stream, path, rt.settings.max_file_bytes)
        if size == 0:
            raise InputRejected("the file is empty", code="empty_file")
        report = verify_file(rt.settings, path).to_dict()
    report["path"] = filename
    details = {"filename": filename, "sha256": sha256, "valid": report["valid"]}
    audit_event(rt, actor=actor, action="verify.upload", details=details)
    return report


def document_verification(rt: Runtime, document_id: str, *, actor: str, refresh: bool = False) -> dict[str, Any]:
    """The last verification of the document's archived copy; verified now when none is stored or asked."""
    if not refresh:
        stored = latest_verification(rt, document_id)
        if stored is not None:
            return stored
    return verify_archived(rt, document_id, actor=actor)


def check_signer_now(rt: Runtime) -> SignerHealth:
    """Check the configured key now: certificate, chain, and a real test signature."""
    return check_signer(rt)
