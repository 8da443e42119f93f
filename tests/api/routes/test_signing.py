from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from sohoa.pipeline.runtime import Runtime
from tests.api.conftest import auth


def test_signing_status_of_the_development_ca(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    answer = client.get("/api/v1/signing/status", headers=auth(tokens["signer_admin"]))
    assert answer.status_code == 200
    body = answer.json()
    cert = runtime.signer().certificate
    assert body["available"] is True
    assert body["subject"] == cert.subject.human_friendly and body["issuer"] == cert.issuer.human_friendly
    assert body["level"] == runtime.settings.signing_level
    assert 300 < body["days_left"] <= 3660
    assert not [w for w in body["warnings"] if w["fatal"]]
    assert client.get("/api/v1/signing/status", headers=auth(tokens["auditor"])).status_code == 200
    assert client.get("/api/v1/signing/status", headers=auth(tokens["uploader"])).status_code == 403


def test_a_key_that_cannot_be_opened_is_a_fatal_warning(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    runtime.settings.pkcs12_path = tmp_path / "gone.p12"
    body = client.get("/api/v1/signing/status", headers=auth(tokens["signer_admin"])).json()
    assert body["available"] is False and body["days_left"] is None
    assert [(w["code"], w["fatal"]) for w in body["warnings"]] == [("signer_unavailable", True)]
