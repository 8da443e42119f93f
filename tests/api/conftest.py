from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sohoa.api.app import create_app
from sohoa.core.domain import Role
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.accounts import create_token, create_user, get_user, set_password

PASSWORD = "mật khẩu đủ dài 2025"


def tokens_by_role(runtime: Runtime) -> dict[str, str]:
    """One user (``u-<role>``) and API token per role, by role name."""
    out = {}
    with runtime.db.session() as session:
        for role in Role:
            user = create_user(session, f"u-{role.value}", role, actor="test")
            out[role.value] = create_token(session, user, actor="test")
    return out


@pytest.fixture
def tokens(runtime: Runtime) -> dict[str, str]:
    """One user and token per role."""
    return tokens_by_role(runtime)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def give_password(runtime: Runtime, name: str, password: str = PASSWORD) -> None:
    with runtime.db.session() as session:
        set_password(session, get_user(session, name), password, actor="test")


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in as a browser would; the client keeps the cookies. Returns the CSRF token."""
    answer = client.post(
        "/auth/login", data={"username": name, "password": password}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    return client.cookies["sohoa_csrf"]
