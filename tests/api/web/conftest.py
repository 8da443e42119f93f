"""Fixtures of the web interface's page tests: an office with data, the app with the pages installed,
and the browser of the end-to-end tests.

``office`` is built once per session (signing makes a development CA, which takes a while): a
procedure catalogue, a register, users of every role, and documents in the states pages show.
Tests on it only read; tests that change data use ``runtime`` (a fresh, empty data dir).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sohoa.api.app import create_app
from sohoa.core.domain import Role
from sohoa.core.settings import Settings
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.queue import InProcessQueue
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.registry.procedures import import_procedures
from sohoa.registry.register import import_register
from sohoa.registry.sources import SourceFormat
from sohoa.storage.accounts import create_user
from sohoa.storage.catalogue import get_document
from tests.api.web.browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, need_browser
from tests.api.web.scans import decision_lines, make_scan
from tests.support.codes import SECOND_PROCEDURE, short_code

PROCEDURE = short_code(SECOND_PROCEDURE)
DOSSIERS = ("000.00.32.H19-250305-0011", "000.00.32.H19-250306-0012", "000.00.32.H19-250307-0013")
MISSING_DOSSIER = "000.00.32.H19-250310-0021"
CATALOGUE = (
    "code,name,field,agency\n"
    f"{PROCEDURE},Cấp giấy phép kinh doanh dịch vụ karaoke,Văn hóa,Sở Văn hóa\n"
    "1.003645,Cấp giấy phép tổ chức lễ hội,Văn hóa,Sở Văn hóa\n"
)
REGISTER = (
    "dossier_code,procedure_code,procedure_name,field,received_date,resolved_date,result_type\n"
    + "".join(f"{code},{PROCEDURE},,,2025-03-0{i + 1},2025-03-1{i + 1},paper\n" for i, code in enumerate(DOSSIERS))
    + f"{MISSING_DOSSIER},1.003645,,,2025-03-03,2025-03-20,paper\n"
)


@dataclass(frozen=True)
class Office:
    runtime: Runtime
    archived: tuple[str, ...]  # document ids, signed and archived
    waiting: str  # a document waiting for review (its signer was not read)
    refused: str  # a document refused at intake


def _users(rt: Runtime, roles: tuple[Role, ...] = tuple(Role)) -> None:
    with rt.db.session() as session:
        for role in roles:
            create_user(session, role.value, role, actor="test", password=PASSWORD)


@pytest.fixture(scope="session")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    with pytest.MonkeyPatch.context() as env:
        for key in ("SOHOA_DATABASE_URL", "SOHOA_S3_ENDPOINT", "SOHOA_BROKER_URL", "SOHOA_PKCS12_PATH"):
            env.delenv(key, raising=False)
        root = tmp_path_factory.mktemp("office")
        settings = Settings(
            data_dir=root / "var",
            review_policy="auto",
            ocr_engine="tests.api.web.engines:qr_text_engine",
            ocr_processes=1,
        )
        rt = open_runtime(settings)
        try:
            _users(rt)
            with rt.db.session() as session:
                import_procedures(session, CATALOGUE.encode(), SourceFormat.CSV, actor="test")
                import_register(session, REGISTER.encode(), SourceFormat.CSV, actor="test")
            scans = [
                make_scan(root / "qd-11.png", decision_lines(11, "Về việc cấp phép karaoke", signer="Lê Văn Tám")),
                make_scan(
                    root / "qd-12.png",
                    decision_lines(12, "Về việc cấp phép tại phường Tân Phong", signer="Trần Thị Bình"),
                ),
                make_scan(root / "qd-13.png", decision_lines(13, "Về việc cấp phép karaoke", signer=None)),
            ]
            (root / "hong.pdf").write_bytes(b"%PDF-1.7\n garbage that ends early")
            ids = []
            for scan, dossier in zip(scans, DOSSIERS, strict=True):
                accepted = accept_paths(rt, [scan], procedure_code=PROCEDURE, dossier_code=dossier, actor="lan")
                ids.append(accepted.documents[0].id)
            refused = accept_paths(rt, [root / "hong.pdf"], procedure_code=PROCEDURE, actor="lan").rejected[0]
            assert isinstance(rt.queue, InProcessQueue)
            rt.queue.join()
            with rt.db.session() as session:
                states = [get_document(session, doc_id).state for doc_id in ids]
            assert states == ["archived", "archived", "needs_review"], states
            assert refused.document_id is not None
            yield Office(rt, (ids[0], ids[1]), ids[2], refused.document_id)
        finally:
            rt.close()


def _app(rt: Runtime) -> FastAPI:
    return create_app(runtime=rt)


@pytest.fixture(scope="session")
def office_app(office: Office) -> FastAPI:
    return _app(office.runtime)


@pytest.fixture
def browser_client(office_app: FastAPI) -> Iterator[TestClient]:
    """A client of the office's app with its own cookies, signed out."""
    with TestClient(office_app) as test_client:
        yield test_client


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    """The suite's runtime with the web's users (password hashing is slow on purpose: three only)."""
    _users(runtime, (Role.ARCHIVIST, Role.UPLOADER, Role.REVIEWER))
    return runtime


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(_app(runtime)) as test_client:
        yield test_client


def sign_in(client: TestClient, name: str, *, lang: str | None = None) -> TestClient:
    """Sign ``client`` in through the sign-in form, as a browser does; users are named after roles."""
    answer = client.post(
        "/auth/login", data={"username": name, "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    assert client.cookies.get("sohoa_session") and client.cookies.get("sohoa_csrf")
    if lang is not None:
        client.cookies.set("sohoa_lang", lang)
    return client


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for a module's end-to-end tests; each signs its users in with ``browser.signed_in``."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
