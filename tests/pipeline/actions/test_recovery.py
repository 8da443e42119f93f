"""Retry: a failed document goes back to the stage that failed and finishes; the retry is audited;
a duplicate upload of a failed document retries it; rejected documents are never retried."""

from __future__ import annotations

from pathlib import Path

import pytest

from sohoa.core.domain import DocumentState
from sohoa.core.errors import Conflict
from sohoa.pipeline.actions.recovery import failures, retry_document, retry_failed
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document, list_events
from tests.support.codes import PROCEDURE
from tests.support.faults import BrokenSigner, broken_signer
from tests.support.flows import ingest_one
from tests.support.pdfs import make_text_image

__all__ = ["broken_signer"]  # the fixture, used by name

LINES = ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "Số: 15/QĐ-SVHTTDL", "QUYẾT ĐỊNH", "Về việc cấp giấy phép karaoke"]


def _states(rt: Runtime, doc_id: str) -> list[tuple[str | None, str | None, str]]:
    with rt.db.session() as session:
        return [
            (e.from_state, e.to_state, e.actor)
            for e in list_events(session, document_id=doc_id)
            if e.action == "document.state"
        ]


def _failed_scan(rt: Runtime, tmp_path: Path, name: str = "scan.png") -> tuple[str, Path]:
    scan = make_text_image(tmp_path / name, LINES)
    doc_id = ingest_one(rt, scan)
    with rt.db.session() as session:
        doc = get_document(session, doc_id)
    assert (doc.state, doc.reason_code) == ("failed", "signing_failed")
    return doc_id, scan


def test_a_signer_failure_is_retried_from_signing_not_from_ocr(
    runtime: Runtime, broken_signer: BrokenSigner, tmp_path: Path
) -> None:
    doc_id, _ = _failed_scan(runtime, tmp_path)
    listed, total = failures(runtime)
    assert total == 1 and listed[0].document.id == doc_id and listed[0].task == "sign" and listed[0].retryable
    broken_signer.broken = False  # the key is fixed
    retried = retry_document(runtime, doc_id, actor="hoa")
    assert (retried.state, retried.task, retried.previous_reason) == (DocumentState.EXTRACTED, "sign", "signing_failed")
    runtime.queue.join()  # type: ignore[union-attr]
    with runtime.db.session() as session:
        doc = get_document(session, doc_id)
        retry_events = [
            e for e in list_events(session, document_id=doc_id) if (e.details or {}).get("action") == "retry"
        ]
    assert (doc.state, doc.reason_code, doc.reason_message) == ("archived", None, None)
    assert doc.archive_key and doc.signature_level
    # OCR and extraction ran once: the retry continued where it had stopped.
    states = _states(runtime, doc_id)
    assert [s[1] for s in states] == ["received", "ocr_done", "extracted", "failed", "extracted", "signed", "archived"]
    assert len(retry_events) == 1
    assert retry_events[0].actor == "hoa"
    assert retry_events[0].details == {
        "action": "retry",
        "via": "api",
        "task": "sign",
        "previous_reason": "signing_failed",
    }
    assert failures(runtime)[1] == 0
    assert broken_signer.calls == 2


def test_only_failed_documents_are_retried(runtime: Runtime, broken_signer: BrokenSigner, tmp_path: Path) -> None:
    doc_id, _ = _failed_scan(runtime, tmp_path)
    broken_signer.broken = False
    retry_document(runtime, doc_id, actor="hoa")
    runtime.queue.join()  # type: ignore[union-attr]
    with pytest.raises(Conflict) as again:
        retry_document(runtime, doc_id, actor="hoa")
    assert again.value.code == "invalid_state"
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    refused = accept_paths(runtime, [empty], procedure_code=PROCEDURE, actor="lan").rejected[0]
    assert refused.document_id is not None
    with pytest.raises(Conflict) as rejected:
        retry_document(runtime, refused.document_id, actor="hoa")
    assert rejected.value.code == "not_retryable"
    listed, total = failures(runtime)
    assert total == 1 and listed[0].document.id == refused.document_id and not listed[0].retryable


def test_a_duplicate_upload_of_a_failed_document_retries_it(
    runtime: Runtime, broken_signer: BrokenSigner, tmp_path: Path
) -> None:
    doc_id, scan = _failed_scan(runtime, tmp_path)
    broken_signer.broken = False
    again = accept_paths(runtime, [scan], procedure_code=PROCEDURE, actor="lan")
    runtime.queue.join()  # type: ignore[union-attr]
    assert [(d.duplicate_of, d.state) for d in again.documents] == [(doc_id, "extracted")]
    with runtime.db.session() as session:
        doc = get_document(session, doc_id)
        retry = [e for e in list_events(session, document_id=doc_id) if (e.details or {}).get("action") == "retry"]
    assert doc.state == "archived"
    assert [(e.actor, e.details["via"]) for e in retry] == [("lan", "duplicate_upload")]


def test_every_failed_document_at_once(runtime: Runtime, broken_signer: BrokenSigner, tmp_path: Path) -> None:
    first, _ = _failed_scan(runtime, tmp_path, "a.png")
    second = ingest_one(runtime, make_text_image(tmp_path / "b.png", [*LINES, "lần hai"]))
    broken_signer.broken = False
    done = retry_failed(runtime, actor="cli:admin")
    runtime.queue.join()  # type: ignore[union-attr]
    assert {r.document_id for r in done} == {first, second}
    with runtime.db.session() as session:
        assert {get_document(session, i).state for i in (first, second)} == {"archived"}
