from __future__ import annotations

from fastapi.testclient import TestClient

from sohoa.pipeline.runtime import Runtime
from tests.api.conftest import PASSWORD, auth, give_password

JSON = {"Accept": "application/json"}


def test_admin_creates_a_user_who_signs_in_and_uses_the_token(client: TestClient, tokens: dict[str, str]) -> None:
    admin = auth(tokens["admin"])
    made = client.post(
        "/api/v1/users",
        json={"name": "Nguyễn Thị Lan", "role": "reviewer", "password": PASSWORD, "token": True},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["user"]["name"] == "Nguyễn Thị Lan" and body["user"]["has_password"] is True
    assert client.get("/auth/me", headers=auth(body["token"])).json() == {"name": "Nguyễn Thị Lan", "role": "reviewer"}
    login = client.post("/auth/login", data={"username": "Nguyễn Thị Lan", "password": PASSWORD}, headers=JSON)
    assert login.status_code == 200
    again = client.post("/api/v1/users", json={"name": "Nguyễn Thị Lan", "role": "uploader"}, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "user_exists"
    weak = client.post("/api/v1/users", json={"name": "x", "role": "uploader", "password": "short"}, headers=admin)
    assert weak.status_code == 422
    assert client.post("/api/v1/users", json={"name": "y", "role": "boss"}, headers=admin).status_code == 422


def test_role_change_tokens_and_listing(client: TestClient, tokens: dict[str, str]) -> None:
    admin = auth(tokens["admin"])
    changed = client.patch("/api/v1/users/u-uploader", json={"role": "archivist"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["role"] == "archivist"
    assert client.get("/api/v1/documents", headers=auth(tokens["uploader"])).status_code == 200  # the new role's right
    issued = client.post("/api/v1/users/u-uploader/tokens", headers=admin).json()["token"]
    revoked = client.delete("/api/v1/users/u-uploader/tokens", headers=admin)
    assert revoked.json() == {"revoked": 2}
    for token in (issued, tokens["uploader"]):
        assert client.get("/auth/me", headers=auth(token)).status_code == 401
    names = [u["name"] for u in client.get("/api/v1/users", headers=auth(tokens["auditor"])).json()]
    assert names == sorted(f"u-{r}" for r in tokens)
    assert client.get("/api/v1/users/nobody", headers=admin).json()["code"] == "user_not_found"


def test_admins_cannot_lock_themselves_out(client: TestClient, tokens: dict[str, str]) -> None:
    admin = auth(tokens["admin"])
    for change in ({"disabled": True}, {"role": "auditor"}):
        refused = client.patch("/api/v1/users/u-admin", json=change, headers=admin)
        assert refused.status_code == 409 and refused.json()["code"] == "self_lockout"
    assert client.get("/auth/me", headers=admin).json()["role"] == "admin"


def test_account_changes_are_audited(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    admin = auth(tokens["admin"])
    give_password(runtime, "u-reviewer")
    client.put("/api/v1/users/u-reviewer/password", json={"password": "a new long password"}, headers=admin)
    client.patch("/api/v1/users/u-reviewer", json={"disabled": True}, headers=admin)
    page = client.get("/api/v1/audit", params={"actor": "u-admin", "action": "user.*"}, headers=admin).json()
    assert [(e["action"], e["details"]["user"]) for e in page["events"]] == [
        ("user.disabled", "u-reviewer"),
        ("user.password_set", "u-reviewer"),
    ]
    assert all("a new long password" not in str(e["details"]) for e in page["events"])
