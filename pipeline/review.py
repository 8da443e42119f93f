"""Review: staff correct uncertain metadata and release documents to signing."""

from __future__ import annotations

from typing import Any

from sohoa.core.codes import validate_dossier_code, validate_procedure_code
from sohoa.core.domain import DocumentState, Metadata
from sohoa.core.errors import Conflict, InputRejected
from sohoa.core.text import nfc
from sohoa.pipeline.indexing import build_search_text
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document, record_event, transition
from sohoa.storage.records import DocumentRecord

__all__ = ["EDITABLE_STATES", "approve_document", "correct_metadata"]

# Once signed, a record is corrected only by superseding it, never by editing.
EDITABLE_STATES = (DocumentState.NEEDS_REVIEW, DocumentState.EXTRACTED)
_FIELDS = set(Metadata().to_dict()) - {"confidence"}


def _clean(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field in ("signer_authority", "recipients"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputRejected(f"{field} must be a list of strings", code="invalid_metadata")
        return [nfc(v).strip() for v in value]
    if field == "number_year":
        if not isinstance(value, int):
            raise InputRejected("number_year must be an integer", code="invalid_metadata")
        return value
    if not isinstance(value, str):
        raise InputRejected(f"{field} must be a string", code="invalid_metadata")
    value = nfc(value).strip()
    if field == "procedure_code":
        return validate_procedure_code(value)
    if field == "dossier_code":
        return validate_dossier_code(value)
    if field == "issued_date" and value:
        from datetime import date

        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise InputRejected("issued_date must be an ISO date", code="invalid_metadata") from exc
    return value


def correct_metadata(rt: Runtime, document_id: str, changes: dict[str, Any], *, actor: str) -> DocumentRecord:
    unknown = set(changes) - _FIELDS
    if unknown:
        raise InputRejected(
            f"unknown metadata fields: {', '.join(sorted(unknown))}",
            code="invalid_metadata",
            details={"allowed": sorted(_FIELDS)},
        )
    cleaned = {k: _clean(k, v) for k, v in changes.items()}
    with rt.db.session() as session:
        doc = get_document(session, document_id, for_update=True)
        if DocumentState(doc.state) not in EDITABLE_STATES:
            raise Conflict(
                f"metadata can be corrected only before signing (state {doc.state})",
                code="invalid_state",
                details={"state": doc.state},
            )
        current = dict(doc.metadata_json or {})
        confidence = dict(current.get("confidence") or {})
        for key, new in cleaned.items():
            old = current.get(key)
            if old == new:
                continue
            record_event(
                session,
                actor=actor,
                action="metadata.corrected",
                document_id=document_id,
                details={"field": key, "old": old, "new": new},
            )
            current[key] = new
            confidence[key] = 1.0  # a person confirmed it
        current["confidence"] = confidence
        doc.metadata_json = current
        if cleaned.get("procedure_code"):
            doc.procedure_code = cleaned["procedure_code"]
        if "dossier_code" in cleaned:
            doc.dossier_code = cleaned["dossier_code"]
        doc.search_text = build_search_text(session, doc)
        session.flush()
        return doc


def approve_document(rt: Runtime, document_id: str, *, actor: str) -> DocumentRecord:
    with rt.db.session() as session:
        if get_document(session, document_id).procedure_code is None:
            raise Conflict(
                "set the procedure code before approving: the archive files every record under one",
                code="procedure_code_required",
            )
        moved = transition(
            session,
            document_id,
            expected=(DocumentState.NEEDS_REVIEW,),
            to=DocumentState.APPROVED,
            actor=actor,
            details={"action": "approve"},
            review_reasons=None,
        )
        doc = get_document(session, document_id)
        if not moved:
            raise Conflict(
                f"only documents waiting for review can be approved (state {doc.state})",
                code="invalid_state",
                details={"state": doc.state},
            )
    rt.enqueue("sign", document_id)
    return doc
