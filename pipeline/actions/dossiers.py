"""Dossiers as staff handle them: create, read, close, reuse a paper on file, correct a role or a validity.

One function per action for the API, the web pages and the CLI (``registry.dossiers`` says what
each rule means). Owner numbers leave here masked unless the caller says the reader may see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sohoa.core.domain import PageText
from sohoa.core.errors import Conflict
from sohoa.core.owners import OwnerFields, mask_id
from sohoa.pipeline.actions.audit import audit_event
from sohoa.pipeline.runtime import Runtime
from sohoa.registry.dossiers import (
    Dossier,
    DossierFacts,
    HeldDocument,
    PrintedFacts,
    Reuse,
    close_dossier,
    create_dossier,
    held,
    judge_printed,
    parse_role,
    placement_from_fields,
    reuse_document,
    set_validity,
    today,
)
from sohoa.registry.dossiers import set_role as _set_role

__all__ = [
    "DossierView",
    "NewDossier",
    "change_role",
    "close",
    "create",
    "held_to_dict",
    "read_printed",
    "reuse",
    "show",
    "upload_placement",
    "validity",
]


@dataclass(frozen=True)
class DossierView:
    dossier: Dossier
    documents: tuple[HeldDocument, ...]
    resubmitted: int

    def to_dict(self, *, full: bool) -> dict[str, Any]:
        return {
            **self.dossier.to_dict(full=full),
            "resubmitted": self.resubmitted,
            "documents": [held_to_dict(d, full=full) for d in self.documents],
        }


def held_to_dict(d: HeldDocument, *, full: bool) -> dict[str, Any]:
    """A held document's JSON form, in the dossier and after a role correction alike."""
    return {
        "id": d.document_id,
        "role": d.role,
        "component": d.component,
        "origin": d.origin,
        "state": d.state,
        "filename": d.filename,
        "document_type": d.document_type,
        "number_symbol": d.number_symbol,
        "same_as": d.same_as,
        "valid_from": d.valid_from.isoformat() if d.valid_from else None,
        "valid_until": d.valid_until.isoformat() if d.valid_until else None,
        "printed_owners": [
            {
                "id_type": c["id_type"],
                "id_number": c["id_number"] if full else mask_id(c["id_number"]),
                "confidence": c["confidence"],
            }
            for c in d.printed_owners
        ],
    }


# The upload fields checked by the registry's own rule (InputRejected with the expected shape when one
# is malformed), under the name the edges know: they do not import the registry themselves.
upload_placement = placement_from_fields


@dataclass(frozen=True)
class NewDossier:
    """A dossier as reception types it before its papers are scanned; checked when created."""

    code: str
    procedure_code: str | None = None
    owner: OwnerFields = field(default_factory=OwnerFields)
    received_date: date | None = None


def create(rt: Runtime, new: NewDossier, *, actor: str) -> Dossier:
    """A dossier created by hand (reception of a new dossier before its papers are scanned)."""
    owner, name = new.owner.checked()
    facts = DossierFacts(new.procedure_code, owner, name, new.received_date)
    with rt.db.session() as session:
        return create_dossier(session, new.code, facts, actor=actor)


def show(rt: Runtime, code: str) -> DossierView:
    with rt.db.session() as session:
        dossier, documents, resubmitted = held(session, code)
        return DossierView(dossier, tuple(documents), resubmitted)


def close(rt: Runtime, code: str, *, actor: str) -> Dossier:
    with rt.db.session() as session:
        return close_dossier(session, code, actor=actor)


def reuse(rt: Runtime, code: str, document_id: str, component: str, *, actor: str, day: date | None = None) -> Reuse:
    """Link a reusable paper of the owner as a component of dossier ``code``; a refusal is audited too."""
    try:
        with rt.db.session() as session:
            return reuse_document(session, code, document_id, component, actor=actor, day=day or today())
    except Conflict as exc:
        audit_event(
            rt,
            actor=actor,
            action="document.reuse_refused",
            document_id=document_id,
            details={"dossier_code": code, **exc.event_details()},
        )
        raise


def change_role(
    rt: Runtime, code: str, document_id: str, *, role: str, component: str | None, actor: str
) -> HeldDocument:
    """Correct in review what a document is in its dossier."""
    with rt.db.session() as session:
        return _set_role(session, code, document_id, role=parse_role(role), component=component, actor=actor)


def validity(
    rt: Runtime, document_id: str, *, valid_from: date | None, valid_until: date | None, actor: str
) -> tuple[date | None, date | None]:
    """Set in review how long a result is valid (both None: valid without end)."""
    with rt.db.session() as session:
        facts = set_validity(
            session, document_id, valid_from=valid_from, valid_until=valid_until, actor=actor, source="review"
        )
        return facts.valid_from, facts.valid_until


def read_printed(rt: Runtime, document_id: str, pages: list[PageText], meta: dict[str, Any]) -> PrintedFacts:
    """The extract stage's look at owners and validity printed on the pages; nothing is written yet
    (``registry.dossiers.keep_printed`` does, in the stage's own transaction)."""
    from sohoa.ingest.metadata.owners import read_owner_ids, read_validity

    text = "\n".join(p.text for p in pages)
    confidences = [p.confidence for p in pages if p.confidence is not None]
    ocr = sum(confidences) / len(confidences) if confidences else None
    candidates = tuple(c.to_dict() for c in read_owner_ids(text, ocr_confidence=ocr))
    valid_from, valid_until = read_validity(text, meta.get("issued_date"))
    with rt.db.session() as session:
        return judge_printed(session, document_id, candidates, valid_from, valid_until, meta, day=today())
