"""Crash leftovers older than the grace period go; anything younger, or still named, stays."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from sohoa.api.app import create_app
from sohoa.core.clock import utcnow
from sohoa.core.settings import Settings
from sohoa.pipeline.cleanup import clean_leftovers
from sohoa.pipeline.intake import IncomingFile, accept_files
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.catalogue import get_document
from sohoa.storage.objectstore import original_key
from sohoa.storage.records import OriginalRecord
from tests.support.codes import PROCEDURE
from tests.support.pdfs import make_text_image

TWO_HOURS = 2 * 3600


def _age(path: Path, seconds: float = TWO_HOURS) -> Path:
    then = time.time() - seconds
    for dirpath, dirnames, filenames in os.walk(path) if path.is_dir() else []:
        for name in (*dirnames, *filenames):
            os.utime(Path(dirpath) / name, (then, then))
    os.utime(path, (then, then))
    return path


def _file(path: Path, data: bytes = b"partial") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _leftovers(rt: Runtime, scan: Path) -> dict[str, Path | str]:
    """What kill -9 leaves, old and young, beside one accepted document."""
    [doc] = accept_files(
        rt, [IncomingFile(scan.name, io.BytesIO(scan.read_bytes()))], procedure_code=PROCEDURE, actor="tester"
    ).documents
    work, store = rt.settings.work_dir, rt.settings.store_dir
    orphan_bytes = b"stored, then the catalogue never committed"
    orphan = rt.store.put_file(
        original_key(hashlib.sha256(orphan_bytes).hexdigest()), _file(work.parent / "o", orphan_bytes)
    ).key
    young_bytes = b"an upload still in progress"
    young = rt.store.put_file(
        original_key(hashlib.sha256(young_bytes).hexdigest()), _file(work.parent / "y", young_bytes)
    ).key
    _age(store / orphan)
    with rt.db.session() as session:
        session.add(
            OriginalRecord(sha256="f" * 64, document_id=str(uuid.uuid4()), created_at=utcnow() - timedelta(hours=2))
        )
    # Stage outputs in the store: of a document archived (killed before the archive stage cleared
    # them), of one that failed (retried from them), of one unknown, of the document in flight.
    work_objects = {}
    for name in ("archived", "failed"):
        other = make_text_image(scan.with_name(f"{name}.png"), ["QUYẾT ĐỊNH", f"Số: {len(name)}/QĐ-{name}"])
        [rested] = accept_files(
            rt, [IncomingFile(other.name, io.BytesIO(other.read_bytes()))], procedure_code=PROCEDURE, actor="tester"
        ).documents
        with rt.db.session() as session:
            get_document(session, rested.id).state = name
        work_objects[f"{name}_work_object"] = rested.id
    work_objects["unknown_work_object"] = str(uuid.uuid4())
    work_objects["live_work_object"] = doc.id
    for label, doc_id in work_objects.items():
        key = rt.store.put_file(f"work/{doc_id}/ocr.pdf", _file(work.parent / label)).key
        _age(store / key)
        work_objects[label] = key
    work_objects["young_work_object"] = rt.store.put_file(
        f"work/{uuid.uuid4()}/ocr.pdf", _file(work.parent / "young_work")
    ).key
    return {
        "doc": doc.id,
        "old_request": _age(_file(work / "requests" / "a1b2" / "000000").parent),
        "young_request": _file(work / "requests" / "c3d4" / "000000").parent,
        "old_incoming": _age(_file(work / "incoming" / str(uuid.uuid4()) / "000001").parent),
        "dead_work": _age(_file(work / str(uuid.uuid4()) / "pages.json").parent),
        "live_work": _age(_file(work / doc.id / "pages.json").parent),
        "old_tmp": _age(_file(store / "originals" / ".abc.0123456789ab.tmp")),
        "old_meta_tmp": _age(_file(store / ".meta" / "originals" / ".abc.json.0123456789ab.tmp")),
        "young_tmp": _file(store / "originals" / ".def.0123456789ab.tmp"),
        "orphan": orphan,
        "young_orphan": young,
        "named": _age(store / original_key(hashlib.sha256(scan.read_bytes()).hexdigest())),
        **work_objects,
    }


def test_old_leftovers_go_and_the_rest_stays(quiet_runtime: Runtime, scan: Path) -> None:
    rt = quiet_runtime
    left = _leftovers(rt, scan)
    result = clean_leftovers(rt, grace=timedelta(hours=1))
    assert result.to_dict() == {
        "spools": 2,
        "work_areas": 1,
        "temporaries": 2,
        "originals": 1,
        "claims": 1,
        "work_objects": 2,
    }
    for gone in ("old_request", "old_incoming", "dead_work", "old_tmp", "old_meta_tmp"):
        assert not Path(left[gone]).exists(), gone
    for kept in ("young_request", "live_work", "young_tmp", "named"):
        assert Path(left[kept]).exists(), kept
    assert not rt.store.exists(str(left["orphan"]))
    assert rt.store.exists(str(left["young_orphan"]))
    for gone in ("archived_work_object", "unknown_work_object"):
        assert not rt.store.exists(str(left[gone])), gone
    for kept in ("failed_work_object", "live_work_object", "young_work_object"):
        assert rt.store.exists(str(left[kept])), kept
    with rt.db.session() as session:
        claims = {r.document_id for r in session.scalars(select(OriginalRecord))}
    assert claims == {
        left["doc"],
        *(d.split("/")[1] for d in (left["archived_work_object"], left["failed_work_object"])),
    }
    assert clean_leftovers(rt, grace=timedelta(hours=1)).to_dict() == dict.fromkeys(result.to_dict(), 0)


def test_the_grace_period_is_a_setting(quiet_runtime: Runtime, scan: Path) -> None:
    rt = quiet_runtime
    left = _leftovers(rt, scan)
    rt.settings.leftover_grace = 3 * 3600  # longer than the leftovers' two hours
    assert not any(clean_leftovers(rt).to_dict().values())
    assert Path(left["old_request"]).exists() and rt.store.exists(str(left["orphan"]))


def test_the_api_process_cleans_up_when_it_starts(settings: Settings, scan: Path, kept_umask: None) -> None:
    rt = open_runtime(settings, with_queue=False)
    try:
        left = _leftovers(rt, scan)
    finally:
        rt.close()
    with TestClient(create_app(settings)):
        for thread in threading.enumerate():
            if thread.name == "leftover-cleanup":
                thread.join(timeout=60)
    assert not Path(left["old_request"]).exists() and not Path(left["old_tmp"]).exists()
    assert Path(left["young_request"]).exists()
