"""Intake's answer for a refused file: the error itself, and the audit log telling the same code and message."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from sohoa.core.errors import InputRejected
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.records import EventRecord
from tests.support.codes import PROCEDURE
from tests.support.pdfs import make_text_image


def test_a_refused_file_keeps_its_error_and_the_audit_log_tells_it(runtime: Runtime, tmp_path: Path) -> None:
    page = make_text_image(tmp_path / "hs_p1.png", ["hồ sơ tờ số 1"])
    empty = tmp_path / "hs_p2.png"
    empty.write_bytes(b"")
    result = accept_paths(runtime, [page, empty], procedure_code=PROCEDURE, actor="tester", one_document=True)
    refused = {r.filename: r for r in result.rejected}
    bad, other = refused["hs_p2.png"], refused["hs_p1.png"]
    # The error as raised: its class and details reach the caller, its code and message read as before.
    assert isinstance(bad.error, InputRejected) and not bad.error.retryable
    assert (bad.code, bad.message) == ("empty_file", "the file is empty (0 bytes)")
    assert other.error.code == other.code == "group_incomplete"
    assert other.error.details == {"because": "hs_p2.png"}
    assert bad.document_id is not None and other.document_id is None  # only the bad file is catalogued
    with runtime.db.session() as session:
        events = session.scalars(select(EventRecord).where(EventRecord.batch_id == result.batch_id)).all()
    told = {e.details["filename"]: e.details for e in events if e.details and "reason_code" in e.details}
    assert told["hs_p1.png"] == {"filename": "hs_p1.png", "reason_code": other.code, "message": other.message}
    assert (told["hs_p2.png"]["reason_code"], told["hs_p2.png"]["message"]) == (bad.code, bad.message)
    assert told["hs_p2.png"]["quarantine"] is not None
