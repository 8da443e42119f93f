"""Dossiers, the role each document plays in them, their owners, and reuse of what an owner has on file.

- A **dossier** (hồ sơ) has a code, a procedure, an owner, received and resolved dates and a result
  type; it comes from the register import, from an upload under its code, or by hand. Created
  without a received date, it takes the day its code carries (``yymmdd``), until the register says
  otherwise. A dossier closed by staff takes no more components.
- A document serves a dossier as its ``result`` (kết quả) or as a ``component`` (thành phần hồ sơ)
  with the component's name; it may serve several dossiers (linked, never copied).
- A document's **owner** is the one given at upload, else its dossier's owner.
- A document is **reusable** on a day when it is archived and signed, not superseded, and valid on
  that day (``valid_from`` <= day <= ``valid_until``, where set). Otherwise the reason is
  ``not_archived``, ``superseded``, ``expired`` or ``not_yet_valid``.
- **Reuse** links a reusable document of the dossier's owner as a component of another open
  dossier of that owner: one ``document.reused`` event, no new bytes.
- A **re-submission** is a component uploaded although a reusable copy of the same paper was on
  file for the owner: the same original bytes (``bytes``), or the same type, number/symbol, issuer
  and date read from the text (``content``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.clock import VN_TZ, utcnow
from sohoa.core.codes import dossier_code_day, validate_dossier_code
from sohoa.core.domain import DocumentState
from sohoa.core.errors import Conflict, InputRejected, NotFound
from sohoa.core.owners import OwnerFields, OwnerId, clean_name, parse_owner_id
from sohoa.core.text import fold, normalize_space
from sohoa.storage.archive_records import is_superseded
from sohoa.storage.catalogue import get_document, record_event
from sohoa.storage.dossier_queries import (
    add_dossier,
    add_resubmission,
    facts_of,
    get_dossier_record,
    get_facts,
    held_documents,
    held_documents_of,
    membership,
    resubmissions_of,
    save_facts,
    save_membership,
)
from sohoa.storage.dossier_records import (
    DocumentFactsRecord,
    DossierDocumentRecord,
    DossierRecord,
    ResubmissionRecord,
)
from sohoa.storage.owner_queries import documents_of_owner, get_owner, save_owner
from sohoa.storage.records import DocumentRecord

__all__ = [
    "COMPONENT",
    "RESULT",
    "ROLES",
    "Dossier",
    "DossierFacts",
    "HeldDocument",
    "Placement",
    "PrintedFacts",
    "Reuse",
    "StoreItem",
    "close_dossier",
    "create_dossier",
    "dossier_owner",
    "ensure_dossier",
    "file_in_dossier",
    "get_dossier",
    "held",
    "judge_printed",
    "keep_printed",
    "note_duplicate",
    "owner_store",
    "parse_role",
    "placement_from_fields",
    "record_resubmission",
    "reusable_copy_of_bytes",
    "reuse_document",
    "reuse_refusal",
    "same_paper",
    "set_role",
    "set_validity",
    "today",
]

RESULT, COMPONENT = "result", "component"
ROLES = (RESULT, COMPONENT)
# The fields that make two readings the same paper.
_SAME_PAPER_FIELDS = ("document_type", "number_symbol", "issuer", "issued_date")


def today() -> date:
    """The calendar day in Vietnam: validity is printed in local dates."""
    return datetime.now(VN_TZ).date()


def parse_role(value: str | None) -> str:
    role = (value or RESULT).strip().lower() or RESULT
    if role not in ROLES:
        raise InputRejected(
            f"role must be result or component, not {value!r}",
            code="invalid_dossier_role",
            details={"role": value, "expected": list(ROLES)},
        )
    return role


@dataclass(frozen=True)
class Placement:
    """Where an upload goes in its dossier, and whose it is (None: the dossier's owner)."""

    role: str = RESULT
    component: str | None = None
    owner: OwnerId | None = None
    owner_name: str | None = None


def placement_from_fields(
    role: str | None = None, component: str | None = None, owner: OwnerFields | None = None
) -> Placement:
    """The upload fields ``role``, ``component`` and the owner as typed, checked (no owner: the dossier's)."""
    chosen = parse_role(role)
    name = clean_name(component)
    if chosen == COMPONENT and name is None:
        raise InputRejected(
            "a component needs its name as the procedure lists it (e.g. Đơn đề nghị cấp giấy phép)",
            code="component_required",
        )
    owner_id, owner_label = (owner or OwnerFields()).checked()
    return Placement(chosen, name if chosen == COMPONENT else None, owner_id, owner_label)


@dataclass(frozen=True)
class DossierFacts:
    """What one source (the register, an upload, a clerk) says of a dossier; None where it says nothing."""

    procedure_code: str | None = None
    owner: OwnerId | None = None
    owner_name: str | None = None
    received_date: date | None = None
    resolved_date: date | None = None
    result_type: str | None = None

    def columns(self) -> dict[str, Any]:
        """The facts as the dossier record's columns."""
        return {
            "procedure_code": self.procedure_code,
            "owner_id_type": self.owner.id_type.value if self.owner else None,
            "owner_id_number": self.owner.id_number if self.owner else None,
            "owner_name": self.owner_name,
            "received_date": self.received_date,
            "resolved_date": self.resolved_date,
            "result_type": self.result_type,
        }


@dataclass(frozen=True, kw_only=True)
class Dossier(DossierFacts):
    """A dossier as the catalogue holds it: its code, its facts, whether it is closed, where it came from."""

    code: str
    closed: bool
    source: str

    @classmethod
    def from_record(cls, r: DossierRecord) -> Dossier:
        facts = DossierFacts(
            r.procedure_code, dossier_owner(r), r.owner_name, r.received_date, r.resolved_date, r.result_type
        )
        return cls(**vars(facts), code=r.code, closed=r.closed_at is not None, source=r.source)

    def owner_dict(self, full: bool) -> dict[str, Any] | None:
        if self.owner is None:
            return None
        return {"id_type": self.owner.id_type.value, "id_number": self.owner.shown(full), "name": self.owner_name}

    def to_dict(self, *, full: bool) -> dict[str, Any]:
        return {
            "code": self.code,
            "procedure_code": self.procedure_code,
            "owner": self.owner_dict(full),
            "received_date": self.received_date.isoformat() if self.received_date else None,
            "resolved_date": self.resolved_date.isoformat() if self.resolved_date else None,
            "result_type": self.result_type,
            "closed": self.closed,
            "source": self.source,
        }


def dossier_owner(record: DossierRecord) -> OwnerId | None:
    if record.owner_id_type is None or record.owner_id_number is None:
        return None
    return parse_owner_id(record.owner_id_type, record.owner_id_number)


def _facts_owner(facts: DocumentFactsRecord | None) -> OwnerId | None:
    if facts is None or facts.owner_id_type is None or facts.owner_id_number is None:
        return None
    return parse_owner_id(facts.owner_id_type, facts.owner_id_number)


def _owner_event(owner: OwnerId | None) -> dict[str, str] | None:
    # Events are read by auditors who may lack the owner_data right: the masked number only.
    return None if owner is None else {"id_type": owner.id_type.value, "id_number": owner.masked}


def _received_unsaid(code: str, source: str) -> date | None:
    """The received date of a dossier created by an upload or by hand without one: the day its code
    carries (the one-stop desk's day of receipt), or today when that day is in the future (no day
    of receipt); none when the register itself leaves it blank.

    A clerk's date given at creation is used instead of this, and a register import that gives one
    later replaces it (``ensure_dossier``)."""
    if source == "register":
        return None
    now = today()
    carried = dossier_code_day(code)
    return carried if carried is not None and carried <= now else now


def ensure_dossier(session: Session, code: str, facts: DossierFacts, *, actor: str, source: str) -> DossierRecord:
    """The dossier of ``code``, created on first sight; facts it lacks are filled in, none is overwritten
    except by the register (``source="register"``), which is the one-stop system's word."""
    code = validate_dossier_code(code)
    now = utcnow()
    record = get_dossier_record(session, code)
    owner = facts.owner
    if owner is not None:
        save_owner(session, owner.id_type.value, owner.id_number, facts.owner_name, now=now)
    if record is None:
        record, created = add_dossier(
            session,
            {
                **facts.columns(),
                "code": code,
                "received_date": facts.received_date or _received_unsaid(code, source),
                "closed_at": None,
                "source": source,
                "created_by": actor,
                "created_at": now,
                "updated_at": now,
            },
        )
    else:
        created = False
    if created:
        if source != "register":  # the import's own event covers its rows
            record_event(
                session,
                actor=actor,
                action="dossier.created",
                details={"dossier_code": code, "source": source, "owner": _owner_event(owner)},
            )
        return record
    overwrite = source == "register"
    changed = set()
    for name, value in facts.columns().items():
        if value is not None and (overwrite or getattr(record, name) is None) and getattr(record, name) != value:
            setattr(record, name, value)
            changed.add(name)
    if changed:
        record.updated_at = now
        session.flush()
    if {"owner_id_type", "owner_id_number"} & changed:
        _documents_take_owner(session, record)
    return record


def _documents_take_owner(session: Session, dossier: DossierRecord) -> None:
    """Papers uploaded before their dossier's owner was known (a register imported after the scans)
    take the owner now; an owner given at upload or in review stays."""
    owner = dossier_owner(dossier)
    assert owner is not None
    for link, _ in held_documents(session, dossier.code):
        if link.origin != "upload":
            continue
        facts = get_facts(session, link.document_id)
        if facts is None or facts.owner_source in (None, "dossier"):
            save_facts(
                session,
                link.document_id,
                now=utcnow(),
                owner_id_type=owner.id_type.value,
                owner_id_number=owner.id_number,
                owner_name=dossier.owner_name,
                owner_source="dossier",
            )


def create_dossier(session: Session, code: str, facts: DossierFacts, *, actor: str) -> Dossier:
    """A dossier created by hand; Conflict (``dossier_exists``) when the code is taken."""
    code = validate_dossier_code(code)
    if get_dossier_record(session, code) is not None:
        raise Conflict(f"dossier {code} already exists", code="dossier_exists", details={"dossier_code": code})
    record = ensure_dossier(session, code, facts, actor=actor, source="manual")
    return Dossier.from_record(record)


def _dossier_record(session: Session, code: str, *, for_update: bool = False) -> DossierRecord:
    code = validate_dossier_code(code)  # a malformed code is refused with its shape, not "not found"
    record = get_dossier_record(session, code, for_update=for_update)
    if record is None:
        raise NotFound(f"dossier {code} is not known", code="dossier_not_found", details={"dossier_code": code})
    return record


def get_dossier(session: Session, code: str) -> Dossier:
    return Dossier.from_record(_dossier_record(session, code))


def close_dossier(session: Session, code: str, *, actor: str) -> Dossier:
    """No component is added to a closed dossier; closing twice is harmless."""
    record = _dossier_record(session, code, for_update=True)
    if record.closed_at is None:
        record.closed_at = record.updated_at = utcnow()
        record_event(session, actor=actor, action="dossier.closed", details={"dossier_code": record.code})
        session.flush()
    return Dossier.from_record(record)


def file_in_dossier(
    session: Session,
    document_id: str,
    dossier_code: str,
    placement: Placement,
    *,
    procedure_code: str | None,
    actor: str,
) -> DossierDocumentRecord:
    """An uploaded document's place in its dossier and its owner (the upload's, else the dossier's)."""
    role, owner, owner_name = placement.role, placement.owner, placement.owner_name
    facts = DossierFacts(procedure_code, owner, owner_name)
    dossier = ensure_dossier(session, dossier_code, facts, actor=actor, source="upload")
    link = save_membership(
        session,
        DossierDocumentRecord(
            dossier_code=dossier.code,
            document_id=document_id,
            role=role,
            component=placement.component if role == COMPONENT else None,
            origin="upload",
            linked_by=actor,
            linked_at=utcnow(),
        ),
    )
    chosen, name, source = owner, owner_name, "upload"
    if chosen is None:
        chosen, name, source = dossier_owner(dossier), dossier.owner_name, "dossier"
    if chosen is not None:
        save_facts(
            session,
            document_id,
            now=utcnow(),
            owner_id_type=chosen.id_type.value,
            owner_id_number=chosen.id_number,
            owner_name=name,
            owner_source=source,
        )
    return link


def reuse_refusal(doc: DocumentRecord, facts: DocumentFactsRecord | None, superseded: bool, day: date) -> str | None:
    """Why ``doc`` cannot be reused on ``day``; None when it can."""
    if doc.state != DocumentState.ARCHIVED.value or doc.signed_at is None:
        return "not_archived"
    if superseded:
        return "superseded"
    if facts is not None and facts.valid_until is not None and facts.valid_until < day:
        return "expired"
    if facts is not None and facts.valid_from is not None and facts.valid_from > day:
        return "not_yet_valid"
    return None


@dataclass(frozen=True)
class HeldDocument:
    document_id: str
    role: str
    component: str | None
    origin: str  # upload | reused
    state: str
    filename: str
    document_type: str | None
    number_symbol: str | None
    same_as: str | None  # an archived paper of the owner this upload repeats (offered for reuse)
    valid_from: date | None = None
    valid_until: date | None = None
    printed_owners: tuple[dict[str, Any], ...] = ()  # read from the text: id_type, id_number, confidence


def held(session: Session, dossier_code: str) -> tuple[Dossier, list[HeldDocument], int]:
    """A dossier, the documents it holds, and how many components were uploaded again."""
    dossier = get_dossier(session, dossier_code)
    rows = held_documents(session, dossier.code)
    facts = facts_of(session, [d.id for _, d in rows])
    out = [_held_document(link, doc, facts.get(doc.id)) for link, doc in rows]
    return dossier, out, len(resubmissions_of(session, dossier.code))


def _held_document(link: DossierDocumentRecord, doc: DocumentRecord, facts: DocumentFactsRecord | None) -> HeldDocument:
    """One document as its dossier holds it: its link, its catalogue row and what was read of it."""
    meta = doc.metadata_json or {}
    return HeldDocument(
        doc.id,
        link.role,
        link.component,
        link.origin,
        doc.state,
        doc.filename,
        meta.get("document_type"),
        meta.get("number_symbol"),
        facts.same_as if facts is not None else None,
        facts.valid_from if facts is not None else None,
        facts.valid_until if facts is not None else None,
        tuple(facts.printed_owners or ()) if facts is not None else (),
    )


@dataclass(frozen=True)
class StoreItem:
    id: str
    dossier_code: str | None
    role: str | None
    component: str | None
    document_type: str | None
    number_symbol: str | None
    issuer: str | None
    issued_date: str | None
    valid_until: date | None
    reusable: bool
    refusal: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dossier_code": self.dossier_code,
            "role": self.role,
            "component": self.component,
            "document_type": self.document_type,
            "number_symbol": self.number_symbol,
            "issuer": self.issuer,
            "issued_date": self.issued_date,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "reusable": self.reusable,
        }


