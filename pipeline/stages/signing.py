"""The sign stage: the agency's PAdES signature on the searchable PDF, or the document held while the key
cannot sign."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sohoa.core.domain import DocumentState
from sohoa.core.errors import ProcessingError
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import hold_for_signer, sign_document
from sohoa.pipeline.stages.work import STAGE_INPUTS, SYSTEM, load_work, save_work, work_dir
from sohoa.storage.catalogue import transition

__all__ = ["sign_stage"]

log = logging.getLogger(__name__)
S = DocumentState


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
        outcome = sign_document(rt, document_id, source, signed)
        receipt.write_text(json.dumps(outcome))
        save_work(rt, document_id, "signed.pdf", signed)
        save_work(rt, document_id, "signature.json", receipt)
    fields = {k: outcome[k] for k in ("signer_subject", "signer_fingerprint", "signature_level") if k in outcome}
    fields["signed_at"] = datetime.fromisoformat(outcome["signed_at"])
    with rt.db.session() as session:
        moved = transition(
            session,
            document_id,
            expected=STAGE_INPUTS["sign"],
            to=S.SIGNED,
            actor=SYSTEM,
            details={k: v for k, v in outcome.items() if k != "signed_at"},
            **fields,
        )
    return "archive" if moved else None
