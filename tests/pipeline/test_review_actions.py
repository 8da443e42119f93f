"""Review actions: an archived record corrected without a rescan (catalogue and search change, the
signed file does not, each change an event with old and new), and approval with a required field
empty only when the reviewer confirms it (recorded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sohoa.core.errors import Conflict
from sohoa.pipeline.actions.search import search
from sohoa.pipeline.review import approve_document, correct_metadata
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document, list_events
from sohoa.storage.search import DocumentFilters, SearchQuery
from tests.support.flows import archive_one, ingest_one
from tests.support.pdfs import make_text_image

LINES = ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "Số: 15/QĐ-SVHTTDL", "QUYẾT ĐỊNH", "Về việc cấp giấy phép karaoke"]


def _found(rt: Runtime, text: str) -> set[str]:
    return {hit.document.id for hit in search(rt, SearchQuery(text=text, filters=DocumentFilters())).hits}


def test_an_archived_record_is_corrected_in_the_catalogue_not_in_the_signed_file(
    runtime: Runtime, tmp_path: Path
) -> None:
    doc = archive_one(runtime, make_text_image(tmp_path / "scan.png", LINES))
    with runtime.store.open(doc.archive_key) as fh:
        signed_before = fh.read()
    old_subject = (doc.metadata_json or {}).get("subject")
    assert _found(runtime, "vu truong ca") == set()
    fixed = correct_metadata(
        runtime, doc.id, {"subject": "Cấp giấy phép cho vũ trường ca nhạc", "issued_date": "2025-03-12"}, actor="hoa"
    )
    assert fixed.state == "archived"
    assert fixed.metadata_json["subject"] == "Cấp giấy phép cho vũ trường ca nhạc"
    assert _found(runtime, "vu truong ca") == {doc.id}
    with runtime.store.open(doc.archive_key) as fh:
        assert fh.read() == signed_before
    with runtime.db.session() as session:
        after = get_document(session, doc.id)
        changes = [e for e in list_events(session, document_id=doc.id) if e.action == "metadata.corrected"]
    assert (after.archive_key, after.archive_sha256) == (doc.archive_key, doc.archive_sha256)
    by_field = {e.details["field"]: e for e in changes}
    assert by_field["subject"].details == {
        "field": "subject",
        "old": old_subject,
        "new": "Cấp giấy phép cho vũ trường ca nhạc",
        "archived": True,
    }
    assert by_field["subject"].actor == "hoa"
    with pytest.raises(Conflict) as refused:
        correct_metadata(runtime, doc.id, {"procedure_code": "2.000123"}, actor="hoa")
    assert refused.value.code == "archived_filing"


def test_approving_with_a_required_field_empty_needs_a_confirmation_that_is_recorded(
    runtime: Runtime, tmp_path: Path
) -> None:
    runtime.settings.review_policy = "always"
    doc_id = ingest_one(runtime, make_text_image(tmp_path / "scan.png", LINES))
    with runtime.db.session() as session:
        assert get_document(session, doc_id).state == "needs_review"
    correct_metadata(runtime, doc_id, {"signer_name": None}, actor="hoa")
    with pytest.raises(Conflict) as refused:
        approve_document(runtime, doc_id, actor="hoa", confirm_missing=False)
    assert refused.value.code == "required_fields_empty"
    assert "signer_name" in refused.value.details["fields"]
    approve_document(runtime, doc_id, actor="hoa", confirm_missing=True)
    runtime.queue.join()  # type: ignore[union-attr]
    with runtime.db.session() as session:
        approval = [e for e in list_events(session, document_id=doc_id) if e.to_state == "approved"]
        assert get_document(session, doc_id).state == "archived"
    assert len(approval) == 1 and "signer_name" in approval[0].details["confirmed_empty"]
    assert approval[0].actor == "hoa"


def test_a_script_approving_as_before_has_the_empty_fields_recorded(runtime: Runtime, tmp_path: Path) -> None:
    runtime.settings.review_policy = "always"
    doc_id = ingest_one(runtime, make_text_image(tmp_path / "scan.png", LINES))
    correct_metadata(runtime, doc_id, {"signer_name": None}, actor="hoa")
    approve_document(runtime, doc_id, actor="script")
    runtime.queue.join()  # type: ignore[union-attr]
    with runtime.db.session() as session:
        approval = [e for e in list_events(session, document_id=doc_id) if e.to_state == "approved"]
    assert "signer_name" in approval[0].details["empty_required"]


def test_the_document_page_shows_a_confirmed_empty_approval(runtime: Runtime, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from sohoa.api.app import create_app
    from sohoa.core.domain import Role
    from sohoa.storage.accounts import create_user
    from tests.api.web.html import read_page

    runtime.settings.review_policy = "always"
    doc_id = ingest_one(runtime, make_text_image(tmp_path / "scan.png", LINES))
    correct_metadata(runtime, doc_id, {"signer_name": None}, actor="hoa")
    approve_document(runtime, doc_id, actor="hoa", confirm_missing=True)
    runtime.queue.join()  # type: ignore[union-attr]
    with runtime.db.session() as session:
        create_user(session, "hoa", Role.REVIEWER, actor="test", password="mat-khau-dai-du-10")
    with TestClient(create_app(runtime=runtime)) as client:
        client.post("/auth/login", data={"username": "hoa", "password": "mat-khau-dai-du-10"})
        text = " ".join(read_page(client.get(f"/documents/{doc_id}").text).text)
    assert "duyệt khi còn trống (đã xác nhận):" in text and "Người ký" in text
