"""The document lease: a compare-and-set in the catalogue, so two workers never run one stage at once.

Each test runs on SQLite and on PostgreSQL; every claim is its own transaction, as a worker's is.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from sohoa.core.domain import DocumentState
from sohoa.core.errors import NotFound
from sohoa.storage import catalogue
from sohoa.storage.catalogue import (
    Claim,
    add_document,
    claim_document,
    get_document,
    release_document,
    stuck_documents,
    transition,
)
from sohoa.storage.database import Database
from tests.support.rows import document_row

S = DocumentState
OCR_INPUT = (S.RECEIVED,)
# Near the real time: a claim also stamps updated_at by the real clock (the column's onupdate).
T0 = datetime.now(UTC).replace(microsecond=0)


class Clock:
    """The catalogue's notion of now, moved by hand so a lease can expire without waiting."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(T0)
    monkeypatch.setattr(catalogue, "utcnow", clock)
    return clock


def _document(db: Database, document_id: str = "doc-1", state: DocumentState = S.RECEIVED) -> str:
    with db.session() as session:
        add_document(session, document_row(document_id, state, received_at=T0, updated_at=T0))
    return document_id


def _claim(db: Database, document_id: str, owner: str, *, seconds: int = 60) -> Claim:
    with db.session() as session:
        return claim_document(session, document_id, expected=OCR_INPUT, owner=owner, seconds=seconds)


def _release(db: Database, document_id: str, owner: str) -> bool:
    with db.session() as session:
        return release_document(session, document_id, owner=owner)


def _lease(db: Database, document_id: str) -> tuple[str | None, datetime | None]:
    with db.session() as session:
        doc = get_document(session, document_id)
        return doc.lease_owner, doc.lease_expires


def test_a_second_claim_of_a_leased_document_is_refused(database: Database, clock: Clock) -> None:
    doc = _document(database)
    assert _claim(database, doc, "worker-a") is Claim.CLAIMED
    assert _claim(database, doc, "worker-b") is Claim.BUSY
    assert _lease(database, doc) == ("worker-a", T0 + timedelta(seconds=60))


def test_the_holder_may_claim_again_to_extend_its_lease(database: Database, clock: Clock) -> None:
    doc = _document(database)
    assert _claim(database, doc, "worker-a") is Claim.CLAIMED
    clock.advance(30)
    assert _claim(database, doc, "worker-a") is Claim.CLAIMED
    assert _lease(database, doc) == ("worker-a", T0 + timedelta(seconds=90))


def test_a_claim_after_the_lease_expired_succeeds(database: Database, clock: Clock) -> None:
    doc = _document(database)
    assert _claim(database, doc, "worker-a") is Claim.CLAIMED
    clock.advance(59)
    assert _claim(database, doc, "worker-b") is Claim.BUSY  # still live a second before it ends
    clock.advance(2)
    assert _claim(database, doc, "worker-b") is Claim.CLAIMED
    assert _lease(database, doc) == ("worker-b", T0 + timedelta(seconds=61 + 60))
    assert _claim(database, doc, "worker-a") is Claim.BUSY  # the dead worker coming back does not take it over


def test_release_by_a_worker_that_does_not_hold_the_lease_is_refused(database: Database, clock: Clock) -> None:
    doc = _document(database)
    assert _claim(database, doc, "worker-a") is Claim.CLAIMED
    assert _release(database, doc, "worker-b") is False
    assert _lease(database, doc) == ("worker-a", T0 + timedelta(seconds=60))
    assert _claim(database, doc, "worker-b") is Claim.BUSY


def test_release_by_the_holder_frees_the_document_at_once(database: Database, clock: Clock) -> None:
    doc = _document(database)
    assert _claim(database, doc, "worker-a") is Claim.CLAIMED
    assert _release(database, doc, "worker-a") is True
    assert _lease(database, doc) == (None, None)
    assert _claim(database, doc, "worker-b") is Claim.CLAIMED
    assert _release(database, doc, "worker-a") is False  # releasing twice changes nothing


def test_a_document_past_the_stage_is_stale_not_busy(database: Database, clock: Clock) -> None:
    doc = _document(database, state=S.OCR_DONE)
    assert _claim(database, doc, "worker-a") is Claim.STALE
    assert _lease(database, doc) == (None, None)
    with pytest.raises(NotFound):
        _claim(database, "no-such-document", "worker-a")


def test_a_state_change_ends_the_lease(database: Database, clock: Clock) -> None:
    doc = _document(database)
    assert _claim(database, doc, "worker-a") is Claim.CLAIMED
    with database.session() as session:
        assert transition(session, doc, expected=OCR_INPUT, to=S.OCR_DONE, actor="worker-a")
    assert _lease(database, doc) == (None, None)
    with database.session() as session:
        assert claim_document(session, doc, expected=(S.OCR_DONE,), owner="worker-b", seconds=60) is Claim.CLAIMED


def test_two_workers_racing_in_open_transactions_cannot_both_win(database: Database, clock: Clock) -> None:
    """Worker B's claim runs while A's claim is written but not committed: B waits, then sees A's lease."""
    doc = _document(database)
    outcome: list[Claim | BaseException] = []

    def second_worker() -> None:
        try:
            outcome.append(_claim(database, doc, "worker-b"))
        except BaseException as exc:  # reported to the test thread below
            outcome.append(exc)

    with database.session() as session:
        assert claim_document(session, doc, expected=OCR_INPUT, owner="worker-a", seconds=60) is Claim.CLAIMED
        racer = threading.Thread(target=second_worker)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second claim must wait for the first transaction"
    racer.join(timeout=30)
    assert outcome == [Claim.BUSY]
    assert _lease(database, doc)[0] == "worker-a"


def test_the_sweeper_skips_documents_under_a_live_lease(database: Database, clock: Clock) -> None:
    for name in ("idle", "leased", "expired"):
        _document(database, name)
    assert _claim(database, "leased", "worker-a", seconds=3600) is Claim.CLAIMED
    assert _claim(database, "expired", "worker-a", seconds=60) is Claim.CLAIMED
    clock.advance(600)
    with database.session() as session:
        stuck = stuck_documents(session, OCR_INPUT, unchanged_for=timedelta(minutes=5), limit=100)
    assert sorted(stuck) == [("expired", S.RECEIVED.value), ("idle", S.RECEIVED.value)]


def test_an_expired_lease_makes_a_document_eligible_at_once(database: Database, clock: Clock) -> None:
    """Its holder is gone: the sweep does not wait another ``unchanged_for`` on top of the lease."""
    for name in ("expired", "fresh"):
        _document(database, name)
    assert _claim(database, "expired", "worker-a", seconds=60) is Claim.CLAIMED
    clock.advance(61)
    with database.session() as session:
        stuck = stuck_documents(session, OCR_INPUT, unchanged_for=timedelta(hours=1), limit=100)
        held = catalogue.leased_documents(session, OCR_INPUT, limit=100)
    assert stuck == [("expired", S.RECEIVED.value)]
    assert held == []
    assert _claim(database, "fresh", "worker-b", seconds=60) is Claim.CLAIMED
    with database.session() as session:
        assert catalogue.leased_documents(session, OCR_INPUT, limit=100) == [("fresh", S.RECEIVED.value, "worker-b")]
