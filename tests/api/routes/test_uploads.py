from __future__ import annotations

import errno
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sohoa.api.app import create_app
from sohoa.pipeline.runtime import Runtime
from sohoa.signing.verify import verify_pdf
from sohoa.storage.catalogue import DocumentFilter, get_document, list_documents
from tests.api.conftest import auth, give_password, sign_in
from tests.support.codes import SECOND_PROCEDURE as PROCEDURE
from tests.support.pdfs import make_text_image


def _scan(tmp_path: Path, name: str = "kq.png", text: str = "Giấy phép kinh doanh karaoke") -> Path:
    return make_text_image(tmp_path / name, ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", text])


def test_upload_requires_a_token(client: TestClient, tmp_path: Path) -> None:
    with _scan(tmp_path).open("rb") as fh:
        answer = client.post("/api/v1/uploads", files=[("files", ("a.png", fh))], data={"procedure_code": PROCEDURE})
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthenticated"
    answer = client.get("/api/v1/documents", headers=auth("sohoa_not-a-real-token"))
    assert answer.status_code == 401 and answer.json()["code"] == "invalid_token"


def test_upload_sign_archive_and_download_over_http(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    scan = _scan(tmp_path)
    with scan.open("rb") as fh, (tmp_path / "junk.pdf").open("wb+") as junk:
        junk.write(b"%PDF-1.7\n garbage that ends early")
        junk.seek(0)
        answer = client.post(
            "/api/v1/uploads",
            headers=auth(tokens["uploader"]),
            files=[("files", ("kq.png", fh)), ("files", ("junk.pdf", junk))],
            data={"procedure_code": PROCEDURE, "dossier_code": "000.00.32.H19-250312-0017"},
        )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert [d["filename"] for d in body["documents"]] == ["kq.png"]
    assert body["documents"][0]["duplicate_of"] is None
    assert [r["filename"] for r in body["rejected"]] == ["junk.pdf"]
    assert body["rejected"][0]["code"] in {"damaged_pdf", "truncated_file"}
    runtime.queue.join()  # type: ignore[union-attr]

    batch = client.get(f"/api/v1/batches/{body['batch_id']}", headers=auth(tokens["uploader"])).json()
    assert {d["filename"]: d["state"] for d in batch["documents"]} == {"kq.png": "archived", "junk.pdf": "rejected"}

    doc_id = body["documents"][0]["id"]
    listing = client.get(
        "/api/v1/documents",
        params={"procedure_code": "1.001029", "state": "archived"},
        headers=auth(tokens["archivist"]),
    )
    assert listing.status_code == 200
    assert [d["id"] for d in listing.json()["documents"]] == [doc_id]

    signed = client.get(f"/api/v1/documents/{doc_id}/file", headers=auth(tokens["archivist"]))
    assert signed.status_code == 200 and signed.headers["content-type"] == "application/pdf"
    (tmp_path / "dl.pdf").write_bytes(signed.content)
    report = verify_pdf(tmp_path / "dl.pdf", trust_roots=[runtime.signer().development_root])
    assert [s.intact and s.trusted for s in report.signatures] == [True]

    original = client.get(f"/api/v1/documents/{doc_id}/original", headers=auth(tokens["archivist"]))
    assert original.content == scan.read_bytes()

    events = client.get(f"/api/v1/documents/{doc_id}/events", headers=auth(tokens["auditor"])).json()
    downloads = [e for e in events if e["action"].startswith("download.")]
    assert [(e["actor"], e["action"]) for e in downloads] == [
        ("u-archivist", "download.signed"),
        ("u-archivist", "download.original"),
    ]


def test_duplicate_upload_names_the_existing_document(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    scan = _scan(tmp_path)
    ids = []
    for _ in range(2):
        with scan.open("rb") as fh:
            answer = client.post(
                "/api/v1/uploads",
                headers=auth(tokens["uploader"]),
                files=[("files", ("kq.png", fh))],
                data={"procedure_code": PROCEDURE},
            )
        ids.append(answer.json()["documents"][0])
    runtime.queue.join()  # type: ignore[union-attr]
    assert ids[1]["duplicate_of"] == ids[0]["id"] and ids[1]["id"] == ids[0]["id"]
    listing = client.get("/api/v1/documents", headers=auth(tokens["admin"])).json()
    assert listing["total"] == 1


def test_invalid_procedure_code_is_a_422_with_a_reason(
    client: TestClient, tokens: dict[str, str], tmp_path: Path
) -> None:
    with _scan(tmp_path).open("rb") as fh:
        answer = client.post(
            "/api/v1/uploads",
            headers=auth(tokens["uploader"]),
            files=[("files", ("a.png", fh))],
            data={"procedure_code": "thủ tục 1"},
        )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_procedure_code"
    assert "procedure code" in answer.json()["message"]


def test_codes_typed_in_full_width_digits_are_filed_as_the_portal_issues_them(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    # An input method or text copied out of a PDF gives １.００１２３４: filed under 1.001234, or search misses it.
    wide = PROCEDURE.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert wide != PROCEDURE
    with _scan(tmp_path).open("rb") as fh:
        answer = client.post(
            "/api/v1/uploads",
            headers=auth(tokens["uploader"]),
            files=[("files", ("a.png", fh))],
            data={"procedure_code": wide},
        )
    assert answer.status_code == 201, answer.text
    with runtime.db.session() as session:
        assert get_document(session, answer.json()["documents"][0]["id"]).procedure_code == PROCEDURE
    found = client.get("/api/v1/search", params={"procedure_code": wide}, headers=auth(tokens["admin"])).json()
    assert [hit["id"] for hit in found["results"]] == [answer.json()["documents"][0]["id"]]
    with _scan(tmp_path, "b.png", "khác").open("rb") as fh:
        arabic = client.post(
            "/api/v1/uploads",
            headers=auth(tokens["uploader"]),
            files=[("files", ("b.png", fh))],
            data={"procedure_code": "١.٠٠١٢٣٤"},  # other scripts' digits are no code the portal issues
        )
    assert arabic.status_code == 422 and arabic.json()["code"] == "invalid_procedure_code"


def test_roles_are_enforced_and_refusals_audited(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    assert client.get("/api/v1/documents", headers=auth(tokens["uploader"])).status_code == 403
    assert client.get("/api/v1/documents", headers=auth(tokens["metrics"])).status_code == 403
    for role in ("archivist", "auditor", "reviewer", "admin"):
        assert client.get("/api/v1/documents", headers=auth(tokens[role])).status_code == 200
    with (Path(__file__)).open("rb") as fh:
        answer = client.post(
            "/api/v1/uploads",
            headers=auth(tokens["archivist"]),
            files=[("files", ("x.png", fh))],
            data={"procedure_code": PROCEDURE},
        )
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    from sqlalchemy import select

    from sohoa.storage.records import EventRecord

    with runtime.db.session() as session:
        denied = list(session.scalars(select(EventRecord).where(EventRecord.action == "access.denied")))
    assert {e.actor for e in denied} == {"u-uploader", "u-metrics", "u-archivist"}


def _limited_client(runtime: Runtime, **limits: int) -> TestClient:
    return TestClient(create_app(runtime.settings.model_copy(update=limits), runtime=runtime))


def _pngs(tmp_path: Path, count: int) -> list[Path]:
    return [_scan(tmp_path, f"s{n}.png", f"Giấy phép số {n}") for n in range(count)]


def _post_scans(client: TestClient, token: str, *scans: Path) -> Any:
    """One upload request of ``scans`` for ``PROCEDURE``."""
    return client.post(
        "/api/v1/uploads",
        headers=auth(token),
        files=[("files", (s.name, s.read_bytes())) for s in scans],
        data={"procedure_code": PROCEDURE},
    )


def test_many_files_and_a_zip_in_one_request(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    scans = _pngs(tmp_path, 4)
    archive = tmp_path / "ho-so.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for scan in scans[2:]:
            zf.write(scan, f"trong-zip/{scan.name}")
    files = [("files", (s.name, s.read_bytes(), "image/png")) for s in scans[:2]]
    files.append(("files", ("ho-so.zip", archive.read_bytes(), "application/zip")))
    files.append(("files", ("rỗng.pdf", b"", "application/pdf")))
    answer = client.post(
        "/api/v1/uploads", headers=auth(tokens["uploader"]), files=files, data={"procedure_code": PROCEDURE}
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert sorted(d["filename"] for d in body["documents"]) == [
        "ho-so.zip/trong-zip/s2.png",
        "ho-so.zip/trong-zip/s3.png",
        "s0.png",
        "s1.png",
    ]
    [refused] = body["rejected"]
    # The answer's four keys, whatever intake keeps of the error: clients read them.
    assert refused == {
        "filename": "rỗng.pdf",
        "code": "empty_file",
        "message": "the file is empty (0 bytes)",
        "document_id": refused["document_id"],
    }
    with runtime.db.session() as session:
        assert get_document(session, refused["document_id"]).state == "rejected"
        for doc in body["documents"]:
            key = get_document(session, doc["id"]).original_key
            assert key is not None and runtime.store.stat(key).size > 0  # stored before the answer


def test_request_larger_than_the_limit_is_a_413(runtime: Runtime, tokens: dict[str, str], tmp_path: Path) -> None:
    scans = _pngs(tmp_path, 2)
    size = sum(s.stat().st_size for s in scans)
    with _limited_client(runtime, max_request_bytes=size // 2) as client:
        answer = _post_scans(client, tokens["uploader"], *scans)
    assert answer.status_code == 413
    assert answer.json()["code"] == "request_too_large"
    assert answer.json()["details"] == {"max_request_bytes": size // 2}
    with runtime.db.session() as session:
        assert list_documents(session, DocumentFilter())[1] == 0


def test_streamed_request_without_a_length_is_cut_at_the_limit(runtime: Runtime, tokens: dict[str, str]) -> None:
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="procedure_code"\r\n\r\n{PROCEDURE}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.pdf"\r\n\r\n'
    ).encode()

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(64):  # 4 MiB, never ending with a closing boundary
            yield b"%" * 65536

    with _limited_client(runtime, max_request_bytes=1024 * 1024) as client:
        answer = client.post(
            "/api/v1/uploads",
            headers={**auth(tokens["uploader"]), "Content-Type": f"multipart/form-data; boundary={boundary}"},
            content=chunks(),
        )
    assert answer.status_code == 413 and answer.json()["code"] == "request_too_large"


def test_too_many_files_is_a_413_with_the_limit(runtime: Runtime, tokens: dict[str, str], tmp_path: Path) -> None:
    scans = _pngs(tmp_path, 3)
    with _limited_client(runtime, max_files_per_upload=2) as client:
        answer = _post_scans(client, tokens["uploader"], *scans)
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_many_files" and answer.json()["details"] == {"max_files": 2}


def test_a_file_over_the_size_limit_is_refused_alone(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    small, big = _pngs(tmp_path, 2)
    runtime.settings.max_file_bytes = small.stat().st_size
    big.write_bytes(big.read_bytes() + b"\0" * 4096)
    answer = _post_scans(client, tokens["uploader"], big, small)
    assert answer.status_code == 201
    body = answer.json()
    assert [d["filename"] for d in body["documents"]] == [small.name]
    assert [(r["filename"], r["code"]) for r in body["rejected"]] == [(big.name, "file_too_large")]


@pytest.mark.parametrize(
    ("content_type", "body", "code"),
    [
        ("application/json", b"{}", "not_multipart"),
        (
            "multipart/form-data; boundary=xx",
            b"--xx\r\nContent-Disposition: form-data; name=a\r\n\r\nv",
            "invalid_multipart",
        ),
        (
            "multipart/form-data; boundary=xx",
            f"--xx\r\nContent-Disposition: form-data; name=procedure_code\r\n\r\n{PROCEDURE}\r\n--xx--\r\n".encode(),
            "no_files",
        ),
    ],
)
def test_malformed_uploads_are_422(
    client: TestClient, tokens: dict[str, str], content_type: str, body: bytes, code: str
) -> None:
    answer = client.post(
        "/api/v1/uploads", headers={**auth(tokens["uploader"]), "Content-Type": content_type}, content=body
    )
    assert answer.status_code == 422 and answer.json()["code"] == code


def test_signed_in_browser_uploads_with_the_csrf_field(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    give_password(runtime, "u-uploader")
    csrf = sign_in(client, "u-uploader")
    scan = _scan(tmp_path)
    files = [("files", (scan.name, scan.read_bytes()))]
    refused = client.post("/api/v1/uploads", files=files, data={"procedure_code": PROCEDURE})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    done = client.post("/api/v1/uploads", files=files, data={"procedure_code": PROCEDURE, "csrf_token": csrf})
    assert done.status_code == 201 and len(done.json()["documents"]) == 1
    by_header = client.post(
        "/api/v1/uploads", files=files, data={"procedure_code": PROCEDURE}, headers={"X-CSRF-Token": csrf}
    )
    assert by_header.status_code == 201 and by_header.json()["documents"][0]["duplicate_of"] is not None


def _no_space(*_args: object, **_kwargs: object) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["sohoa.pipeline.intake.spool", "sohoa.storage.localstore.copy_hashing"])
def test_a_full_disk_is_a_retryable_507_and_the_retry_succeeds(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path, monkeypatch, where: str
) -> None:
    scan = _scan(tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(where, _no_space)
        answer = _post_scans(client, tokens["uploader"], scan)
    assert answer.status_code == 507, answer.text
    assert answer.json()["code"] == "insufficient_storage"
    retried = _post_scans(client, tokens["uploader"], scan)  # space is back: nothing left blocks the file
    assert retried.status_code == 201, retried.text
    [doc] = retried.json()["documents"]
    assert doc["duplicate_of"] is None and not retried.json()["rejected"]


def test_uploads_are_refused_below_the_free_space_floor(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    runtime.settings.min_free_mb = shutil.disk_usage(runtime.settings.data_dir).free // 2**20 + 10_000
    answer = _post_scans(client, tokens["uploader"], _scan(tmp_path))
    assert answer.status_code == 507
    body = answer.json()
    assert body["code"] == "insufficient_storage" and body["details"]["min_free_mb"] == runtime.settings.min_free_mb
    with runtime.db.session() as session:
        assert list_documents(session, DocumentFilter())[1] == 0