def owner_store(session: Session, owner: OwnerId, *, day: date) -> tuple[str | None, list[StoreItem]]:
    """The owner's name and every archived paper and result of theirs, newest first."""
    record = get_owner(session, owner.id_type.value, owner.id_number)
    items = []
    for doc, facts, links in documents_of_owner(session, owner.id_type.value, owner.id_number):
        if doc.state != DocumentState.ARCHIVED.value:
            continue
        meta = doc.metadata_json or {}
        # The dossier it was filed in (first link, uploads before reuses), with its role there.
        first = next((link for link in links if link.origin == "upload"), links[0] if links else None)
        refusal = reuse_refusal(doc, facts, is_superseded(session, doc.id), day)
        items.append(
            StoreItem(
                doc.id,
                first.dossier_code if first else doc.dossier_code,
                first.role if first else None,
                first.component if first else None,
                meta.get("document_type"),
                meta.get("number_symbol"),
                meta.get("issuer"),
                meta.get("issued_date"),
                facts.valid_until,
                refusal is None,
                refusal,
            )
        )
    return (record.name if record is not None else None), items


@dataclass(frozen=True)
class Reuse:
    dossier_code: str
    document_id: str
    component: str
    event_id: int


def reuse_document(
    session: Session, dossier_code: str, document_id: str, component: str, *, actor: str, day: date
) -> Reuse:
    """Link a reusable document of the dossier's owner as one of its components; Conflict with the reason."""
    name = clean_name(component)
    if name is None:
        raise InputRejected("the component's name is required", code="component_required")
    dossier = _dossier_record(session, dossier_code, for_update=True)
    if dossier.closed_at is not None:
        raise Conflict(
            f"dossier {dossier.code} is closed", code="dossier_closed", details={"dossier_code": dossier.code}
        )
    doc = get_document(session, document_id)
    facts = get_facts(session, document_id)
    owner, theirs = dossier_owner(dossier), _facts_owner(facts)
    if owner is None or theirs is None or owner != theirs:
        raise Conflict(
            "the document belongs to another owner than the dossier's",
            code="owner_mismatch",
            details={"dossier_code": dossier.code, "document_id": document_id},
        )
    refusal = reuse_refusal(doc, facts, is_superseded(session, document_id), day)
    if refusal is not None:
        raise Conflict(
            f"the document cannot be reused: {refusal}",
            code=refusal,
            details={"document_id": document_id, "state": doc.state},
        )
    existing = membership(session, dossier.code, document_id)
    if existing is not None:
        raise Conflict(
            "the document is already in this dossier",
            code="already_in_dossier",
            details={"dossier_code": dossier.code, "document_id": document_id, "role": existing.role},
        )
    save_membership(
        session,
        DossierDocumentRecord(
            dossier_code=dossier.code,
            document_id=document_id,
            role=COMPONENT,
            component=name,
            origin="reused",
            linked_by=actor,
            linked_at=utcnow(),
        ),
    )
    event = record_event(
        session,
        actor=actor,
        action="document.reused",
        document_id=document_id,
        details={"dossier_code": dossier.code, "component": name},
    )
    session.flush()
    return Reuse(dossier.code, document_id, name, event.id)


