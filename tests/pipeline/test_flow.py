"""The whole flow on the embedded default: intake -> OCR -> metadata -> signature -> archive."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import func, select

from sohoa.core.domain import DocumentState
from sohoa.core.errors import InputRejected
from sohoa.pipeline.intake import IncomingFile, accept_files, accept_paths
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.tasks import run_task
from sohoa.signing.verify import verify_pdf
from sohoa.storage.catalogue import DocumentFilter, get_document, list_documents
from sohoa.storage.records import DocumentRecord, EventRecord
from tests.support.catalogue_loss import use_s3
from tests.support.codes import PROCEDURE
from tests.support.flows import ingest_one

_ingest = ingest_one


def _assert_signed_archive(rt: Runtime, doc_id: str, tmp_path: Path) -> DocumentRecord:
    with rt.db.session() as session:
        doc = get_document(session, doc_id)
    assert doc.state == DocumentState.ARCHIVED, (doc.state, doc.reason_code, doc.reason_message)
    assert doc.archive_key == f"archive/{PROCEDURE}/{doc.received_at.year}/{doc_id}.pdf"
    out = tmp_path / "archived.pdf"
    info = rt.store.get_file(doc.archive_key, out)
    assert info.sha256 == doc.archive_sha256
    assert info.metadata["document_id"] == doc_id
    assert info.metadata["procedure_code"] == PROCEDURE
    assert info.metadata["original_sha256"] == doc.original_sha256
    report = verify_pdf(out, trust_roots=[rt.signer().development_root])
    assert len(report.signatures) == 1
    assert report.signatures[0].intact and report.signatures[0].trusted
    return doc


def test_scan_becomes_signed_archived_and_findable(runtime: Runtime, scan: Path, tmp_path: Path) -> None:
    doc_id = _ingest(runtime, scan, dossier_code="000.00.32.H19-250312-0017")
    doc = _assert_signed_archive(runtime, doc_id, tmp_path)
    assert doc.signer_subject and doc.signature_level == "B-B"
    with pdfplumber.open(tmp_path / "archived.pdf") as pdf:
        assert pdf.pages[0].extract_text().strip()  # the sandwich text layer survived signing
    with runtime.db.session() as session:
        for prefix in ("1.001234", PROCEDURE):
            found, total = list_documents(session, DocumentFilter(procedure_code=prefix))
            assert [d.id for d in found] == [doc_id] and total == 1
        assert list_documents(session, DocumentFilter(procedure_code="1.00123"))[1] == 0  # whole segments only
        found, _ = list_documents(session, DocumentFilter(dossier_code="000.00.32.H19-250312-0017"))
        assert [d.id for d in found] == [doc_id]
        states = [
            e.to_state
            for e in session.scalars(
                select(EventRecord).where(EventRecord.document_id == doc_id).order_by(EventRecord.id)
            )
            if e.action == "document.state"
        ]
    assert states == ["received", "ocr_done", "extracted", "signed", "archived"]
    assert list(runtime.store.list(f"work/{doc_id}/")) == []  # no stage output outlives the archiving


def test_duplicate_upload_creates_nothing(runtime: Runtime, scan: Path) -> None:
    first = _ingest(runtime, scan)
    second = accept_paths(runtime, [scan], procedure_code=PROCEDURE, actor="tester")
    runtime.queue.join()  # type: ignore[union-attr]
    assert [d.duplicate_of for d in second.documents] == [first]
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(DocumentRecord)) == 1


def test_bad_input_is_rejected_and_quarantined_while_good_input_proceeds(runtime: Runtime, scan: Path) -> None:
    files = [
        IncomingFile("empty.pdf", io.BytesIO(b"")),
        IncomingFile("notes.txt", io.BytesIO("Biên bản họp".encode())),
        IncomingFile("scan.png", scan.open("rb")),
    ]
    result = accept_files(runtime, files, procedure_code=PROCEDURE, actor="tester")
    runtime.queue.join()  # type: ignore[union-attr]
    assert {r.filename: r.code for r in result.rejected} == {"empty.pdf": "empty_file", "notes.txt": "unsupported_type"}
    with runtime.db.session() as session:
        states = {d.filename: d.state for d in list_documents(session, DocumentFilter(batch_id=result.batch_id))[0]}
        rejected = [d for d in list_documents(session, DocumentFilter(state=DocumentState.REJECTED))[0]]
    assert states == {"empty.pdf": "rejected", "notes.txt": "rejected", "scan.png": "archived"}
    notes = next(d for d in rejected if d.filename == "notes.txt")
    with runtime.store.open(notes.original_key) as fh:  # kept in quarantine for inspection
        assert fh.read().decode() == "Biên bản họp"


def test_invalid_procedure_code_is_refused_before_anything_is_stored(runtime: Runtime, scan: Path) -> None:
    with pytest.raises(InputRejected) as info:
        accept_paths(runtime, [scan], procedure_code="abc", actor="tester")
    assert info.value.code == "invalid_procedure_code"
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(DocumentRecord)) == 0
    assert list(runtime.store.list("originals/")) == []


def test_stage_run_twice_is_harmless(runtime: Runtime, scan: Path) -> None:
    doc_id = _ingest(runtime, scan)
    with runtime.db.session() as session:
        before = session.scalar(select(func.count()).select_from(EventRecord))
    for task in ("ocr", "extract", "sign", "archive"):
        run_task(runtime, task, doc_id)
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(EventRecord)) == before
        assert get_document(session, doc_id).state == DocumentState.ARCHIVED


def test_processing_failure_is_recorded_and_others_finish(settings, scan: Path, tmp_path: Path) -> None:
    from sohoa.pipeline.wiring import open_runtime

    settings.ocr_engine = "tests.pipeline.engines:crash_on_second_page"
    rt = open_runtime(settings)
    try:
        two_pages = tmp_path / "two-pages.tif"
        from PIL import Image

        page = Image.open(scan)
        page.save(two_pages, save_all=True, append_images=[page.copy()], dpi=(200, 200))
        result = accept_paths(rt, [two_pages, scan], procedure_code=PROCEDURE, actor="tester")
        rt.queue.join()  # type: ignore[union-attr]
        with rt.db.session() as session:
            by_name = {d.filename: d for d in list_documents(session, DocumentFilter(batch_id=result.batch_id))[0]}
    finally:
        rt.close()
    assert by_name["two-pages.tif"].state == DocumentState.FAILED
    assert by_name["two-pages.tif"].reason_code == "ocr_error"
    assert by_name[scan.name].state == DocumentState.ARCHIVED


def test_review_policy_always_holds_until_approved(settings, scan: Path, tmp_path: Path) -> None:
    from sohoa.pipeline.review import approve_document, correct_metadata
    from sohoa.pipeline.wiring import open_runtime

    settings.review_policy = "always"
    rt = open_runtime(settings)
    try:
        doc_id = _ingest(rt, scan)
        with rt.db.session() as session:
            assert get_document(session, doc_id).state == DocumentState.NEEDS_REVIEW
        correct_metadata(rt, doc_id, {"signer_name": "Nguyễn Văn A"}, actor="reviewer1")
        approve_document(rt, doc_id, actor="reviewer1")
        rt.queue.join()  # type: ignore[union-attr]
        doc = _assert_signed_archive(rt, doc_id, tmp_path)
        assert doc.metadata_json["signer_name"] == "Nguyễn Văn A"
        with rt.db.session() as session:
            corrections = [
                e for e in session.scalars(select(EventRecord).where(EventRecord.action == "metadata.corrected"))
            ]
        assert [(e.actor, e.details["field"], e.details["new"]) for e in corrections] == [
            ("reviewer1", "signer_name", "Nguyễn Văn A")
        ]
    finally:
        rt.close()


@pytest.mark.postgres
@pytest.mark.s3
def test_flow_on_postgresql_and_s3(settings, pg_url: str, s3_endpoint, scan: Path, tmp_path: Path) -> None:
    from sohoa.pipeline.wiring import open_runtime
    from sohoa.storage.s3store import S3Store

    use_s3(settings, s3_endpoint, "sohoa-flow-", tmp_path, pg_url=pg_url)
    rt = open_runtime(settings)
    try:
        assert isinstance(rt.store, S3Store)
        doc_id = _ingest(rt, scan)
        _assert_signed_archive(rt, doc_id, tmp_path)
        with rt.db.session() as session:
            assert rt.db.engine.dialect.name == "postgresql"
            assert [d.id for d in list_documents(session, DocumentFilter(procedure_code="1.001234"))[0]] == [doc_id]
    finally:
        rt.close()
