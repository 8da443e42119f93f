"""Fixtures of the tests that take one action through every door (the API, the web pages, the CLI)
on one catalogue: the CLI on the test's data dir, people with a password and a token, and a sign-in."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sohoa.core.domain import Role
from sohoa.core.settings import Settings
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.accounts import create_token, create_user

PASSWORD = "mat-khau-dai-du-10"
LINES = ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "Số: 15/QĐ-SVHTTDL", "QUYẾT ĐỊNH", "Về việc cấp giấy phép karaoke"]


@pytest.fixture
def cli_on_data_dir(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI, run in this process, opens the test's data dir with the same fake OCR and no review."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SOHOA_OCR_ENGINE", "fake")
    monkeypatch.setenv("SOHOA_REVIEW_POLICY", "never")


def person(runtime: Runtime, name: str, role: Role) -> str:
    """A user who signs in to the web with ``PASSWORD``; the API token made for them."""
    with runtime.db.session() as session:
        user = create_user(session, name, role, actor="test", password=PASSWORD)
        return create_token(session, user, actor="test")


def web(client: TestClient, name: str) -> TestClient:
    """``client`` signed in as ``name`` through the sign-in form."""
    signed = client.post("/auth/login", data={"username": name, "password": PASSWORD}, follow_redirects=False)
    assert signed.status_code == 303
    return client
