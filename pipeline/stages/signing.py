"""The sign stage: the agency's PAdES signature on the searchable PDF (on a clean rendition, for a signed
input that can act when opened), or the document held while the key cannot sign."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sohoa.core.domain import DocumentState
from sohoa.core.errors import ProcessingError
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import hold_for_signer, sign_document
from sohoa.pipeline.stages.work import fetch_original, leave_stage, load_work, save_work, work_dir
from sohoa.storage.catalogue import get_document

__all__ = ["sign_stage"]

log = logging.getLogger(__name__)
S = DocumentState


def _without_active_content(rt: Runtime, document_id: str, source: Path) -> tuple[Path, dict[str, Any]]:
    """What the agency signs: ``source``, or a clean rendition of it when it can act when opened.

    Only a signed input reaches signing as received (anything else is sohoa's own assembly). Its bytes
    are inspected again here, whatever review decided: the agency's signature never covers scripts,
    launch or submit actions or attachments it did not make. The rendition carries the file as
    received, so its own signatures stay verifiable (``ingest.rendition``)."""
    from sohoa.ingest.pdfcheck import inspect_pdf
    from sohoa.ingest.rendition import clean_rendition

    with rt.db.session() as session:
        doc = get_document(session, document_id)
    if not doc.kept_signature:
        return source, {}
    active = inspect_pdf(source, max_pages=rt.settings.max_pages).active_content
    if not active:
        return source, {}
    work = work_dir(rt, document_id)
    original = fetch_original(rt, doc, work)
    rendition = work / "rendition.pdf"
    attached = clean_rendition(
        source,
        original,
        rendition,
        filename=_attachment_name(doc.filename),
        fields={"title": doc.filename, "original_sha256": doc.original_sha256},
    )
    log.info("document %s carries %s: signing a clean rendition instead", document_id, ", ".join(active))
    return rendition, {"rendition": "clean", "active_content": list(active), "attached_original_sha256": attached}


def _attachment_name(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1] or "original.pdf"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def sign_stage(rt: Runtime, document_id: str) -> str | None:
    work = work_dir(rt, document_id)
    source, signed, receipt = work / "ocr.pdf", work / "signed.pdf", work / "signature.json"
    if load_work(rt, document_id, "signed.pdf", signed) and load_work(rt, document_id, "signature.json", receipt):
        # A crash after signing but before the state moved: reuse the signed bytes so the
        # archive never holds two different signed copies of one document.
        outcome = json.loads(receipt.read_text())
        outcome["reused"] = True
    else:
        if hold_for_signer(rt, document_id):
            # The key cannot sign (e.g. an expired certificate): the document waits where it is and
            # the sweeper brings it back once the key is fit again. Nothing is lost.
            return None
        if not load_work(rt, document_id, "ocr.pdf", source):
            raise ProcessingError("the OCR output is missing from the work area", code="work_missing")
        to_sign, rendition = _without_active_content(rt, document_id, source)
        outcome = sign_document(rt, document_id, to_sign, signed, kept_from=source) | rendition
        receipt.write_text(json.dumps(outcome))
        save_work(rt, document_id, "signed.pdf", signed)
        save_work(rt, document_id, "signature.json", receipt)
    fields = {k: outcome[k] for k in ("signer_subject", "signer_fingerprint", "signature_level") if k in outcome}
    fields["signed_at"] = datetime.fromisoformat(outcome["signed_at"])
    details = {k: v for k, v in outcome.items() if k != "signed_at"}
    with rt.db.session() as session:
        moved = leave_stage(session, document_id, "sign", S.SIGNED, details=details, **fields)
    return "archive" if moved else None
