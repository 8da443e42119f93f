"""A row read for update is the transaction's until it ends, on SQLite as on PostgreSQL: a second
read-check-write of the same row waits and then sees the first one's change, so none is lost."""

from __future__ import annotations

import threading
import time

from sohoa.core.domain import DocumentState
from sohoa.storage.catalogue import add_document, get_document
from sohoa.storage.database import Database
from sohoa.storage.dossier_queries import get_dossier_record
from sohoa.storage.dossier_records import DossierRecord
from sohoa.storage.records import DocumentRecord
from tests.support.rows import document_row


def _both_at_once(first: threading.Thread, second: threading.Thread, holding: threading.Event) -> None:
    first.start()
    assert holding.wait(10)
    second.start()
    first.join(20)
    second.join(20)
    assert not first.is_alive() and not second.is_alive()


def test_two_read_check_writes_of_one_document_do_not_lose_either(database: Database) -> None:
    with database.session() as session:
        add_document(session, document_row("d1", DocumentState.ARCHIVED, attempts=0))
    holding, errors = threading.Event(), []

    def bump(hold: float) -> None:
        try:
            with database.session() as session:
                earlier = session.get(DocumentRecord, "d1")  # a plain read, kept: it must not stand in
                doc = get_document(session, "d1", for_update=True)
                assert doc is earlier  # one object per row in a session: the lock refreshed it
                seen = doc.attempts
                if hold:
                    holding.set()
                    time.sleep(hold)  # the other one starts meanwhile, and must wait
                doc.attempts = seen + 1
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)

    _both_at_once(threading.Thread(target=bump, args=(0.5,)), threading.Thread(target=bump, args=(0,)), holding)
    assert errors == []
    with database.session() as session:
        assert get_document(session, "d1").attempts == 2


def test_two_read_check_writes_of_one_dossier_do_not_lose_either(database: Database) -> None:
    with database.session() as session:
        session.add(DossierRecord(code="H19-0001", procedure_code="1.001234"))
    holding, errors = threading.Event(), []

    def rename(hold: float, name: str) -> None:
        try:
            with database.session() as session:
                record = get_dossier_record(session, "H19-0001", for_update=True)
                assert record is not None
                seen = record.owner_name or ""
                if hold:
                    holding.set()
                    time.sleep(hold)
                record.owner_name = f"{seen}{name}"
        except Exception as exc:
            errors.append(exc)

    _both_at_once(
        threading.Thread(target=rename, args=(0.5, "a")), threading.Thread(target=rename, args=(0, "b")), holding
    )
    assert errors == []
    with database.session() as session:
        record = get_dossier_record(session, "H19-0001")
        assert record is not None and record.owner_name == "ab"
