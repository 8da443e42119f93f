from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sohoa.api.app import create_app
from sohoa.api.routes.auth import safe_next
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.account_records import WebSessionRecord
from sohoa.storage.records import EventRecord
from tests.api.conftest import PASSWORD, auth, give_password, sign_in

JSON = {"Accept": "application/json"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    settings = runtime.settings.model_copy(update={"login_max_failures": 3, "login_lockout_minutes": 15})
    with TestClient(create_app(settings, runtime=runtime), follow_redirects=False) as test_client:
        yield test_client


def _events(runtime: Runtime, prefix: str) -> list[tuple[str, str, dict | None]]:
    with runtime.db.session() as session:
        rows = session.scalars(
            select(EventRecord).where(EventRecord.action.like(prefix + "%")).order_by(EventRecord.id)
        )
        return [(e.actor, e.action, e.details) for e in rows]


def test_form_sign_in_sets_cookies_and_redirects(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    give_password(runtime, "u-reviewer")
    answer = client.post("/auth/login", data={"username": "u-reviewer", "password": PASSWORD, "next": "/review"})
    assert answer.status_code == 303 and answer.headers["location"] == "/review"
    cookies = answer.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("sohoa_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("sohoa_csrf="))
    assert "httponly" in session_cookie.lower() and "samesite=lax" in session_cookie.lower()
    assert "httponly" not in csrf_cookie.lower() and "samesite=lax" in csrf_cookie.lower()
    assert client.get("/auth/me").json() == {"name": "u-reviewer", "role": "reviewer"}
    # Only hashes are stored: the cookie's value is nowhere in the table.
    value = client.cookies["sohoa_session"]
    with runtime.db.session() as session:
        rows = list(session.scalars(select(WebSessionRecord)))
    assert len(rows) == 1 and value not in {rows[0].token_hash, rows[0].csrf_hash}
    assert rows[0].expires_at > rows[0].created_at
    # Signing in again replaces the session: a new id, the old one gone.
    client.post("/auth/login", data={"username": "u-reviewer", "password": PASSWORD})
    assert client.cookies["sohoa_session"] != value
    with runtime.db.session() as session:
        again = list(session.scalars(select(WebSessionRecord)))
    assert len(again) == 1 and again[0].token_hash != rows[0].token_hash


def test_json_sign_in_answers_user_and_role(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    give_password(runtime, "u-archivist")
    answer = client.post("/auth/login", data={"username": "u-archivist", "password": PASSWORD}, headers=JSON)
    assert answer.status_code == 200 and answer.json() == {"user": "u-archivist", "role": "archivist"}
    assert client.get("/api/v1/documents").status_code == 200


def test_refusals_redirect_forms_and_answer_401_to_json(
    client: TestClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    give_password(runtime, "u-uploader")
    form = client.post("/auth/login", data={"username": "u-uploader", "password": "not the password", "next": "/x"})
    assert form.status_code == 303 and form.headers["location"] == "/login?error=1"
    assert "sohoa_session" not in client.cookies
    answer = client.post("/auth/login", data={"username": "nobody", "password": PASSWORD}, headers=JSON)
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_credentials" and answer.json()["details"] == {}
    # A user without a password (token only) cannot sign in with any password.
    assert client.post("/auth/login", data={"username": "u-metrics", "password": ""}, headers=JSON).status_code == 401
    failed = _events(runtime, "auth.login_failed")
    assert [details["reason"] for _, _, details in failed] == ["invalid_credentials"] * 3
    actors = [actor for actor, _, _ in failed]
    # A name that is nobody's (often a password typed in the wrong field) is never written down.
    assert actors[0] == "u-uploader" and actors[2] == "u-metrics"
    assert actors[1].startswith("unknown:") and "nobody" not in str(failed[1])
    assert all(PASSWORD not in str(d) and "not the password" not in str(d) for _, _, d in failed)
    # Who tried, from where and with what: every attempt carries the client's address and agent.
    assert all(d["client"] == "testclient" and d["user_agent"] == "testclient" for _, _, d in failed)


def test_a_lock_binds_the_address_that_failed_and_answers_like_a_wrong_password(
    runtime: Runtime, tokens: dict[str, str]
) -> None:
    give_password(runtime, "u-auditor")
    settings = runtime.settings.model_copy(update={"login_max_failures": 3, "login_lockout_minutes": 15})
    app = create_app(settings, runtime=runtime)
    attacker = TestClient(app, client=("198.51.100.7", 4000))
    owner = TestClient(app, client=("192.0.2.10", 4000))
    with attacker, owner:
        for _ in range(3):
            bad = attacker.post(
                "/auth/login", data={"username": "u-auditor", "password": "wrong password!"}, headers=JSON
            )
            assert bad.json()["code"] == "invalid_credentials"
        # Locked from the attacker's address: even the right password is refused there, with the same
        # answer as a wrong one (an outsider learns nothing about the account).
        locked = attacker.post("/auth/login", data={"username": "u-auditor", "password": PASSWORD}, headers=JSON)
        assert locked.status_code == 401 and locked.json()["code"] == "invalid_credentials"
        unknown = attacker.post("/auth/login", data={"username": "nobody-here", "password": PASSWORD}, headers=JSON)
        assert unknown.json() == locked.json()
        # The owner, elsewhere, is not locked out: the attacker cannot keep the account shut.
        ok = owner.post("/auth/login", data={"username": "u-auditor", "password": PASSWORD}, headers=JSON)
        assert ok.status_code == 200
    locks = _events(runtime, "auth.locked")
    assert [(a, d["client"]) for a, _, d in locks] == [("u-auditor", "198.51.100.7")]
    reasons = [d["reason"] for _, _, d in _events(runtime, "auth.login_failed") if d["client"] == "198.51.100.7"]
    assert reasons[-2:] == ["locked", "invalid_credentials"]


def test_unsafe_requests_with_the_cookie_need_the_csrf_token(
    client: TestClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    give_password(runtime, "u-admin")
    csrf = sign_in(client, "u-admin")
    body = {"name": "lan", "role": "uploader"}
    missing = client.post("/api/v1/users", json=body)
    assert missing.status_code == 403 and missing.json()["code"] == "csrf_failed"
    wrong = client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "csrf_failed"
    assert client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    # The form field works too, for pages without script.
    form = client.post("/auth/logout", data={"csrf_token": csrf})
    assert form.status_code == 303
    # A token planted as both cookie and header (double submit alone) is not enough: it must be the session's.
    csrf2 = sign_in(client, "u-admin")
    client.cookies.set("sohoa_csrf", "planted")
    planted = client.patch("/api/v1/users/lan", json={"disabled": True}, headers={"X-CSRF-Token": "planted"})
    assert planted.status_code == 403 and planted.json()["code"] == "csrf_failed"
    client.cookies.set("sohoa_csrf", csrf2)
    assert (
        client.patch("/api/v1/users/lan", json={"disabled": True}, headers={"X-CSRF-Token": csrf2}).status_code == 200
    )
    client.app.state.refusals.flush()  # repeats are counted in memory, written every second
    denied = [d for _, action, d in _events(runtime, "access.denied")]
    # The two refusals of POST /api/v1/users from one client are one event with a count.
    assert [(d["reason"], d["method"], d["count"]) for d in denied] == [
        ("csrf_failed", "POST", 2),
        ("csrf_failed", "PATCH", 1),
    ]
    # Bearer tokens are not cookies: no CSRF token needed.
    assert client.patch("/api/v1/users/lan", json={"disabled": False}, headers=auth(tokens["admin"])).status_code == 200


def test_form_field_csrf_on_a_form_route(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    give_password(runtime, "u-archivist")
    csrf = sign_in(client, "u-archivist")
    csv = "code,name,field,agency\n1.001029.000.00.00.H19,Cấp giấy phép,Văn hóa,Sở VHTTDL\n".encode()
    files = {"file": ("p.csv", csv, "text/csv")}
    refused = client.post("/api/v1/procedures/import", files=files)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    done = client.post("/api/v1/procedures/import", files=files, data={"csrf_token": csrf})
    assert done.status_code == 200 and done.json()["inserted"] == 1


def test_logout_ends_the_session(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    give_password(runtime, "u-reviewer")
    sign_in(client, "u-reviewer")
    stolen = client.cookies["sohoa_session"]
    # Another site cannot sign the visitor out: the CSRF token is needed.
    forged = client.post("/auth/logout", headers=JSON)
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    answer = client.post("/auth/logout", headers={**JSON, "X-CSRF-Token": client.cookies["sohoa_csrf"]})
    assert answer.status_code == 204
    assert "sohoa_session" not in client.cookies
    client.cookies.set("sohoa_session", stolen)
    replay = client.get("/auth/me")
    assert replay.status_code == 401 and replay.json()["code"] == "session_expired"
    assert [a for a, action, _ in _events(runtime, "auth.logout")] == ["u-reviewer"]


def test_disabling_a_user_ends_sessions_and_tokens(
    client: TestClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    give_password(runtime, "u-reviewer")
    sign_in(client, "u-reviewer")
    admin = auth(tokens["admin"])
    assert client.patch("/api/v1/users/u-reviewer", json={"disabled": True}, headers=admin).status_code == 200
    assert client.get("/auth/me").status_code == 401
    assert client.get("/auth/me", headers=auth(tokens["reviewer"])).status_code == 401
    answer = client.post("/auth/login", data={"username": "u-reviewer", "password": PASSWORD}, headers=JSON)
    assert answer.status_code == 401 and answer.json()["code"] == "account_disabled"


def test_me_with_a_token_and_without_anything(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.get("/auth/me", headers=auth(tokens["metrics"])).json() == {"name": "u-metrics", "role": "metrics"}
    anonymous = client.get("/auth/me")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    basic = client.get("/auth/me", headers={"Authorization": "Basic dTpw"})
    assert basic.status_code == 401 and basic.json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/documents?state=failed", "/documents?state=failed"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_next_stays_on_this_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_sign_in_posted_from_another_site_is_refused(
    client: TestClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    give_password(runtime, "u-reviewer")
    data = {"username": "u-reviewer", "password": PASSWORD}
    forged = client.post("/auth/login", data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    assert "sohoa_session" not in client.cookies
    own = client.post("/auth/login", data=data, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 303
