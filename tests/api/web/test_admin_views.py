"""The users page (administrators change, auditors read) and the audit log page (filters, pages)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from sohoa.core.domain import Role
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.accounts import create_user
from sohoa.storage.audit import AuditFilter, find_events
from sohoa.storage.catalogue import record_event
from sohoa.storage.records import EventRecord
from tests.api.web.conftest import PASSWORD, sign_in

NEW_PASSWORD = "mật khẩu mới đủ dài 2026"


def _staff(runtime: Runtime, *roles: Role) -> None:
    with runtime.db.session() as session:
        for role in roles:
            create_user(session, role.value, role, actor="test", password=PASSWORD)


def _form(client: TestClient, path: str, **fields: str):
    return client.post(path, data={"csrf_token": client.cookies["sohoa_csrf"], **fields}, follow_redirects=True)


def _events(runtime: Runtime, action: str) -> list[EventRecord]:
    with runtime.db.session() as session:
        return find_events(session, AuditFilter(action=action), limit=100, offset=0)[0]


def _can_sign_in(runtime: Runtime, name: str, password: str) -> bool:
    from sohoa.api.app import create_app

    with TestClient(create_app(runtime=runtime)) as other:
        answer = other.post("/auth/login", data={"username": name, "password": password}, follow_redirects=False)
        return answer.status_code == 303 and bool(other.cookies.get("sohoa_session"))


def test_an_administrator_adds_changes_disables_and_resets_a_user(client: TestClient, runtime: Runtime) -> None:
    _staff(runtime, Role.ADMIN)
    sign_in(client, "admin")
    page = client.get("/admin/users")
    assert page.status_code == 200 and 'action="/admin/users"' in page.text
    assert 'href="/admin/users"' in page.text and 'href="/admin/audit"' in page.text  # in the menu

    added = _form(client, "/admin/users", name="thu", role="uploader", password=PASSWORD)
    assert added.status_code == 200 and "Đã thêm người dùng thu." in added.text
    assert '<tr data-user="thu">' in added.text
    assert _can_sign_in(runtime, "thu", PASSWORD)

    changed = _form(client, "/admin/users/thu/role", role="reviewer")
    assert "Đã đổi vai trò của thu." in changed.text
    row = changed.text.split('<tr data-user="thu">')[1].split("</tr>")[0]
    assert "Cán bộ kiểm tra" in row
    assert [e.details["to"] for e in _events(runtime, "user.role_set")] == ["reviewer"]

    reset = _form(client, "/admin/users/thu/password", password=NEW_PASSWORD)
    assert "Đã đặt lại mật khẩu của thu" in reset.text
    assert _can_sign_in(runtime, "thu", NEW_PASSWORD) and not _can_sign_in(runtime, "thu", PASSWORD)

    disabled = _form(client, "/admin/users/thu/disabled", disabled="true")
    assert "Đã khóa tài khoản thu" in disabled.text
    assert not _can_sign_in(runtime, "thu", NEW_PASSWORD)
    enabled = _form(client, "/admin/users/thu/disabled", disabled="false")
    assert "Đã mở khóa tài khoản thu." in enabled.text
    assert [e.actor for e in _events(runtime, "user.*") if e.details.get("user") == "thu"] == ["admin"] * 5


def test_refusals_are_explained_and_change_nothing(client: TestClient, runtime: Runtime) -> None:
    _staff(runtime, Role.ADMIN)
    sign_in(client, "admin")
    weak = _form(client, "/admin/users", name="ngan", role="uploader", password="ngan")
    assert weak.status_code == 422 and "Mật khẩu phải có từ 10 ký tự trở lên." in weak.text
    assert '<tr data-user="ngan">' not in weak.text
    taken = _form(client, "/admin/users", name="uploader", role="uploader", password=PASSWORD)
    assert taken.status_code == 409 and "Tên đăng nhập này đã có." in taken.text
    myself = _form(client, "/admin/users/admin/disabled", disabled="true")
    assert myself.status_code == 409 and "không thể tự khóa" in myself.text
    assert _can_sign_in(runtime, "admin", PASSWORD)
    nobody = _form(client, "/admin/users/khong-co/role", role="admin")
    assert nobody.status_code == 404 and "Không tìm thấy người dùng." in nobody.text
    without_token = client.post("/admin/users/uploader/role", data={"role": "admin"})
    assert without_token.status_code == 403
    row = client.get("/admin/users").text.split('<tr data-user="uploader">')[1].split("</tr>")[0]
    assert "Cán bộ số hóa" in row  # still an uploader


def test_an_auditor_reads_users_without_forms_and_others_are_refused(client: TestClient, runtime: Runtime) -> None:
    _staff(runtime, Role.AUDITOR)
    sign_in(client, "auditor")
    page = client.get("/admin/users")
    assert page.status_code == 200 and '<tr data-user="archivist">' in page.text
    assert '<form method="post" action="/admin/users' not in page.text
    assert _form(client, "/admin/users", name="x", role="admin", password=PASSWORD).status_code == 403
    client.cookies.clear()
    sign_in(client, "uploader")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    assert 'href="/admin/audit"' not in client.get("/account").text


def _log(runtime: Runtime) -> None:
    """60 downloads by "an" over three days and a few sign-ins by "binh", at known times."""
    start = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
    with runtime.db.session() as session:
        for i in range(60):
            event = record_event(session, actor="an", action="download.signed", details={"n": i})
            event.at = start + timedelta(days=i // 20, minutes=i)
        for i in range(3):
            event = record_event(session, actor="binh", action="auth.login")
            event.at = start + timedelta(days=i)


def test_the_audit_log_filters_by_actor_action_and_days_with_pages(client: TestClient, runtime: Runtime) -> None:
    _staff(runtime, Role.AUDITOR)
    _log(runtime)
    sign_in(client, "auditor")
    page = client.get("/admin/audit", params={"actor": "an"}).text
    assert "60 sự kiện." in page
    rows = re.findall(r'<tr data-event="(\d+)">', page)
    assert len(rows) == 50 and "Trang 1/2" in page
    second = client.get("/admin/audit", params={"actor": "an", "page": 2}).text
    assert len(re.findall(r'<tr data-event="(\d+)">', second)) == 10
    assert not set(rows) & set(re.findall(r'<tr data-event="(\d+)">', second))
    assert 'href="/admin/audit?actor=an&amp;page=1"' in second  # the filter stays while paging

    logins = client.get("/admin/audit", params={"action": "auth.*", "actor": "binh"}).text
    assert "3 sự kiện." in logins
    # whole days in Vietnam, both ends included: 11/03 and 12/03
    days = client.get("/admin/audit", params={"actor": "binh", "since": "11/03/2025", "until": "2025-03-12"}).text
    assert "2 sự kiện." in days
    one_day = client.get("/admin/audit", params={"action": "download.signed", "since": "12/03/2025"}).text
    assert "20 sự kiện." in one_day
    bad = client.get("/admin/audit", params={"since": "31/02/2025"})
    assert bad.status_code == 422 and "Ngày không hợp lệ: 31/02/2025" in bad.text


def test_an_administrator_reads_the_audit_log_too(client: TestClient, runtime: Runtime) -> None:
    _staff(runtime, Role.ADMIN)
    sign_in(client, "admin")
    page = client.get("/admin/audit", params={"action": "auth.login"}).text
    assert "1 sự kiện." in page and ">admin</a>" in page
    assert '<span title="auth.login">Đăng nhập</span>' in page  # actions in words, the code on hover


def _count(page: str) -> str:
    found = re.search(r'<p id="user-count">([^<]*)</p>', page)
    assert found is not None
    return found[1]


def test_the_users_page_filters_and_pages(client: TestClient, runtime: Runtime) -> None:
    _staff(runtime, Role.AUDITOR)
    with runtime.db.session() as session:
        for i in range(60):  # without passwords: hashing sixty would only slow the test
            create_user(session, f"u{i:02d}", Role.UPLOADER, actor="test")
    sign_in(client, "auditor")
    everyone = client.get("/admin/users").text
    assert _count(everyone) == "64 người dùng." and len(re.findall(r'<tr data-user="', everyone)) == 50
    second = client.get("/admin/users", params={"page": 2}).text
    assert len(re.findall(r'<tr data-user="', second)) == 14
    uploaders = client.get("/admin/users", params={"role": "uploader"}).text
    assert "61 người dùng." in uploaders and 'href="/admin/users?role=uploader&amp;page=2"' in uploaders
    named = client.get("/admin/users", params={"q": "U0"}).text  # a part of the name, any case
    assert re.findall(r'<tr data-user="([^"]+)"', named) == [f"u0{i}" for i in range(10)]
    assert "0 người dùng." in client.get("/admin/users", params={"status": "disabled"}).text
    assert client.get("/admin/users", params={"role": "king"}).status_code == 422
