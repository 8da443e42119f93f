from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from pipeline.runtime import Runtime
from signing.verify import verify_pdf
from tests.api.conftest import auth
from tests.support.pdfs import make_text_image

PROCEDURE = "1.001029.000.00.00.H19"


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

    from storage.records import EventRecord

    with runtime.db.session() as session:
        denied = list(session.scalars(select(EventRecord).where(EventRecord.action == "access.denied")))
    assert {e.actor for e in denied} == {"u-uploader", "u-metrics", "u-archivist"}


def test_health_is_open(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "object_store": "ok"}
