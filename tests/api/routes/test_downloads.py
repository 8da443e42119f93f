"""Downloads are named after the document: ``{number_symbol or type}_{dossier}.pdf``, Vietnamese kept."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from fastapi.testclient import TestClient

from sohoa.api.app import create_app
from sohoa.core.domain import Role
from sohoa.pipeline.actions.documents import download_name
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.accounts import create_token, create_user
from sohoa.storage.records import DocumentRecord
from tests.support.codes import DOSSIER
from tests.support.flows import archive_one
from tests.support.pdfs import make_text_image


def test_names_keep_vietnamese_and_replace_path_characters() -> None:
    doc = DocumentRecord(
        id="0123abcd-0000",
        filename="scan.png",
        original_kind="png",
        dossier_code="000.00.32.H19-250312-0017",
        metadata_json={"number_symbol": "12/2025/QĐ-UBND", "document_type": "Quyết định"},
    )
    assert download_name(doc, "signed") == "12-2025-QĐ-UBND_000.00.32.H19-250312-0017.pdf"
    assert download_name(doc, "original") == "12-2025-QĐ-UBND_000.00.32.H19-250312-0017_ban-goc.png"
    typed = DocumentRecord(id="0123abcd-0000", filename="a.pdf", metadata_json={"document_type": "Giấy  phép: A\\B"})
    assert download_name(typed, "signed") == "Giấy-phép-A-B_0123abcd.pdf"


def test_the_api_download_carries_the_name(runtime: Runtime, tmp_path: Path) -> None:
    doc = archive_one(runtime, make_text_image(tmp_path / "scan.png", ["Số: 15/QĐ-SVHTTDL"]), dossier_code=DOSSIER)
    with runtime.db.session() as session:
        token = create_token(session, create_user(session, "minh", Role.ARCHIVIST, actor="test"), actor="test")
    with TestClient(create_app(runtime=runtime)) as client:
        answer = client.get(f"/api/v1/documents/{doc.id}/file", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    disposition = answer.headers["content-disposition"]
    wanted = download_name(doc, "signed")
    assert wanted.endswith(f"_{DOSSIER}.pdf") and doc.id not in wanted
    assert disposition.startswith('attachment; filename="')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == wanted
    assert disposition.encode("latin-1")  # the header itself stays within what HTTP carries
