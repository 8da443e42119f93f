"""``sohoa users``: accounts from the command line (the operator's way in before any administrator exists)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from sohoa.cli.common import cli_actor, emit_json, fail, handle_errors, opened_runtime

__all__ = ["read_password", "register"]

_ROLES = "uploader, reviewer, archivist, signer_admin, auditor, metrics, admin"


def read_password() -> str:
    """Asked twice on a terminal; one line of standard input otherwise (scripts, CI)."""
    if sys.stdin.isatty():
        first = typer.prompt("password", hide_input=True)
        if typer.prompt("password again", hide_input=True) != first:
            raise fail("the two passwords differ", 2)
        return str(first)
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def register(users_app: typer.Typer) -> None:
    """Add the ``users`` commands to ``users_app`` (mounted as ``sohoa users``)."""

    @users_app.command("add")
    @handle_errors
    def users_add(
        name: str,
        role: Annotated[str, typer.Option(help=_ROLES)],
        password: Annotated[
            bool, typer.Option("--password", help="also set a password for the web UI (prompted, or stdin)")
        ] = False,
    ) -> None:
        """Add a user and print a new API token (the last word of the output)."""
        from sohoa.pipeline.actions.accounts import add_user

        secret = read_password() if password else None
        with opened_runtime() as rt:
            user, token = add_user(rt, name, role, actor=cli_actor(), password=secret)
        typer.echo(f"user {user.name} ({user.role}) created; token: {token}")

    @users_app.command("set-password")
    @handle_errors
    def users_set_password(name: str) -> None:
        """Set a user's web UI password (prompted twice, or one line of stdin); it unlocks the account."""
        from sohoa.pipeline.actions.accounts import change_password

        secret = read_password()
        with opened_runtime() as rt:
            change_password(rt, name, secret, actor=cli_actor())
        typer.echo(f"password of {name} set; its browser sessions have ended")

    @users_app.command("token")
    @handle_errors
    def users_token(name: str) -> None:
        """Issue another API token for an existing user."""
        from sohoa.pipeline.actions.accounts import issue_token

        with opened_runtime() as rt:
            _user, token = issue_token(rt, name, actor=cli_actor())
        typer.echo(f"token for {name}: {token}")

    @users_app.command("revoke-token")
    @handle_errors
    def users_revoke(name: str) -> None:
        """Revoke every API token of a user."""
        from sohoa.pipeline.actions.accounts import revoke_user_tokens

        with opened_runtime() as rt:
            count = revoke_user_tokens(rt, name, actor=cli_actor())
        typer.echo(f"{count} token(s) of {name} revoked")

    @users_app.command("list")
    @handle_errors
    def users_list(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
        """Every user: role, whether disabled, whether a password is set."""
        from sohoa.pipeline.actions.accounts import users

        with opened_runtime() as rt:
            rows = [
                {
                    "name": u.name,
                    "role": u.role,
                    "disabled": u.disabled,
                    "password": u.password_hash is not None,
                    "locked_until": u.locked_until.isoformat() if u.locked_until else None,
                }
                for u in users(rt)
            ]
        if as_json:
            emit_json(rows)
            return
        for row in rows:
            flags = [f for f, on in (("disabled", row["disabled"]), ("password", row["password"])) if on]
            typer.echo(f"{row['name']}\t{row['role']}\t{','.join(flags) or '-'}")

    @users_app.command("disable")
    @handle_errors
    def users_disable(
        name: str,
        enable: Annotated[bool, typer.Option("--enable", help="enable the account again")] = False,
    ) -> None:
        """Disable an account: no sign-in, no token works, its browser sessions end."""
        from sohoa.pipeline.actions.accounts import update_user

        with opened_runtime() as rt:
            update_user(rt, name, disabled=not enable, actor=cli_actor())
        typer.echo(f"user {name} {'enabled' if enable else 'disabled'}")
