"""Correcting an archived record without changing it: a new document supersedes the old one.

The new input goes through the normal intake under the old document's procedure and dossier
codes and is processed like any upload. The link is written to the catalogue and, as an
immutable lineage record, to the archive beside the new document
(``archive/{procedure}/{yyyy}/{new_id}.lineage.json``), so a catalogue rebuilt from the
store keeps it. The old record stays archived and retained; it counts as superseded once
the new one is archived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState
from sohoa.core.errors import Conflict, InputRejected
from sohoa.pipeline.intake import IncomingFile, accept_files
from sohoa.pipeline.retention import store_record
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.archive_queries import add_supersession
from sohoa.storage.archive_records import SupersessionRecord, supersessions_of
from sohoa.storage.catalogue import get_document, record_event
from sohoa.storage.records import DocumentRecord

__all__ = [
    "LINEAGE_SUFFIX",
    "Lineage",
    "LineageLink",
    "SupersedeResult",
    "lineage_key",
    "read_lineage",
    "supersede_document",
]

LINEAGE_SUFFIX = ".lineage.json"
# A replacement in these states will never be archived: the old record may be superseded again.
_DEAD = frozenset({DocumentState.FAILED.value, DocumentState.REJECTED.value})


@dataclass(frozen=True)
class SupersedeResult:
    old_document_id: str
    new_document_id: str
    batch_id: str
    state: str  # of the new document when intake returned
    lineage_key: str


@dataclass(frozen=True)
class LineageLink:
    old_document_id: str
    new_document_id: str
    new_state: str
    effective: bool  # the new document is archived
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class Lineage:
    """A document's place in its chain of corrections, nearest links first in each direction."""

    document_id: str
    superseded: bool
    supersedes: tuple[LineageLink, ...]  # older records this one replaces, walking back
    superseded_by: tuple[LineageLink, ...]  # newer records that replace it, walking forward


def lineage_key(doc: DocumentRecord) -> str:
    assert doc.procedure_code is not None
    return f"archive/{doc.procedure_code}/{doc.received_at.year:04d}/{doc.id}{LINEAGE_SUFFIX}"


def _live_successor(session: Session, document_id: str) -> str | None:
    for link in supersessions_of(session, [document_id]):
        if link.old_document_id == document_id:
            state = get_document(session, link.new_document_id).state
            if state not in _DEAD:
                return link.new_document_id
    return None


def _check_supersedable(session: Session, document_id: str) -> DocumentRecord:
    old = get_document(session, document_id, for_update=True)
    if old.state != DocumentState.ARCHIVED.value:
        raise Conflict(
            f"only an archived document can be superseded; {document_id} is {old.state}",
            code="not_archived",
            details={"state": old.state},
        )
    successor = _live_successor(session, document_id)
    if successor is not None:
        raise Conflict(
            f"document {document_id} is already superseded by {successor}; supersede that one instead",
            code="already_superseded",
            details={"superseded_by": successor},
        )
    return old


def supersede_document(
    rt: Runtime, document_id: str, incoming: IncomingFile, *, reason: str, actor: str
) -> SupersedeResult:
    """Archive ``incoming`` as a new document that supersedes ``document_id``."""
    reason = reason.strip() if reason else ""
    if not reason:
        raise InputRejected("a reason for the correction is required", code="reason_required")
    with rt.db.session() as session:
        old = _check_supersedable(session, document_id)
        procedure_code, dossier_code = old.procedure_code, old.dossier_code
    result = accept_files(
        rt, [incoming], procedure_code=procedure_code, dossier_code=dossier_code, actor=actor, source="supersede"
    )
    if result.rejected:
        refused = result.rejected[0]
        if not isinstance(refused.error, InputRejected):
            raise refused.error  # the store failed, not the file: a server fault, worth trying again
        raise InputRejected(
            f"the corrected file was refused: {refused.message}",
            code=refused.code,
            details={"document_id": refused.document_id, "batch_id": result.batch_id},
        )
    accepted = result.documents[0]
    if accepted.duplicate_of is not None:
        raise Conflict(
            f"the corrected file is identical to document {accepted.duplicate_of}",
            code="duplicate_input",
            details={"duplicate_of": accepted.duplicate_of},
        )
    with rt.db.session() as session:
        # Checked again under the row lock: a concurrent correction of the same record loses here.
        _check_supersedable(session, document_id)
        new = get_document(session, accepted.id)
        key = lineage_key(new)
        link = SupersessionRecord(
            new_document_id=new.id,
            old_document_id=document_id,
            reason=reason,
            actor=actor,
            created_at=utcnow(),
            lineage_key=key,
        )
        _archive_lineage(rt, new, link)
        add_supersession(session, link)
        record_event(
            session,
            actor=actor,
            action="document.superseded",
            document_id=document_id,
            details={"superseded_by": new.id, "reason": reason},
        )
        record_event(
            session,
            actor=actor,
            action="document.supersedes",
            document_id=new.id,
            batch_id=result.batch_id,
            details={"supersedes": document_id, "reason": reason, "lineage_key": key},
        )
        state = new.state
    return SupersedeResult(document_id, accepted.id, result.batch_id, state, key)


def _archive_lineage(rt: Runtime, new: DocumentRecord, link: SupersessionRecord) -> None:
    """The lineage beside the archive, so the store alone still tells which record replaced which."""
    record = {
        "document_id": new.id,
        "supersedes": link.old_document_id,
        "procedure_code": new.procedure_code,
        "dossier_code": new.dossier_code or "",
        "reason": link.reason,
        "actor": link.actor,
        "at": link.created_at.isoformat(),
    }
    metadata = {"document_id": new.id, "supersedes": link.old_document_id}
    store_record(rt.store, link.lineage_key, record, metadata=metadata)


def _link(session: Session, row: SupersessionRecord) -> LineageLink:
    state = get_document(session, row.new_document_id).state
    return LineageLink(
        old_document_id=row.old_document_id,
        new_document_id=row.new_document_id,
        new_state=state,
        effective=state == DocumentState.ARCHIVED.value,
        reason=row.reason,
        actor=row.actor,
        at=row.created_at,
    )


def read_lineage(session: Session, document_id: str) -> Lineage:
    """Walk the corrections back to the first record and forward to the current one."""
    get_document(session, document_id)
    back: list[LineageLink] = []
    forward: list[LineageLink] = []
    seen = {document_id}
    cursor: str | None = document_id
    while cursor is not None:
        rows = [r for r in supersessions_of(session, [cursor]) if r.new_document_id == cursor]
        cursor = None
        for row in rows[:1]:  # a document supersedes exactly one record
            back.append(_link(session, row))
            if row.old_document_id not in seen:
                seen.add(row.old_document_id)
                cursor = row.old_document_id
    frontier = [document_id]
    while frontier:
        current = frontier.pop(0)
        for row in supersessions_of(session, [current]):
            if row.old_document_id == current and row.new_document_id not in seen:
                seen.add(row.new_document_id)
                forward.append(_link(session, row))
                frontier.append(row.new_document_id)
    direct = [link for link in forward if link.old_document_id == document_id]
    return Lineage(
        document_id=document_id,
        superseded=any(link.effective for link in direct),
        supersedes=tuple(back),
        superseded_by=tuple(forward),
    )
