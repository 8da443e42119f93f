"""What a crashed or failed run leaves behind never blocks the next one."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState
from sohoa.core.errors import StorageError
from sohoa.core.settings import Settings
from sohoa.pipeline import intake
from sohoa.pipeline.intake import IncomingFile, accept_files
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.catalogue import get_document
from sohoa.storage.records import DocumentRecord, OriginalRecord
from tests.support.codes import PROCEDURE


@pytest.fixture(params=["sqlite", "postgresql"])
def quiet_runtime(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Runtime]:
    """A runtime with no workers (documents stay where intake leaves them), on each catalogue engine."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        settings = settings.model_copy(update={"database_url": url})
    rt = open_runtime(settings, with_queue=False)
    try:
        yield rt
    finally:
        rt.close()


def _upload(rt: Runtime, scan: Path) -> intake.UploadResult:
    return accept_files(
        rt, [IncomingFile(scan.name, io.BytesIO(scan.read_bytes()))], procedure_code=PROCEDURE, actor="tester"
    )


def test_a_failure_after_the_claim_leaves_nothing_that_blocks_a_retry(
    quiet_runtime: Runtime, scan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = quiet_runtime

    def disk_gone(*_args: object, **_kwargs: object) -> None:
        raise StorageError("disk full", code="storage_io_error")

    with monkeypatch.context() as patch:
        patch.setattr(intake, "_add_document", disk_gone)
        failed = _upload(rt, scan)
    assert [r.code for r in failed.rejected] == ["storage_io_error"] and not failed.documents
    with rt.db.session() as session:
        assert session.scalars(select(OriginalRecord)).all() == []  # the claim went with the document

    retried = _upload(rt, scan)
    assert not retried.rejected
    [doc] = retried.documents
    assert doc.duplicate_of is None and doc.state == DocumentState.RECEIVED
    with rt.db.session() as session:
        assert get_document(session, doc.id).original_sha256


def test_an_orphan_claim_is_taken_over_by_the_next_upload(quiet_runtime: Runtime, scan: Path) -> None:
    rt = quiet_runtime
    import hashlib

    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    with rt.db.session() as session:  # what an older release left after a crash
        session.add(OriginalRecord(sha256=sha, document_id="00000000-0000-0000-0000-000000000000", created_at=utcnow()))

    result = _upload(rt, scan)
    assert not result.rejected
    [doc] = result.documents
    assert doc.duplicate_of is None
    with rt.db.session() as session:
        assert session.get(OriginalRecord, sha).document_id == doc.id
        assert session.get(DocumentRecord, doc.id) is not None

    again = _upload(rt, scan)  # and the file is a plain duplicate from then on
    assert [d.duplicate_of for d in again.documents] == [doc.id]
