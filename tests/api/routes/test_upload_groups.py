"""The API's ``group`` and ``zip_folders`` fields: several files uploaded as one document."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pdfplumber
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document
from sohoa.storage.records import DocumentRecord
from tests.api.conftest import auth
from tests.support.codes import SECOND_PROCEDURE as PROCEDURE
from tests.support.pdfs import make_text_image


def _page(tmp_path: Path, name: str) -> tuple[str, tuple[str, bytes]]:
    path = make_text_image(tmp_path / name, [f"Trang {name}"])
    return ("files", (name, path.read_bytes()))


def _documents(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(DocumentRecord)) or 0)


def test_a_group_of_three_images_is_one_archived_document(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    names = ["hs_p1.png", "hs_p2.png", "hs_p3.png", "rieng.png"]
    answer = client.post(
        "/api/v1/uploads",
        headers=auth(tokens["uploader"]),
        files=[_page(tmp_path, n) for n in names],
        data={"procedure_code": PROCEDURE, "group": json.dumps([["hs_p2.png", "hs_p1.png", "hs_p3.png"]])},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    by_name = {d["filename"]: d for d in body["documents"]}
    assert set(by_name) == {"hs_p2.png (+2)", "rieng.png"}
    assert by_name["hs_p2.png (+2)"]["parts"] == ["hs_p2.png", "hs_p1.png", "hs_p3.png"]
    assert by_name["rieng.png"]["parts"] == []
    runtime.queue.join()  # type: ignore[union-attr]
    with runtime.db.session() as session:
        doc = get_document(session, by_name["hs_p2.png (+2)"]["id"])
    assert doc.state == "archived" and doc.page_count == 3
    pdf_answer = client.get(f"/api/v1/documents/{doc.id}/file", headers=auth(tokens["archivist"]))
    assert pdf_answer.status_code == 200
    with pdfplumber.open(io.BytesIO(pdf_answer.content)) as pdf:
        assert len(pdf.pages) == 3


def test_a_plain_list_of_names_is_one_group(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    answer = client.post(
        "/api/v1/uploads",
        headers=auth(tokens["uploader"]),
        files=[_page(tmp_path, "a.png"), _page(tmp_path, "b.png")],
        data={"procedure_code": PROCEDURE, "group": '["a.png", "b.png"]'},
    )
    assert answer.status_code == 201, answer.text
    assert [d["parts"] for d in answer.json()["documents"]] == [["a.png", "b.png"]]


def test_unknown_names_and_bad_shapes_are_refused_with_a_reason_and_nothing_stored(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    files = [_page(tmp_path, "a.png"), _page(tmp_path, "b.png")]
    cases = [
        ('[["a.png", "c.png"]]', "group_unknown_file"),
        ('[["a.png"], ["a.png", "b.png"]]', "group_file_repeated"),
        ("not json", "invalid_request"),
        ('{"a.png": 1}', "invalid_request"),
        ("[[1, 2]]", "invalid_request"),
    ]
    for value, code in cases:
        answer = client.post(
            "/api/v1/uploads",
            headers=auth(tokens["uploader"]),
            files=files,
            data={"procedure_code": PROCEDURE, "group": value},
        )
        assert answer.status_code == 422, (value, answer.text)
        assert answer.json()["code"] == code, value
    unknown = client.post(
        "/api/v1/uploads",
        headers=auth(tokens["uploader"]),
        files=files,
        data={"procedure_code": PROCEDURE, "group": '[["a.png", "c.png"]]'},
    )
    assert unknown.json()["details"] == {"names": ["c.png"]}
    assert _documents(runtime) == 0


def test_zip_folders_make_one_document_each(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder in ("hs-1", "hs-2"):
            for n in (2, 1):
                archive.writestr(f"{folder}/trang-{n}.png", _page(tmp_path, f"{folder}-{n}.png")[1][1])
    answer = client.post(
        "/api/v1/uploads",
        headers=auth(tokens["uploader"]),
        files=[("files", ("lo.zip", buffer.getvalue()))],
        data={"procedure_code": PROCEDURE, "zip_folders": "true"},
    )
    assert answer.status_code == 201, answer.text
    documents = answer.json()["documents"]
    assert [(d["filename"], d["parts"]) for d in documents] == [
        ("lo.zip/hs-1", ["lo.zip/hs-1/trang-1.png", "lo.zip/hs-1/trang-2.png"]),
        ("lo.zip/hs-2", ["lo.zip/hs-2/trang-1.png", "lo.zip/hs-2/trang-2.png"]),
    ]
    # Without the flag each file is taken alone: each is a page the documents above already hold.
    plain = client.post(
        "/api/v1/uploads",
        headers=auth(tokens["uploader"]),
        files=[("files", ("lo.zip", buffer.getvalue()))],
        data={"procedure_code": PROCEDURE},
    )
    holders = [d["duplicate_of"] for d in plain.json()["documents"]]
    assert len(holders) == 4 and set(holders) == {d["id"] for d in documents}


def test_the_original_of_a_joined_document_is_its_files_in_page_order(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    sent = [_page(tmp_path, n) for n in ("b_p1.png", "b_p2.png", "b_p3.png")]
    answer = client.post(
        "/api/v1/uploads",
        headers=auth(tokens["uploader"]),
        files=sent,
        data={"procedure_code": PROCEDURE, "group": '["b_p1.png", "b_p2.png", "b_p3.png"]'},
    )
    [document] = answer.json()["documents"]
    runtime.queue.join()  # type: ignore[union-attr]
    original = client.get(f"/api/v1/documents/{document['id']}/original", headers=auth(tokens["archivist"]))
    assert original.status_code == 200, original.text
    assert original.headers["content-type"] == "application/zip"
    assert original.headers["content-disposition"].split("filename*=UTF-8''")[1].endswith("_ban-goc.zip")
    assert int(original.headers["content-length"]) == len(original.content)
    with zipfile.ZipFile(io.BytesIO(original.content)) as archive:
        assert archive.namelist() == ["001_b_p1.png", "002_b_p2.png", "003_b_p3.png"]
        assert [archive.read(n) for n in archive.namelist()] == [content for _, (_, content) in sent]
    assert not list((runtime.settings.work_dir / "downloads").iterdir())  # the zip made for it is gone