def _paper_key(meta: dict[str, Any]) -> tuple[str, ...] | None:
    values = [meta.get(f) for f in _SAME_PAPER_FIELDS]
    if not values[1] or not values[3]:  # without a number and a date two papers cannot be told the same
        return None
    return tuple(normalize_space(fold(str(v or ""))) for v in values)


def same_paper(
    session: Session, document_id: str, meta: dict[str, Any], *, day: date, owner: OwnerId | None = None
) -> str | None:
    """A reusable archived document of the owner (this document's, unless given) that is the same
    paper by its metadata."""
    owner = owner or _facts_owner(get_facts(session, document_id))
    key = _paper_key(meta)
    if owner is None or key is None:
        return None
    for doc, facts, _ in documents_of_owner(session, owner.id_type.value, owner.id_number):
        if doc.id == document_id or _paper_key(doc.metadata_json or {}) != key:
            continue
        if reuse_refusal(doc, facts, is_superseded(session, doc.id), day) is None:
            return doc.id
    return None


def reusable_copy_of_bytes(session: Session, holder_id: str, owner: OwnerId | None, *, day: date) -> bool:
    """Whether the document already holding these bytes is a reusable paper of ``owner``."""
    facts = get_facts(session, holder_id)
    if owner is None or _facts_owner(facts) != owner:
        return False
    doc = get_document(session, holder_id)
    return reuse_refusal(doc, facts, is_superseded(session, holder_id), day) is None


