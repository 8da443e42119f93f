"""The smaller abuse items, through the app itself (no server process needed for these)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from sohoa.api.app import create_app
from sohoa.api.limits import SignInGuard, Throttled
from sohoa.core.clock import utcnow
from sohoa.pipeline.actions.accounts import add_user, change_password
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.records import ApiTokenRecord, EventRecord
from tests.api.conftest import PASSWORD, auth, give_password
from tests.support.pdfs import make_text_image

PROCEDURE = "1.001234.000.00.00.H19"
JSON = {"Accept": "application/json"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    settings = runtime.settings.model_copy(update={"verification_refresh_per_minute": 2})
    with TestClient(create_app(settings, runtime=runtime), follow_redirects=False) as test_client:
        yield test_client


def _events(runtime: Runtime, action: str) -> list[EventRecord]:
    with runtime.db.session() as session:
        return list(session.scalars(select(EventRecord).where(EventRecord.action == action).order_by(EventRecord.id)))


def test_refused_credentials_are_audited_with_the_client_once_a_minute(
    client: TestClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    for _ in range(4):
        assert client.get("/api/v1/documents", headers=auth("sohoa_revoked-or-made-up")).status_code == 401
    client.cookies.set("sohoa_session", "ended-long-ago")
    assert client.get("/auth/me", headers={"User-Agent": "curl/8.5"}).status_code == 401
    client.cookies.clear()
    # No credentials at all is not a refusal of credentials: not an event (every signed-out view would be).
    assert client.get("/api/v1/documents").status_code == 401
    client.app.state.refusals.flush()
    refused = [(e.actor, e.details) for e in _events(runtime, "auth.refused")]
    assert [(d["reason"], d["path"], d["count"]) for _, d in refused] == [
        ("invalid_token", "/api/v1/documents", 4),
        ("session_expired", "/auth/me", 1),
    ]
    assert refused[1][1]["user_agent"] == "curl/8.5" and all(d["client"] == "testclient" for _, d in refused)


def test_a_read_only_role_cannot_loop_on_re_verification(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    scan = make_text_image(tmp_path / "scan.png", ["QUYẾT ĐỊNH", "Về việc cấp giấy phép"])
    doc_id = accept_paths(runtime, [scan], procedure_code=PROCEDURE, actor="tester").documents[0].id
    runtime.queue.join()  # type: ignore[union-attr]
    url = f"/api/v1/documents/{doc_id}/verification"
    auditor = auth(tokens["auditor"])
    assert [client.get(url, params={"refresh": "true"}, headers=auditor).status_code for _ in range(2)] == [200, 200]
    limited = client.get(url, params={"refresh": "true"}, headers=auditor)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == "too_many_requests"
    # The stored result is still there to read, and another user has a budget of their own.
    assert client.get(url, headers=auditor).status_code == 200
    assert client.get(url, params={"refresh": "true"}, headers=auth(tokens["reviewer"])).status_code == 200
    client.app.state.refusals.flush()
    denied = [e.details for e in _events(runtime, "access.denied") if e.actor == "u-auditor"]
    assert [d["reason"] for d in denied] == ["rate_limited"]


def test_tokens_expire_when_told_to_and_a_password_reset_revokes_them(runtime: Runtime) -> None:
    runtime.settings.token_days = 30
    _, token = add_user(runtime, "lan", "uploader", actor="admin", password=PASSWORD)
    with runtime.db.session() as session:
        row = session.scalar(select(ApiTokenRecord).where(ApiTokenRecord.prefix == token[:12]))
        assert row is not None and row.expires_at is not None
        assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
        row.expires_at = utcnow() - timedelta(seconds=1)
    with TestClient(create_app(runtime=runtime)) as client:
        expired = client.get("/auth/me", headers=auth(token or ""))
        assert expired.status_code == 401 and expired.json()["code"] == "invalid_token"
        _, fresh = add_user(runtime, "mai", "uploader", actor="admin", password=PASSWORD)
        assert client.get("/auth/me", headers=auth(fresh or "")).status_code == 200
        # An administrator resets the password (a suspected compromise): the token stops too.
        change_password(runtime, "mai", "a brand new passphrase", actor="admin")
        assert client.get("/auth/me", headers=auth(fresh or "")).status_code == 401
        # Unless the operator says otherwise.
        runtime.settings.password_reset_revokes_tokens = False
        _, kept = add_user(runtime, "hoa", "uploader", actor="admin", password=PASSWORD)
        change_password(runtime, "hoa", "a brand new passphrase", actor="admin")
        assert client.get("/auth/me", headers=auth(kept or "")).status_code == 200


def test_sign_in_from_another_origin_is_refused_even_without_fetch_metadata(
    client: TestClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    give_password(runtime, "u-reviewer")
    data = {"username": "u-reviewer", "password": PASSWORD}
    forged = client.post("/auth/login", data=data, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    sandboxed = client.post("/auth/login", data=data, headers={"Origin": "null"})
    assert sandboxed.status_code == 403
    assert "sohoa_session" not in client.cookies
    own = client.post("/auth/login", data=data, headers={"Origin": "http://testserver"})
    assert own.status_code == 303
    client.app.state.refusals.flush()
    assert [e.details["reason"] for e in _events(runtime, "access.denied")] == ["cross_site_sign_in"]


def test_an_origin_the_operator_allows_may_post_the_sign_in_form(runtime: Runtime, tokens: dict[str, str]) -> None:
    give_password(runtime, "u-reviewer")
    settings = runtime.settings.model_copy(update={"allowed_origins": ("https://portal.so.gov.vn",)})
    with TestClient(create_app(settings, runtime=runtime), follow_redirects=False) as client:
        data = {"username": "u-reviewer", "password": PASSWORD}
        answer = client.post("/auth/login", data=data, headers={"Origin": "https://portal.so.gov.vn", **JSON})
        assert answer.status_code == 200


def test_a_duplicate_never_names_another_users_document_to_an_uploader(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    scan = make_text_image(tmp_path / "kq.png", ["QUYẾT ĐỊNH", "Về việc cấp giấy phép"])
    _, other = add_user(runtime, "lan", "uploader", actor="admin")

    def upload(token: str) -> dict:
        answer = client.post(
            "/api/v1/uploads",
            headers=auth(token),
            files=[("files", ("kq.png", scan.read_bytes()))],
            data={"procedure_code": PROCEDURE},
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    first = upload(tokens["uploader"])["documents"][0]
    theirs = upload(other or "")
    assert theirs["documents"] == []
    assert theirs["rejected"] == [
        {
            "filename": "kq.png",
            "code": "already_received",
            "message": "this file was already received from another upload; it is not stored again",
            "document_id": None,
        }
    ]
    assert first["id"] not in str(theirs)
    # Nor does the batch's event stream (which the uploader follows); the audit log keeps the event.
    with runtime.db.session() as session:
        streamed = list(session.scalars(select(EventRecord).where(EventRecord.batch_id == theirs["batch_id"])))
        logged = session.scalars(select(EventRecord).where(EventRecord.action == "upload.duplicate")).all()
    assert all(e.document_id != first["id"] for e in streamed)
    assert [(e.document_id, e.details["batch"]) for e in logged] == [(first["id"], theirs["batch_id"])]  # type: ignore[index]
    # The uploader who sent it first, and staff who read documents, are told which document holds it.
    assert upload(tokens["uploader"])["documents"][0]["duplicate_of"] == first["id"]
    assert upload(tokens["admin"])["documents"][0]["duplicate_of"] == first["id"]


def test_a_stray_body_on_a_public_page_is_not_an_authentication(client: TestClient) -> None:
    # GET routes read no body: the gate only caps it, a public page still answers.
    assert client.request("GET", "/healthz", content=b"{}").status_code == 200
    big = client.request("GET", "/healthz", content=b"x" * (2 * 1024**2))
    assert big.status_code == 413 and big.json()["code"] == "request_too_large"


def _refused_both_ways(client: TestClient, form: dict[str, str]) -> tuple[Response, Response]:
    """A throttled sign-in, posted as a browser's form and by a script: the form goes back to the sign-in
    page that says why, the script gets 429; both told when to try again."""
    by_form = client.post("/auth/login", data=form)
    assert by_form.status_code == 303 and by_form.headers["location"] == "/login?error=throttled"
    assert int(by_form.headers["retry-after"]) >= 1
    scripted = client.post("/auth/login", data=form, headers=JSON)
    assert scripted.status_code == 429 and scripted.json()["code"] == "too_many_requests"
    return by_form, scripted


def test_a_throttled_browser_is_sent_back_to_a_page_that_says_why(runtime: Runtime, tokens: dict[str, str]) -> None:
    settings = runtime.settings.model_copy(update={"login_rate_per_address": 2})
    with TestClient(create_app(settings, runtime=runtime), follow_redirects=False) as client:
        wrong = {"username": "u-reviewer", "password": "not the password"}
        assert [client.post("/auth/login", data=wrong).headers["location"] for _ in range(2)] == ["/login?error=1"] * 2
        _refused_both_ways(client, wrong)
        page = client.get("/login?error=throttled", headers={"Cookie": "sohoa_lang=en"}).text
        assert "Too many failed sign-ins from this computer" in page


def test_a_name_throttled_after_its_form_is_read_is_answered_as_from_the_head(
    runtime: Runtime, tokens: dict[str, str]
) -> None:
    # The address stays under its limit: the gate lets the form through and the route's own check refuses the name.
    settings = runtime.settings.model_copy(update={"login_rate_per_address": 100, "login_rate_per_user": 2})
    with TestClient(create_app(settings, runtime=runtime), follow_redirects=False) as client:
        wrong = {"username": "u-reviewer", "password": "not the password"}
        assert [client.post("/auth/login", data=wrong).headers["location"] for _ in range(2)] == ["/login?error=1"] * 2
        _, scripted = _refused_both_ways(client, wrong)
        assert int(scripted.headers["retry-after"]) >= 1 and scripted.headers["connection"] == "close"
        client.app.state.refusals.flush()
    throttled = [e.details for e in _events(runtime, "auth.refused") if e.details["reason"] == "throttled"]  # type: ignore[index]
    assert [(d["path"], d["method"], d["count"]) for d in throttled] == [("/auth/login", "POST", 2)]  # type: ignore[index]


def test_a_sign_in_refused_while_passwords_queue_is_answered_as_any_throttled_sign_in(
    runtime: Runtime, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def busy(self: SignInGuard, check: object) -> None:
        raise Throttled("the service is busy checking passwords: try again shortly", retry_after=1)

    monkeypatch.setattr(SignInGuard, "run", busy)
    with TestClient(create_app(runtime.settings, runtime=runtime), follow_redirects=False) as client:
        form, _ = _refused_both_ways(client, {"username": "u-reviewer", "password": "whatever"})
        assert form.headers["retry-after"] == "1"
