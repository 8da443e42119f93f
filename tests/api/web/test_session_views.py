"""Signing in and out through the pages, the language switch, and where redirects may go."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sohoa.api.web.access import home_path, local_path
from sohoa.core.domain import Role
from tests.api.web.conftest import PASSWORD, sign_in
from tests.api.web.html import read_page


def test_root_sends_a_signed_out_visitor_to_the_vietnamese_sign_in_page(browser_client: TestClient) -> None:
    answer = browser_client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    page = browser_client.get("/login")
    reader = read_page(page.text)
    assert reader.lang == "vi"
    assert "Đăng nhập" in reader.text
    assert 'action="/auth/login"' in page.text
    assert 'autocomplete="current-password"' in page.text


def test_a_refused_sign_in_says_so(browser_client: TestClient) -> None:
    answer = browser_client.post(
        "/auth/login", data={"username": "uploader", "password": "wrong password here", "next": "/upload"}
    )
    assert answer.status_code == 200 and answer.url.path == "/login"
    assert 'role="alert"' in answer.text
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in answer.text
    assert browser_client.get("/login").text.count('role="alert"') == 0


def test_sign_in_returns_to_the_page_asked_for(browser_client: TestClient) -> None:
    answer = browser_client.post(
        "/auth/login",
        data={"username": "reviewer", "password": PASSWORD, "next": "/review"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/review"
    # Signed in, the sign-in page moves on to where the user was going.
    again = browser_client.get("/login?next=/search", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/search"


def test_sign_out_is_a_form_post_with_the_csrf_token(browser_client: TestClient) -> None:
    sign_in(browser_client, "archivist")
    page = browser_client.get("/search").text
    token = browser_client.cookies["sohoa_csrf"]
    assert 'action="/auth/logout"' in page and f'name="csrf_token" value="{token}"' in page
    answer = browser_client.post("/auth/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert browser_client.get("/search", follow_redirects=False).status_code == 303


def test_the_language_switch_is_a_cookie_and_keeps_the_page(browser_client: TestClient) -> None:
    sign_in(browser_client, "archivist")
    answer = browser_client.get("/lang/en?next=/search%3Ftext%3Dkaraoke", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/search?text=karaoke"
    assert "sohoa_lang=en" in answer.headers["set-cookie"]
    page = browser_client.get("/search?text=karaoke")
    assert read_page(page.text).lang == "en" and "Search the archive" in page.text
    browser_client.get("/lang/vi")
    assert read_page(browser_client.get("/search").text).lang == "vi"
    # An unknown language changes nothing.
    browser_client.get("/lang/fr")
    assert read_page(browser_client.get("/search").text).lang == "vi"
    # Links to switch carry the current page.
    assert 'href="/lang/en?next=/search%3Ftext%3Dkaraoke"' in browser_client.get("/search?text=karaoke").text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "", "/ok\r\nSet-Cookie: x"],
)
def test_redirects_stay_on_this_site(browser_client: TestClient, target: str) -> None:
    assert local_path(target) == "/"
    answer = browser_client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_local_paths_pass() -> None:
    assert local_path("/documents/abc?x=1") == "/documents/abc?x=1"
    assert home_path(Role.SIGNER_ADMIN) == "/account"