def note_duplicate(
    session: Session, holder_id: str, dossier_code: str | None, placement: Placement, *, actor: str, day: date
) -> bool:
    """An upload whose bytes a document already holds: when it came as a component of a dossier and
    that document is a reusable paper of the owner, it is a re-submission (counted, the copy offered)."""
    if dossier_code is None or placement.role != COMPONENT:
        return False
    dossier = get_dossier_record(session, dossier_code)
    owner = placement.owner or (dossier_owner(dossier) if dossier is not None else None)
    if not reusable_copy_of_bytes(session, holder_id, owner, day=day):
        return False
    if dossier is None:
        facts = DossierFacts(owner=owner, owner_name=placement.owner_name)
        ensure_dossier(session, dossier_code, facts, actor=actor, source="upload")
    record_resubmission(
        session, dossier_code=dossier_code, archived_id=holder_id, kind="bytes", component=placement.component,
        actor=actor,
    )  # fmt: skip
    return True


def record_resubmission(
    session: Session,
    *,
    dossier_code: str,
    archived_id: str,
    kind: str,
    component: str | None,
    actor: str,
    document_id: str | None = None,
) -> ResubmissionRecord:
    record = add_resubmission(
        session,
        ResubmissionRecord(
            dossier_code=dossier_code,
            document_id=document_id,
            archived_id=archived_id,
            kind=kind,
            component=component,
            actor=actor,
            at=utcnow(),
        ),
    )
    record_event(
        session,
        actor=actor,
        action="document.resubmitted",
        document_id=document_id or archived_id,
        details={"dossier_code": dossier_code, "same_as": archived_id, "kind": kind, "component": component},
    )
    return record


