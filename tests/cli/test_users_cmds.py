from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sohoa.cli.users_cmds import register
from sohoa.storage.accounts import check_login, user_for_token
from sohoa.storage.database import Database

PASSWORD = "một mật khẩu dài"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    for key in ("SOHOA_DATABASE_URL", "SOHOA_S3_ENDPOINT", "SOHOA_BROKER_URL"):
        monkeypatch.delenv(key, raising=False)
    root = typer.Typer()
    users_app = typer.Typer()
    root.add_typer(users_app, name="users")
    register(users_app)
    return root


def _db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'var' / 'sohoa.db'}")


def test_add_with_a_password_from_stdin_then_sign_in(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["users", "add", "chi", "--role", "reviewer", "--password"], input=PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    token = done.output.split()[-1]
    db = _db(tmp_path)
    with db.session() as session:
        user = user_for_token(session, token)
        assert user is not None and user.name == "chi"
        assert check_login(session, "chi", PASSWORD).user is not None
    short = runner.invoke(cli, ["users", "add", "lan", "--role", "uploader", "--password"], input="ngắn\n")
    assert short.exit_code == 2 and "weak_password" in short.output


def test_set_password_revoke_disable_and_list(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    token = runner.invoke(cli, ["users", "add", "chi", "--role", "uploader"]).output.split()[-1]
    assert runner.invoke(cli, ["users", "set-password", "chi"], input=PASSWORD + "\n").exit_code == 0
    revoked = runner.invoke(cli, ["users", "revoke-token", "chi"])
    assert revoked.exit_code == 0 and "1 token(s)" in revoked.output
    assert runner.invoke(cli, ["users", "disable", "chi"]).exit_code == 0
    listed = json.loads(runner.invoke(cli, ["users", "list", "--json"]).output)
    assert [(u["name"], u["role"], u["disabled"], u["password"]) for u in listed] == [("chi", "uploader", True, True)]
    db = _db(tmp_path)
    with db.session() as session:
        assert user_for_token(session, token) is None
        assert check_login(session, "chi", PASSWORD).code == "account_disabled"
    assert runner.invoke(cli, ["users", "disable", "chi", "--enable"]).exit_code == 0
    with db.session() as session:
        assert check_login(session, "chi", PASSWORD).user is not None
    missing = runner.invoke(cli, ["users", "set-password", "nobody"], input=PASSWORD + "\n")
    assert missing.exit_code == 3 and "user_not_found" in missing.output
