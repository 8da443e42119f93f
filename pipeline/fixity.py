"""Fixity audit: re-read archived objects, recompute their SHA-256, compare with the catalogue.

Each archived PDF is streamed from the store (never held whole in memory) and its digest
compared with ``documents.archive_sha256``; the filing record against the digest the store
recorded for it; each correction the catalogue lists (``documents.archive_corrections``) against the
catalogue's digest, one it lists that the store lacks being missing, and any other correction found
beside the PDF (stored before the catalogue listed corrections, or just before a crash lost the
catalogue's commit) against the store's digest; and each renewed copy against
``archive_renewals.sha256`` (verification reads the newest copy). The corrections of a held
filing are put under its hold again, so one stored just before a crash is not left out of it. A
run is one row in ``fixity_runs`` and one ``fixity.run`` event; each problem is also an event on
its document.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.errors import ConfigurationError, ObjectNotFound, SohoaError
from sohoa.pipeline.retention import (
    companion_key,
    correction_key,
    correction_keys,
    correction_number,
    hold_like_filing,
)
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.schedule import repeat
from sohoa.storage.archive_queries import (
    add_fixity_run,
    archived_objects,
    corrections_listed,
    last_fixity_run,
)
from sohoa.storage.archive_records import FixityRunRecord
from sohoa.storage.catalogue import record_event
from sohoa.storage.objectrules import copy_hashing
from sohoa.storage.signing_queries import renewals_of

__all__ = [
    "FixityProblem",
    "FixitySummary",
    "last_fixity_summary",
    "latest_fixity",
    "run_fixity",
    "start_fixity_schedule",
]

log = logging.getLogger(__name__)

# Problems kept in the run's row and logged as events: the counts stay exact beyond it.
MAX_RECORDED_PROBLEMS = 1000


@dataclass(frozen=True)
class FixityProblem:
    document_id: str
    key: str
    kind: str  # mismatch | missing | unreadable
    expected: str | None = None
    actual: str | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "key": self.key,
            "kind": self.kind,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


@dataclass(frozen=True)
class FixitySummary:
    run_id: int
    started_at: datetime
    finished_at: datetime | None
    actor: str
    checked: int
    intact: int
    mismatched: int
    missing: int
    unreadable: int
    bytes_read: int
    sample: int | None = None
    since: datetime | None = None
    problems: tuple[FixityProblem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.mismatched == 0 and self.missing == 0 and self.unreadable == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "actor": self.actor,
            "ok": self.ok,
            "checked": self.checked,
            "intact": self.intact,
            "mismatched": self.mismatched,
            "missing": self.missing,
            "unreadable": self.unreadable,
            "bytes_read": self.bytes_read,
            "sample": self.sample,
            "since": self.since.isoformat() if self.since else None,
            "problems": [p.to_dict() for p in self.problems],
        }


def _digest(rt: Runtime, key: str) -> tuple[str, int]:
    with rt.store.open(key) as stream:
        return copy_hashing(stream)


def _check(rt: Runtime, document_id: str, key: str, expected: str | None) -> tuple[FixityProblem | None, int]:
    """Re-hash one object; returns the problem found (or None) and the bytes read."""
    try:
        actual, size = _digest(rt, key)
    except ObjectNotFound:
        return FixityProblem(document_id, key, "missing", expected, None, "object not found in the store"), 0
    except (SohoaError, OSError) as exc:
        return FixityProblem(document_id, key, "unreadable", expected, None, str(exc)), 0
    if expected is None or actual != expected:
        return FixityProblem(document_id, key, "mismatch", expected, actual, "SHA-256 differs from the record"), size
    return None, size


def _check_record(rt: Runtime, document_id: str, record: str, what: str) -> tuple[FixityProblem | None, int]:
    """A filing record, or a correction the catalogue does not list: re-hashed against the digest the
    store recorded when it was written (the catalogue keeps none of its own for them)."""
    try:
        expected = rt.store.stat(record).sha256
    except ObjectNotFound:
        return FixityProblem(document_id, record, "missing", None, None, f"{what} not found in the store"), 0
    except (SohoaError, OSError) as exc:
        return FixityProblem(document_id, record, "unreadable", None, None, str(exc)), 0
    return _check(rt, document_id, record, expected)


def _check_listed(rt: Runtime, document_id: str, entry: dict[str, Any]) -> tuple[FixityProblem | None, int]:
    """A correction the catalogue lists: re-hashed against the catalogue's digest for it."""
    problem, read = _check(rt, document_id, str(entry["key"]), entry.get("sha256"))
    if problem is not None and problem.kind == "missing":
        problem = replace(problem, message="the catalogue lists this correction; the store does not hold it")
    return problem, read


def _corrections(rt: Runtime, document_id: str, key: str, listed: int) -> tuple[list[str], FixityProblem | None]:
    try:
        return correction_keys(rt.store, key, through=listed), None
    except (SohoaError, OSError) as exc:
        # named by the first correction's key: the PDF itself may have read well
        first = correction_key(key, 1)
        return [], FixityProblem(document_id, first, "unreadable", None, None, f"corrections cannot be listed: {exc}")


@dataclass
class _Tally:
    """What a run has found so far: each document once, under its worst problem; every problem listed."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[FixityProblem] = field(default_factory=list)

    def add(self, found: list[FixityProblem], bytes_read: int) -> None:
        self.counts.update(checked=1, bytes_read=bytes_read)
        if not found:
            self.counts["intact"] += 1
            return
        worst = min(found, key=lambda p: _WORST_FIRST.index(p.kind))
        self.counts[_COUNTED_AS[worst.kind]] += 1
        self.problems.extend(found)

    def columns(self) -> dict[str, int]:
        """The counts, under the run row's column names."""
        return {name: self.counts[name] for name in _COUNT_COLUMNS}


