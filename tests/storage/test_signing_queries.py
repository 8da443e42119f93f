"""The signing tables' queries: newest renewal and check, replacing found signatures, archives by level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sohoa.core.domain import DocumentState
from sohoa.storage.catalogue import add_document
from sohoa.storage.database import Database
from sohoa.storage.signing_queries import (
    add_renewal,
    add_signature_check,
    archived_at_level,
    latest_renewal,
    latest_signature_check,
    replace_existing_signatures,
)
from sohoa.storage.signing_records import ArchiveRenewalRecord, ExistingSignatureRecord, SignatureCheckRecord
from tests.support.rows import document_row

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _document(db: Database, document_id: str, *, level: str | None = "B-LTA", archived_days: int = 0) -> None:
    archived = T0 + timedelta(days=archived_days)
    with db.session() as session:
        row = document_row(
            document_id,
            DocumentState.ARCHIVED,
            archive_key=f"archive/1.001/2026/{document_id}.pdf",
            signature_level=level,
            archived_at=archived,
        )
        add_document(session, row)


def _renewal(document_id: str, generation: int) -> ArchiveRenewalRecord:
    return ArchiveRenewalRecord(
        document_id=document_id,
        generation=generation,
        archive_key=f"archive/1.001/2026/{document_id}.r{generation}.pdf",
        previous_key="previous",
        sha256="0" * 64,
        previous_expiry=T0,
        expires_at=T0 + timedelta(days=365 * generation),
        renewed_by="test",
    )


def _check(document_id: str, key: str, at: datetime, summary: str) -> SignatureCheckRecord:
    return SignatureCheckRecord(
        document_id=document_id,
        archive_key=key,
        archive_sha256="0" * 64,
        checked_at=at,
        checked_by="test",
        valid=True,
        summary=summary,
        report={},
    )


def _found(document_id: str, position: int, field: str) -> ExistingSignatureRecord:
    return ExistingSignatureRecord(
        document_id=document_id,
        position=position,
        field_name=field,
        intact=True,
        trusted=False,
        revocation="unknown",
        modification="none",
        valid=False,
    )


def test_latest_renewal_is_the_highest_generation(sqlite_database: Database) -> None:
    _document(sqlite_database, "a")
    with sqlite_database.session() as session:
        assert latest_renewal(session, "a") is None
        for generation in (1, 3, 2):
            add_renewal(session, _renewal("a", generation))
    with sqlite_database.session() as session:
        renewal = latest_renewal(session, "a")
        assert renewal is not None and renewal.generation == 3


def test_latest_signature_check_is_the_newest_of_that_copy(sqlite_database: Database) -> None:
    _document(sqlite_database, "a")
    first, renewed = "archive/1.001/2026/a.pdf", "archive/1.001/2026/a.r1.pdf"
    with sqlite_database.session() as session:
        add_signature_check(session, _check("a", first, T0, "old"))
        add_signature_check(session, _check("a", first, T0 + timedelta(hours=1), "new"))
        add_signature_check(session, _check("a", renewed, T0 + timedelta(hours=2), "renewed copy"))
    with sqlite_database.session() as session:
        check = latest_signature_check(session, "a", first)
        assert check is not None and check.summary == "new"
        assert latest_signature_check(session, "a", "archive/elsewhere.pdf") is None


def test_found_signatures_replace_the_earlier_ones(sqlite_database: Database) -> None:
    _document(sqlite_database, "a")
    _document(sqlite_database, "b")
    with sqlite_database.session() as session:
        replace_existing_signatures(session, "a", [_found("a", 0, "one"), _found("a", 1, "two")])
        replace_existing_signatures(session, "b", [_found("b", 0, "kept")])
    with sqlite_database.session() as session:
        replace_existing_signatures(session, "a", [_found("a", 0, "again")])
    with sqlite_database.session() as session:
        rows = session.query(ExistingSignatureRecord).order_by(ExistingSignatureRecord.document_id).all()
        assert [(r.document_id, r.field_name) for r in rows] == [("a", "again"), ("b", "kept")]


def test_archived_at_level_lists_oldest_archived_first(sqlite_database: Database) -> None:
    _document(sqlite_database, "late", archived_days=2)
    _document(sqlite_database, "early", archived_days=1)
    _document(sqlite_database, "plain", level="B-T")
    with sqlite_database.session() as session:
        assert [d.id for d in archived_at_level(session, "B-LTA")] == ["early", "late"]
