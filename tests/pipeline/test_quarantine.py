"""Quarantine keeps refused input for inspection, bounded per upload, and not for ever."""

from __future__ import annotations

import io
import json
import os
import random
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sohoa.core.settings import Settings
from sohoa.pipeline.intake import IncomingFile, accept_files
from sohoa.pipeline.quarantine import purge_quarantine
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.records import DocumentRecord, EventRecord
from tests.support.codes import PROCEDURE

BAD = b"this is no scan at all\n"


def _bad(size: int, seed: int) -> bytes:
    return (BAD + f"{seed}\n".encode()) * (size // len(BAD))


def _upload(rt: Runtime, *files: tuple[str, bytes]) -> None:
    accept_files(
        rt, [IncomingFile(name, io.BytesIO(data)) for name, data in files], procedure_code=PROCEDURE, actor="tester"
    )


def _rejected(rt: Runtime) -> list[DocumentRecord]:
    with rt.db.session() as session:
        return list(session.scalars(select(DocumentRecord).where(DocumentRecord.state == "rejected")))


def test_a_zip_of_bad_entries_keeps_the_container_once_not_each_entry(quiet_runtime: Runtime) -> None:
    rt = quiet_runtime
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(40):
            zf.writestr(f"scan-{n:02d}.pdf", BAD + random.Random(n).randbytes(64 * 1024))
    container = buffer.getvalue()
    _upload(rt, ("lo.zip", container))
    rejected = _rejected(rt)
    assert len(rejected) == 40 and {d.reason_code for d in rejected} == {"unsupported_type"}
    kept = list(rt.store.list("quarantine/"))
    assert len(kept) == 1
    assert {d.original_key for d in rejected} == set(kept)
    assert rt.store.stat(kept[0]).size == len(container)


def test_one_upload_quarantines_no_more_than_its_limit(settings: Settings) -> None:
    settings.quarantine_max_request_bytes = 5000
    rt = open_runtime(settings, with_queue=False)
    try:
        _upload(rt, *[(f"bad-{n}.pdf", _bad(2000, n)) for n in range(4)])
        rejected = _rejected(rt)
        assert len(rejected) == 4  # every file is still refused with its reason
        kept = [d for d in rejected if d.original_key]
        assert len(kept) == 2 and len(list(rt.store.list("quarantine/"))) == 2
        with rt.db.session() as session:
            skipped = [
                e.details
                for e in session.scalars(select(EventRecord).where(EventRecord.to_state == "rejected"))
                if e.details.get("quarantine_skipped")
            ]
        assert [d["quarantine_skipped"] for d in skipped] == ["over_request_limit"] * 2
    finally:
        rt.close()


def test_purge_deletes_old_quarantine_and_keeps_the_refusals(quiet_runtime: Runtime) -> None:
    rt = quiet_runtime
    _upload(rt, ("old.pdf", _bad(1000, 1)), ("again.pdf", _bad(1000, 2)))
    with rt.db.session() as session:
        for doc in session.scalars(select(DocumentRecord)):
            doc.received_at -= timedelta(days=40)
    _upload(rt, ("again-today.pdf", _bad(1000, 2)))  # the same bytes refused again today
    assert len(list(rt.store.list("quarantine/"))) == 2

    nothing = purge_quarantine(rt, older_than_days=90, actor="tester")
    assert (nothing.documents, nothing.objects) == (0, 0)
    result = purge_quarantine(rt, older_than_days=30, actor="tester")
    assert (result.documents, result.objects, result.kept_for_newer) == (1, 1, 1)
    assert result.bytes == len(_bad(1000, 1))
    rejected = {d.filename: d for d in _rejected(rt)}
    assert set(rejected) == {"old.pdf", "again.pdf", "again-today.pdf"}  # the refusals stay
    assert rejected["old.pdf"].original_key is None
    assert rejected["again.pdf"].original_key == rejected["again-today.pdf"].original_key
    assert list(rt.store.list("quarantine/")) == [rejected["again-today.pdf"].original_key]
    with rt.db.session() as session:
        purged = session.scalars(select(EventRecord).where(EventRecord.action == "quarantine.purged")).all()
    assert [e.document_id for e in purged] == [rejected["old.pdf"].id]


def test_sohoa_quarantine_purge(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from sohoa.cli.main import app

    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    rt = open_runtime(settings, with_queue=False)
    try:
        _upload(rt, ("old.pdf", _bad(1000, 1)))
    finally:
        rt.close()
    answer = CliRunner().invoke(app, ["quarantine", "purge", "--older-than", "0", "--json"], env=dict(os.environ))
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.output) == {"documents": 1, "objects": 1, "bytes": len(_bad(1000, 1)), "kept_for_newer": 0}
