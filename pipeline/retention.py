"""Retention dates and legal holds of archived documents: set on the store, recorded in the catalogue.

The store is the authority (S3 object lock, or the folder store's sidecars); the catalogue
keeps what the store reported and who placed or lifted a hold, with an event each time.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState
from sohoa.core.errors import ConfigurationError, Conflict, InputRejected, ObjectNotFound
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.archive_queries import add_legal_hold, end_legal_hold, save_retention
from sohoa.storage.archive_records import RetentionRecord, active_hold
from sohoa.storage.catalogue import get_document, record_event
from sohoa.storage.objectrules import LockingStore, ObjectLock
from sohoa.storage.objectstore import ObjectInfo, ObjectStore
from sohoa.storage.records import DocumentRecord
from sohoa.storage.signing_queries import renewals_of

__all__ = [
    "ArchiveProtection",
    "archive_protection",
    "companion_key",
    "correction_key",
    "correction_keys",
    "correction_number",
    "hold_like_filing",
    "locking_store",
    "parse_correction_key",
    "place_hold",
    "record_retention",
    "release_hold",
    "renewal_key",
    "store_record",
    "stored_corrections",
]


@dataclass(frozen=True)
class ArchiveProtection:
    """What keeps one archived document: its retention and legal hold."""

    document_id: str
    archive_key: str
    mode: str | None
    retain_until: datetime | None
    legal_hold: bool
    hold_reason: str | None = None
    hold_placed_by: str | None = None
    hold_placed_at: datetime | None = None


def companion_key(archive_key: str) -> str:
    """The filing record archived beside the PDF."""
    return archive_key.removesuffix(".pdf") + ".json"


def correction_key(archive_key: str, number: int) -> str:
    """The ``number``th correction (from 1) of the filing archived under ``archive_key``, stored beside it."""
    return f"{archive_key.removesuffix('.pdf')}.c{number}.json"


def renewal_key(archive_key: str, number: int) -> str:
    """The key of renewed copy ``number`` (the first free one) of the PDF archived under ``archive_key``."""
    return f"{archive_key.removesuffix('.pdf')}.r{number}.pdf"


def store_record(store: ObjectStore, key: str, record: Mapping[str, Any], *, metadata: dict[str, str]) -> ObjectInfo:
    """Store a JSON record beside an archived PDF (a correction, a lineage): UTF-8, keys sorted, so the
    same record is always the same bytes; what the store recorded of it."""
    body = json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    return store.put_stream(key, io.BytesIO(body), content_type="application/json", metadata=metadata)


# {id}.c{n}.json: correction n of the filing archived as {id}.pdf
_CORRECTION = re.compile(r"(?P<stem>.+)\.c(?P<number>[1-9][0-9]*)\.json")


def parse_correction_key(key: str) -> tuple[str, int] | None:
    """(the archived PDF's key without ``.pdf``, n) of a correction's key ``{id}.c{n}.json``; None for
    any other key."""
    found = _CORRECTION.fullmatch(key)
    return None if found is None else (found["stem"], int(found["number"]))


def correction_number(key: str) -> int:
    """The ``n`` of a correction's key ``{id}.c{n}.json``."""
    parsed = parse_correction_key(key)
    if parsed is None:
        raise ValueError(f"not a correction's key: {key!r}")
    return parsed[1]


def stored_corrections(store: ObjectStore, archive_key: str) -> list[str]:
    """Every correction stored beside an archived PDF, oldest first, gaps and all: the store's listing of
    the PDF's name, not a probe up to the first gap (a lost correction would hide those after it). It
    reads the folder's names: for a rare action (storing a correction, placing a hold), not for every
    document of a run (``correction_keys``)."""
    stem = archive_key.removesuffix(".pdf")
    found = [key for key in store.list(stem + ".c") if (parsed := parse_correction_key(key)) and parsed[0] == stem]
    return sorted(found, key=correction_number)


def correction_keys(store: ObjectStore, archive_key: str, *, through: int = 0) -> list[str]:
    """The corrections stored beside an archived PDF, oldest first, probed: numbered from 1 to the first
    gap, and on past any gap up to ``through`` (the highest number the catalogue lists), then to the
    first gap after it, so a lost correction hides none the catalogue knows to follow it. A stat per
    number, where listing would read the folder's names once per document of a fixity run."""
    keys: list[str] = []
    number = 1
    while True:
        key = correction_key(archive_key, number)
        if store.exists(key):
            keys.append(key)
        elif number > through:
            return keys
        number += 1


def locking_store(store: ObjectStore) -> LockingStore:
    if not isinstance(store, LockingStore):
        raise ConfigurationError(f"{store!r} cannot report retention or hold objects", code="store_cannot_lock")
    return store


def _archived(session: Session, document_id: str) -> tuple[DocumentRecord, str]:
    doc = get_document(session, document_id)
    if doc.state != DocumentState.ARCHIVED.value or doc.archive_key is None:
        raise Conflict(
            f"document {document_id} is not archived (state {doc.state})",
            code="not_archived",
            details={"state": doc.state},
        )
    return doc, doc.archive_key


def _protection(session: Session, document_id: str, lock: ObjectLock) -> ArchiveProtection:
    hold = active_hold(session, document_id)
    return ArchiveProtection(
        document_id=document_id,
        archive_key=lock.key,
        mode=lock.mode,
        retain_until=lock.retain_until,
        legal_hold=lock.legal_hold,
        hold_reason=hold.reason if hold else None,
        hold_placed_by=hold.placed_by if hold else None,
        hold_placed_at=hold.placed_at if hold else None,
    )


def archive_protection(rt: Runtime, document_id: str) -> ArchiveProtection:
    """Retention and hold as the store reports them now, with the catalogue's hold record."""
    with rt.db.session() as session:
        _, key = _archived(session, document_id)
        return _protection(session, document_id, locking_store(rt.store).lock_status(key))


def record_retention(session: Session, store: ObjectStore, document_id: str, key: str) -> RetentionRecord:
    """Record the retention the store holds for ``key`` (call after archiving; safe to repeat)."""
    lock = locking_store(store).lock_status(key)
    return save_retention(
        session, document_id, key, mode=lock.mode, retain_until=lock.retain_until, recorded_at=utcnow()
    )


def _set_hold(store: ObjectStore, key: str, on: bool, renewals: Sequence[str]) -> ObjectLock:
    locking = locking_store(store)
    lock = locking.set_legal_hold(key, on)
    with suppress(ObjectNotFound):  # the filing record beside the PDF is held with it
        locking.set_legal_hold(companion_key(key), on)
    # and so are the corrections of that filing and the renewed copies of the PDF
    for other in [*stored_corrections(store, key), *renewals]:
        locking.set_legal_hold(other, on)
    return lock


def hold_like_filing(
    store: ObjectStore, archive_key: str, renewals: Sequence[str] = (), *, corrections: Sequence[str] | None = None
) -> None:
    """Put every correction stored beside an archived PDF, and its ``renewals`` (renewed copies), under
    legal hold when the PDF is held (a hold keeps the whole filing: PDF, filing record, corrections,
    renewed copies, and the PDF's is the one a release asks).

    A store cannot put an object held in one step, so an object stored just before a crash may be
    left out of its filing's hold: holding them all, not only the newest, mends that at the next
    correction, renewal or fixity run. Holding a held object again changes nothing. ``corrections``:
    the correction keys when the caller has just listed them (None: listed here)."""
    locking = locking_store(store)
    if locking.lock_status(archive_key).legal_hold:
        kept = stored_corrections(store, archive_key) if corrections is None else corrections
        for key in [*kept, *renewals]:
            locking.set_legal_hold(key, True)


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InputRejected("a reason is required", code="reason_required")
    return reason.strip()


def place_hold(rt: Runtime, document_id: str, *, reason: str, actor: str) -> ArchiveProtection:
    """Put a document's archived object under legal hold: no version may go until it is released."""
    return _change_hold(rt, document_id, on=True, reason=reason, actor=actor)


def release_hold(rt: Runtime, document_id: str, *, reason: str, actor: str) -> ArchiveProtection:
    """Lift a legal hold; the retention period still applies."""
    return _change_hold(rt, document_id, on=False, reason=reason, actor=actor)


def _change_hold(rt: Runtime, document_id: str, *, on: bool, reason: str, actor: str) -> ArchiveProtection:
    """The store is set before the catalogue records it: the store is the authority (a hold it has that
    the catalogue missed can still be released), and the catalogue never records a hold the store lacks."""
    reason = _reason(reason)
    store = locking_store(rt.store)
    with rt.db.session() as session:
        _, key = _archived(session, document_id)
        hold = active_hold(session, document_id)
        if on and hold is not None:
            raise Conflict(f"document {document_id} is already under legal hold", code="already_held")
        if not on and hold is None and not store.lock_status(key).legal_hold:
            raise Conflict(f"document {document_id} is not under legal hold", code="not_held")
        renewed = [copy.archive_key for copy in renewals_of(session, [document_id]).get(document_id, [])]
        lock = _set_hold(rt.store, key, on, renewed)
        if on:
            add_legal_hold(session, document_id, key, reason=reason, placed_by=actor, placed_at=utcnow())
        elif hold is not None:
            end_legal_hold(session, hold, released_by=actor, released_at=utcnow(), reason=reason)
        record_event(
            session,
            actor=actor,
            action="archive.hold" if on else "archive.release",
            document_id=document_id,
            details={"key": key, "reason": reason},
        )
        session.flush()
        return _protection(session, document_id, lock)