def set_role(
    session: Session, dossier_code: str, document_id: str, *, role: str, component: str | None, actor: str
) -> HeldDocument:
    """Correct what a document is in a dossier (result, or component with its name); audited."""
    link = membership(session, dossier_code.strip(), document_id)
    if link is None:
        raise NotFound(
            f"document {document_id} is not in dossier {dossier_code}",
            code="not_in_dossier",
            details={"dossier_code": dossier_code, "document_id": document_id},
        )
    name = clean_name(component) if role == COMPONENT else None
    if role == COMPONENT and name is None:
        raise InputRejected("a component needs its name", code="component_required")
    if (link.role, link.component) != (role, name):
        record_event(
            session,
            actor=actor,
            action="dossier.role_corrected",
            document_id=document_id,
            details={
                "dossier_code": link.dossier_code,
                "old": {"role": link.role, "component": link.component},
                "new": {"role": role, "component": name},
            },
        )
        link.role, link.component = role, name
        session.flush()
    return _held_document(link, get_document(session, document_id), get_facts(session, document_id))


def set_validity(
    session: Session, document_id: str, *, valid_from: date | None, valid_until: date | None, actor: str, source: str
) -> DocumentFactsRecord:
    """A document's validity as printed (``source="text"``) or as set in review (``"review"``)."""
    get_document(session, document_id)  # NotFound for an unknown id, not a foreign-key error
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise InputRejected("valid_until is before valid_from", code="invalid_validity")
    facts = save_facts(
        session, document_id, now=utcnow(), valid_from=valid_from, valid_until=valid_until, validity_source=source
    )
    if source == "review":
        record_event(
            session,
            actor=actor,
            action="document.validity",
            document_id=document_id,
            details={
                "valid_from": valid_from.isoformat() if valid_from else None,
                "valid_until": valid_until.isoformat() if valid_until else None,
            },
        )
    return facts


