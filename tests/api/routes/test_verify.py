"""Verification over HTTP: uploaded PDFs and the archived copy of a document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sohoa.api.app import create_app
from sohoa.core.domain import SignRequest
from sohoa.pipeline.runtime import Runtime
from sohoa.signing.pades import sign_pdf
from sohoa.signing.verify import verify_pdf
from testkit.material import make_pdf
from tests.api.conftest import auth
from tests.support.flows import archive_one
from tests.support.pdfs import make_text_image, with_text_drawn

PROCEDURE = "1.001234.000.00.00.H19"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


@pytest.fixture
def signed(runtime: Runtime, tmp_path: Path) -> Path:
    """Signed by the runtime's own key (the development CA in embedded mode)."""
    out = tmp_path / "signed.pdf"
    sign_pdf(SignRequest(make_pdf(tmp_path / "in.pdf", pages=2), out), runtime.signer())
    return out


def _post(client: TestClient, token: str, path: Path, name: str = "hồ sơ.pdf"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/verify", headers=auth(token), files={"file": (name, path.read_bytes(), "application/pdf")}
    )


def test_upload_answers_the_same_report_as_the_cli(
    client: TestClient, tokens: dict[str, str], signed: Path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = _post(client, tokens["reviewer"], signed)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["valid"] is True and report["verdict"] == "valid_revocation_unknown"  # the development CA
    assert report["summary"] == "1 of 1 signature(s) valid; revocation not checked"
    assert report["path"] == "hồ sơ.pdf"

    for key in ("SOHOA_PKCS12_PATH", "SOHOA_PKCS11_MODULE", "SOHOA_TRUST_ROOTS", "SOHOA_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(runtime.settings.data_dir))
    from sohoa.cli.main import app

    done = CliRunner().invoke(app, ["verify", str(signed), "--json"])
    assert done.exit_code == 0, done.output
    cli_report = json.loads(done.output)
    assert {**cli_report, "path": report["path"]} == report


def test_byte_flipped_inside_the_signed_range_is_invalid(
    client: TestClient, tokens: dict[str, str], signed: Path, tmp_path: Path
) -> None:
    data = bytearray(signed.read_bytes())
    at = data.index(b"Giay phep so 12 - page 2")
    data[at] = ord("g")
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    report = _post(client, tokens["auditor"], tampered).json()
    [sig] = report["signatures"]
    assert report["valid"] is False and sig["intact"] is False and sig["problems"]


def test_page_content_added_after_signing_is_modified(
    client: TestClient, tokens: dict[str, str], signed: Path, tmp_path: Path
) -> None:
    changed = with_text_drawn(signed, tmp_path / "changed.pdf", "DA NOP")
    [sig] = _post(client, tokens["archivist"], changed).json()["signatures"]
    assert sig["intact"] is True and sig["modification"] == "other" and sig["valid"] is False


def test_bytes_appended_after_signing_make_the_upload_invalid(
    client: TestClient, tokens: dict[str, str], signed: Path, tmp_path: Path
) -> None:
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(signed.read_bytes() + b"\n% not signed by anyone\n")
    answer = _post(client, tokens["auditor"], appended)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    [sig] = report["signatures"]
    assert report["valid"] is False and report["trailing_bytes"] > 0
    assert sig["intact"] is True and sig["signature_valid"] is True and sig["valid"] is False
    assert "bytes_after_last_revision" in sig["problem_codes"]


def test_unsigned_and_unreadable_uploads(client: TestClient, tokens: dict[str, str], tmp_path: Path) -> None:
    report = _post(client, tokens["reviewer"], make_pdf(tmp_path / "plain.pdf")).json()
    assert report["summary"] == "no signature" and report["signed"] is False and report["valid"] is False
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\nnot really\n")
    refused = _post(client, tokens["reviewer"], garbage)
    assert refused.status_code == 422 and refused.json()["code"] == "unreadable_pdf"
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert _post(client, tokens["reviewer"], empty).json()["code"] == "empty_file"


def test_upload_needs_a_reading_role(client: TestClient, tokens: dict[str, str], signed: Path) -> None:
    assert _post(client, tokens["metrics"], signed).status_code == 403
    no_token = client.post("/api/v1/verify", files={"file": ("a.pdf", signed.read_bytes(), "application/pdf")})
    assert no_token.status_code == 401


def test_document_verification_is_stored_and_refreshed(
    client: TestClient, tokens: dict[str, str], runtime: Runtime, tmp_path: Path
) -> None:
    scan = make_text_image(tmp_path / "scan.png", ["QUYẾT ĐỊNH", "Về việc cấp giấy phép"])
    doc = archive_one(runtime, scan, procedure_code=PROCEDURE)
    doc_id = doc.id

    url = f"/api/v1/documents/{doc_id}/verification"
    first = client.get(url, headers=auth(tokens["auditor"]))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["valid"] is True and body["archive_key"] == doc.archive_key == body["path"]
    assert body["archive_sha256"] == doc.archive_sha256 and body["checked_by"] == "u-auditor"
    again = client.get(url, headers=auth(tokens["reviewer"])).json()
    assert again == body  # the stored result, not a new check
    fresh = client.get(url, params={"refresh": "true"}, headers=auth(tokens["reviewer"])).json()
    assert fresh["checked_by"] == "u-reviewer" and fresh["checked_at"] >= body["checked_at"]
    assert client.get(url, headers=auth(tokens["reviewer"])).json() == fresh

    missing = client.get("/api/v1/documents/no-such-id/verification", headers=auth(tokens["auditor"]))
    assert missing.status_code == 404
    assert client.get(url, headers=auth(tokens["metrics"])).status_code == 403


def test_stored_report_matches_a_direct_verification(
    client: TestClient, tokens: dict[str, str], runtime: Runtime, tmp_path: Path
) -> None:
    scan = make_text_image(tmp_path / "scan.png", ["GIẤY PHÉP", "Kinh doanh dịch vụ karaoke"])
    doc = archive_one(runtime, scan, procedure_code=PROCEDURE)
    body = client.get(f"/api/v1/documents/{doc.id}/verification", headers=auth(tokens["archivist"])).json()
    key = doc.archive_key
    assert key is not None
    copy = tmp_path / "copy.pdf"
    runtime.store.get_file(key, copy)
    direct = verify_pdf(copy, trust_roots=[runtime.signer().development_root]).to_dict()
    assert body["signatures"] == direct["signatures"]