_WORST_FIRST = ("missing", "mismatch", "unreadable")
_COUNTED_AS = {"mismatch": "mismatched", "missing": "missing", "unreadable": "unreadable"}
_COUNT_COLUMNS = ("checked", "intact", "mismatched", "missing", "unreadable", "bytes_read")


def _mend_hold(rt: Runtime, key: str, renewals: list[str], corrections: list[str]) -> None:
    """Put what was stored beside a held PDF under its hold; a store that fails here does not end the
    run (its findings so far would be lost with it): the next run mends it."""
    try:
        hold_like_filing(rt.store, key, renewals, corrections=corrections)
    except (SohoaError, OSError) as exc:
        log.warning("fixity: the hold of %s could not be mended: %s", key, exc)


def run_fixity(rt: Runtime, *, actor: str, sample: int | None = None, since: datetime | None = None) -> FixitySummary:
    """Audit the archived documents (a random ``sample`` of them, or those archived ``since``)."""
    if sample is not None and sample < 1:
        raise ConfigurationError(f"a fixity sample must hold at least one document, not {sample}")
    started = utcnow()
    with rt.db.session() as session:
        targets = archived_objects(session, since=since, sample=sample)
        renewals = renewals_of(session, [document_id for document_id, _, _ in targets])
        listings = corrections_listed(session, [document_id for document_id, _, _ in targets])
    tally = _Tally()
    for document_id, key, expected in targets:
        pdf, pdf_read = _check(rt, document_id, key, expected)
        copies = renewals.get(document_id, [])
        # the corrections too: a catalogue rebuilt from the archive files the newest. Those the
        # catalogue lists against its digests (one lost is missing, not a correction never made),
        # any other found beside the PDF against the digest the store recorded
        listed = listings.get(document_id, [])
        highest = max((correction_number(str(entry["key"])) for entry in listed), default=0)
        corrections, unlisted = _corrections(rt, document_id, key, highest)
        known = {str(entry["key"]) for entry in listed}
        others = [_check_record(rt, document_id, companion_key(key), "filing record")]
        others += [_check_listed(rt, document_id, entry) for entry in listed]
        others += [_check_record(rt, document_id, c, "correction") for c in corrections if c not in known]
        # the renewed copies too: verification and the next renewal read the newest copy, not the first
        others += [_check(rt, document_id, copy.archive_key, copy.sha256) for copy in copies]
        found = (pdf, unlisted, *(problem for problem, _ in others))
        tally.add([problem for problem in found if problem is not None], pdf_read + sum(read for _, read in others))
        # the PDF is there to say whether it is held; corrections that could not be listed wait for the next run
        if (pdf is None or pdf.kind == "mismatch") and unlisted is None:
            _mend_hold(rt, key, [copy.archive_key for copy in copies], corrections)
    run = FixityRunRecord(started_at=started, actor=actor, sample=sample, since=since, **tally.columns())
    summary = _record_run(rt, run, tally.problems)
    log.info(
        "fixity run %d: %d checked, %d intact, %d mismatched, %d missing, %d unreadable",
        summary.run_id,
        summary.checked,
        summary.intact,
        summary.mismatched,
        summary.missing,
        summary.unreadable,
    )
    return summary


def _record_run(rt: Runtime, run: FixityRunRecord, problems: list[FixityProblem]) -> FixitySummary:
    kept = problems[:MAX_RECORDED_PROBLEMS]
    run.finished_at = utcnow()
    run.problems = [p.to_dict() for p in kept] or None
    with rt.db.session() as session:
        row = add_fixity_run(session, run)
        for problem in kept:
            record_event(
                session,
                actor=run.actor,
                action="fixity.failed",
                document_id=problem.document_id,
                details={"run_id": row.id, **problem.to_dict()},
            )
        summary = _summary(row)
        record_event(
            session,
            actor=run.actor,
            action="fixity.run",
            details={k: v for k, v in summary.to_dict().items() if k != "problems"},
        )
    return summary


def _summary(row: FixityRunRecord) -> FixitySummary:
    # The summary's fields are the row's columns by the same names, but for the id and the problems.
    same = {f.name: getattr(row, f.name) for f in fields(FixitySummary) if f.name not in ("run_id", "problems")}
    return FixitySummary(run_id=row.id, problems=tuple(FixityProblem(**p) for p in row.problems or ()), **same)


def latest_fixity(rt: Runtime) -> FixitySummary | None:
    """The latest finished fixity run, or None when none has run."""
    with rt.db.session() as session:
        return last_fixity_summary(session)


def last_fixity_summary(session: Session) -> FixitySummary | None:
    """The latest finished fixity run, or None when none has run (for metrics and the API)."""
    row = last_fixity_run(session)
    return _summary(row) if row is not None else None


def start_fixity_schedule(
    rt: Runtime, interval: float, *, sample: int | None = None, actor: str = "fixity-schedule"
) -> threading.Event:
    """Audit every ``interval`` seconds on a daemon thread; set the returned event to stop."""
    if interval <= 0:
        raise ConfigurationError("the fixity interval must be positive; 0 means no schedule")
    return repeat("fixity", interval, lambda: run_fixity(rt, actor=actor, sample=sample))
