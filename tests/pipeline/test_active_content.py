"""A signed input that can act when opened is reviewed, and never countersigned as it is: the agency
signs a clean rendition that carries the file as received, whose own signature still verifies."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pikepdf
from sqlalchemy import select

from sohoa.core.domain import DocumentState
from sohoa.ingest.pdfcheck import inspect_pdf
from sohoa.pipeline.review import approve_document
from sohoa.pipeline.runtime import Runtime
from sohoa.signing.verify import verify_pdf
from sohoa.storage.catalogue import get_document
from sohoa.storage.records import EventRecord
from tests.support.active_pdfs import signed_by_another_agency
from tests.support.flows import ingest_one


def _events(rt: Runtime, doc_id: str, to_state: str) -> list[EventRecord]:
    with rt.db.session() as session:
        query = select(EventRecord).where(EventRecord.document_id == doc_id, EventRecord.to_state == to_state)
        return list(session.scalars(query))


def test_a_signed_input_with_scripts_is_reviewed_then_archived_as_a_clean_signed_rendition(
    runtime: Runtime, tmp_path: Path
) -> None:
    received = signed_by_another_agency(tmp_path / "in", "open_action", "page_aa", "launch", "executable")
    doc_id = ingest_one(runtime, received)  # the runtime's review policy is "never"
    with runtime.db.session() as session:
        doc = get_document(session, doc_id)
        assert (doc.state, doc.kept_signature) == (DocumentState.NEEDS_REVIEW, True)
        assert "active_content" in (doc.review_reasons or [])
    [intake] = _events(runtime, doc_id, "received")
    assert intake.details["active_content"] == ["embedded_executable", "embedded_file", "javascript", "launch"]

    approve_document(runtime, doc_id, actor="reviewer")
    runtime.queue.join()  # type: ignore[union-attr]
    with runtime.db.session() as session:
        doc = get_document(session, doc_id)
    assert doc.state == DocumentState.ARCHIVED, (doc.state, doc.reason_code, doc.reason_message)
    [signed_event] = _events(runtime, doc_id, "signed")
    assert signed_event.details["rendition"] == "clean"
    archived = tmp_path / "archived.pdf"
    runtime.store.get_file(doc.archive_key, archived)

    # The agency's signature is on a file with nothing that acts: only the attachment is left.
    assert inspect_pdf(archived).active_content == ("embedded_file",)
    report = verify_pdf(archived, trust_roots=[])
    [ours] = report.signatures
    # intact, covering the whole file, and only its (development) root unknown to this verification
    assert ours.intact and ours.problem_codes == ("untrusted",) and "Sở Văn hóa" in (ours.signer_subject or "")

    # The file as received rides inside, byte for byte, and its own signature still verifies there.
    with pikepdf.open(archived) as pdf:
        assert list(pdf.attachments) == [received.name]
        spec = pdf.attachments[received.name]
        inside = spec.get_file().read_bytes()
        assert pdf.Root.AF[0].AFRelationship == pikepdf.Name.Source
        assert "/OpenAction" not in pdf.Root and all("/AA" not in page.obj for page in pdf.pages)
        actions = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/S" in o]
        assert actions == []  # not even unreferenced: the only script is inside the attachment's bytes
    assert inside == received.read_bytes()
    assert hashlib.sha256(inside).hexdigest() == doc.original_sha256 == signed_event.details["attached_original_sha256"]
    kept = tmp_path / "kept.pdf"
    kept.write_bytes(inside)
    [theirs] = verify_pdf(kept, trust_roots=[]).signatures
    assert theirs.intact and theirs.problem_codes == ("untrusted",) and "Công ty ABC" in (theirs.signer_subject or "")