@dataclass(frozen=True)
class PrintedFacts:
    """What the extract stage read about a document's owner and validity, and what it means."""

    owners: tuple[dict[str, Any], ...]  # candidates: id_type, id_number, confidence, label
    valid_from: date | None
    valid_until: date | None
    reasons: tuple[str, ...]  # owner_mismatch_printed, same_as_archived
    owner_from_text: OwnerId | None  # the document had no owner and the text names exactly one
    same_as: str | None
    new_resubmission: bool  # same_as found now, not on an earlier run of the stage
    dossier_code: str | None  # the dossier it was uploaded into as a component
    component: str | None


# A printed candidate weaker than this is shown, but neither names nor contradicts an owner.
_STRONG = 0.6


def judge_printed(
    session: Session,
    document_id: str,
    candidates: tuple[dict[str, Any], ...],
    valid_from: date | None,
    valid_until: date | None,
    meta: dict[str, Any],
    *,
    day: date,
) -> PrintedFacts:
    """Read-only: the owner printed against the document's, and the archived paper it may repeat."""
    facts = get_facts(session, document_id)
    owner = _facts_owner(facts)
    strong = {(c["id_type"], c["id_number"]) for c in candidates if float(c.get("confidence") or 0) >= _STRONG}
    reasons: list[str] = []
    from_text = None
    if owner is not None:
        same_type = {n for t, n in strong if t == owner.id_type.value}
        if same_type and owner.id_number not in same_type:
            reasons.append("owner_mismatch_printed")
    elif len(strong) == 1:
        from_text = parse_owner_id(*next(iter(strong)))
    uploaded = [
        link
        for link, _ in held_documents_of(session, document_id)
        if link.role == COMPONENT and link.origin == "upload"
    ]
    same = facts.same_as if facts is not None else None
    fresh = False
    if uploaded and same is None:
        same = same_paper(session, document_id, meta, day=day, owner=owner or from_text)
        fresh = same is not None
    if same is not None:
        reasons.append("same_as_archived")
    keep_review = facts is not None and facts.validity_source == "review"
    return PrintedFacts(
        candidates,
        None if keep_review else valid_from,
        None if keep_review else valid_until,
        tuple(reasons),
        from_text,
        same,
        fresh,
        uploaded[0].dossier_code if uploaded else None,
        uploaded[0].component if uploaded else None,
    )


def keep_printed(session: Session, document_id: str, printed: PrintedFacts, *, actor: str) -> None:
    """Write what ``judge_printed`` found, in the transaction that moves the document on."""
    values: dict[str, Any] = {"printed_owners": list(printed.owners) or None, "same_as": printed.same_as}
    if printed.valid_from is not None or printed.valid_until is not None:
        values |= {"valid_from": printed.valid_from, "valid_until": printed.valid_until, "validity_source": "text"}
    if printed.owner_from_text is not None:
        values |= {
            "owner_id_type": printed.owner_from_text.id_type.value,
            "owner_id_number": printed.owner_from_text.id_number,
            "owner_source": "text",
        }
    save_facts(session, document_id, now=utcnow(), **values)
    if printed.new_resubmission and printed.same_as is not None and printed.dossier_code is not None:
        record_resubmission(
            session,
            dossier_code=printed.dossier_code,
            archived_id=printed.same_as,
            kind="content",
            component=printed.component,
            actor=actor,
            document_id=document_id,
        )
