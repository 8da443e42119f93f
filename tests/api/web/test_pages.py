"""Every page, in both languages: renders, is accessible (every control labelled), fully translated."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from sohoa.api.web.i18n import LANGUAGES
from sohoa.api.web.rendering import PAGE_HEADERS
from tests.api.web.conftest import PROCEDURE, Office, sign_in
from tests.api.web.html import read_page


def _pages(office: Office) -> list[str]:
    doc = office.archived[1]
    return [
        "/upload",
        "/review",
        f"/review/{office.waiting}",
        f"/review/{doc}",
        "/search",
        f"/search?procedure_code={PROCEDURE}",
        "/search?text=tan+phong",
        "/search?issued_from=not-a-date&text=x",
        f"/documents/{doc}",
        f"/documents/{office.refused}",
        f"/documents/{office.waiting}",
        "/dashboard?period=2025-03",
        "/dashboard?period=2025-Q9",
        "/registry",
        "/coversheets",
        "/account",
        "/documents/no-such-document",
        "/batches",
        "/admin/users",
        "/admin/audit?actor=lan&since=01/01/2025",
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_renders_labelled_and_translated(
    browser_client: TestClient, office: Office, lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    sign_in(browser_client, "admin", lang=lang)
    caplog.set_level(logging.WARNING, logger="sohoa.api.web.i18n")
    for path in _pages(office):
        answer = browser_client.get(path)
        assert answer.status_code == (404 if "no-such" in path else 200), (path, answer.text[:500])
        assert answer.headers["content-type"].startswith("text/html")
        for header, value in PAGE_HEADERS.items():
            assert answer.headers[header] == value
        page = read_page(answer.text)
        assert page.lang == lang, path
        assert page.unlabelled() == [], path
        assert page.raw_keys() == [], path
    assert [r.getMessage() for r in caplog.records] == []


def test_signed_out_pages_send_to_sign_in_and_come_back(browser_client: TestClient, office: Office) -> None:
    for path in ("/upload", "/review", f"/documents/{office.archived[0]}", "/dashboard?period=2025-03"):
        answer = browser_client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=/")
    answer = browser_client.get("/dashboard?period=2025-03", follow_redirects=False)
    assert answer.headers["location"] == "/login?next=/dashboard%3Fperiod%3D2025-03"
    page = browser_client.get(answer.headers["location"])
    assert 'name="next" value="/dashboard?period=2025-03"' in page.text


def test_the_menu_and_the_start_page_follow_the_role(browser_client: TestClient) -> None:
    sign_in(browser_client, "uploader")
    assert browser_client.get("/", follow_redirects=False).headers["location"] == "/upload"
    page = browser_client.get("/upload").text
    assert 'href="/upload" aria-current="page"' in page
    for hidden in ('href="/review"', 'href="/search"', 'href="/dashboard"', 'href="/registry"'):
        assert hidden not in page


@pytest.mark.parametrize(
    ("role", "home"),
    [("reviewer", "/review"), ("archivist", "/search"), ("auditor", "/search"), ("admin", "/dashboard")],
)
def test_start_pages(browser_client: TestClient, role: str, home: str) -> None:
    sign_in(browser_client, role)
    assert browser_client.get("/", follow_redirects=False).headers["location"] == home


def test_a_page_outside_the_role_is_refused_in_words_and_audited(browser_client: TestClient, office: Office) -> None:
    from sqlalchemy import select

    from sohoa.storage.records import EventRecord

    sign_in(browser_client, "uploader")
    answer = browser_client.get("/dashboard")
    assert answer.status_code == 403
    assert "Tài khoản của bạn không có quyền xem trang này." in answer.text
    assert 'href="/upload"' in answer.text  # the menu is still there to go back
    with office.runtime.db.session() as session:
        denied = session.scalars(
            select(EventRecord).where(EventRecord.action == "access.denied", EventRecord.actor == "uploader")
        ).all()
    assert any(e.details and e.details.get("path") == "/dashboard" for e in denied)


def test_metrics_role_has_an_account_page_and_nothing_else(browser_client: TestClient) -> None:
    sign_in(browser_client, "metrics")
    assert browser_client.get("/", follow_redirects=False).headers["location"] == "/account"
    page = browser_client.get("/account").text
    assert "Giám sát hệ thống" in page and "Đọc số liệu vận hành" in page
    assert browser_client.get("/search").status_code == 403
