"""An uploader's past batches with their progress, reachable after the upload tab was closed."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from sohoa.core.domain import DocumentState
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import create_batch
from tests.api.web.conftest import sign_in
from tests.registry.builders import add_document

S = DocumentState


def _batch(runtime: Runtime, actor: str, states: list[DocumentState], procedure: str = "1.001029") -> str:
    batch_id = str(uuid.uuid4())
    with runtime.db.session() as session:
        create_batch(session, batch_id=batch_id, actor=actor, procedure_code=procedure, dossier_code=None, source="web")
        session.flush()
        for state in states:
            add_document(session, dossier=None, state=state).batch_id = batch_id
    return batch_id


def _listed(page: str) -> list[str]:
    return re.findall(r'<tr data-batch="([0-9a-f-]{36})">', page)


def test_an_uploader_finds_their_batches_and_their_progress(client: TestClient, runtime: Runtime) -> None:
    done = _batch(runtime, "uploader", [S.ARCHIVED, S.REJECTED])
    running = _batch(runtime, "uploader", [S.ARCHIVED, S.OCR_DONE, S.RECEIVED, S.NEEDS_REVIEW])
    theirs = _batch(runtime, "reviewer", [S.ARCHIVED])
    sign_in(client, "uploader")
    upload = client.get("/upload").text
    assert 'href="/batches"' in upload  # reachable from the upload page's menu
    page = client.get("/batches").text
    assert _listed(page) == [running, done]  # newest first, their own only
    row = page.split(f'<tr data-batch="{running}">')[1].split("</tr>")[0]
    assert "2/4 văn bản đã xử lý xong" in row and "Đang xử lý" in row
    assert "Đã nhận dạng chữ" in row and "Chờ xem xét" in row
    assert '<meta http-equiv="refresh"' in page  # follows the batch still running
    api = client.get("/api/v1/batches").json()
    assert [b["batch_id"] for b in api["batches"]] == _listed(page)  # the same list as the API's

    one = client.get(f"/batches/{done}").text
    assert "2/2 văn bản đã xử lý xong" in one and "Bị từ chối" in one
    assert '<meta http-equiv="refresh"' not in one  # nothing left to follow
    assert client.get(f"/batches/{theirs}").status_code == 404
    assert "Không tìm thấy lô tải lên." in client.get(f"/batches/{theirs}").text


def test_records_staff_see_every_batch_with_who_uploaded_it(client: TestClient, runtime: Runtime) -> None:
    mine = _batch(runtime, "uploader", [S.ARCHIVED])
    other = _batch(runtime, "someone", [S.FAILED])
    sign_in(client, "archivist")
    page = client.get("/batches").text
    assert set(_listed(page)) == {mine, other}
    assert "<td>someone</td>" in page
    assert '<meta http-equiv="refresh"' not in page  # every document rests
    one = client.get(f"/batches/{other}").text
    assert "Lỗi xử lý" in one or "Xử lý lỗi" in one
    assert re.search(r'href="/documents/[0-9a-f-]{36}"', one)  # who may read documents can open them


def test_batches_are_paged(client: TestClient, runtime: Runtime) -> None:
    sign_in(client, "uploader")
    empty = client.get("/batches").text
    assert '<p class="alert ok" id="batch-count">Chưa có lô tải lên nào.</p>' in empty
    assert 'id="batch-table"' not in empty and 'class="pages"' not in empty
    ids = [_batch(runtime, "uploader", [S.ARCHIVED]) for _ in range(27)]
    sign_in(client, "uploader")
    first = client.get("/batches").text
    second = client.get("/batches", params={"page": 2}).text
    assert len(_listed(first)) == 25 and len(_listed(second)) == 2
    assert set(_listed(first)) | set(_listed(second)) == set(ids)
    assert '<p id="batch-count">27 lô.</p>' in first and 'href="/batches?page=2"' in first
    assert 'id="batch-table"' in second and 'href="/batches?page=1" rel="prev"' in second
