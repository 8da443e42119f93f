"""The ``sohoa`` command line. Errors become one-line messages and exit codes here, at the edge."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import cli_actor, handle_errors, settings_or_exit

__all__ = ["app", "main"]

app = typer.Typer(
    name="sohoa",
    help="Số hóa: turn paper results of administrative procedures into signed, searchable, archived PDFs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Catalogue database.", no_args_is_help=True)
users_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)
review_app = typer.Typer(help="Review queue: correct metadata and release documents to signing.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(review_app, name="review")


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Create or migrate the catalogue to the latest schema."""
    from storage.database import upgrade_database

    settings = settings_or_exit()
    upgrade_database(settings.db_url)
    typer.echo(f"catalogue up to date: {settings.db_url.split('@')[-1]}")


@users_app.command("add")
@handle_errors
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="uploader, reviewer, archivist, signer_admin, auditor, metrics, admin")],
) -> None:
    """Add a user and print a new API token (the last word of the output)."""
    from storage.accounts import create_token, create_user
    from storage.database import Database

    db = Database(settings_or_exit().db_url)
    with db.session() as session:
        user = create_user(session, name, role, actor=cli_actor())
        token = create_token(session, user, actor=cli_actor())
    typer.echo(f"user {name} ({role}) created; token: {token}")


@users_app.command("token")
@handle_errors
def users_token(name: str) -> None:
    """Issue another API token for an existing user."""
    from storage.accounts import create_token, get_user
    from storage.database import Database

    db = Database(settings_or_exit().db_url)
    with db.session() as session:
        token = create_token(session, get_user(session, name), actor=cli_actor())
    typer.echo(f"token for {name}: {token}")


@users_app.command("revoke-token")
@handle_errors
def users_revoke(name: str) -> None:
    """Revoke every API token of a user."""
    from storage.accounts import get_user, revoke_tokens
    from storage.database import Database

    db = Database(settings_or_exit().db_url)
    with db.session() as session:
        count = revoke_tokens(session, get_user(session, name), actor=cli_actor())
    typer.echo(f"{count} token(s) of {name} revoked")


@app.command()
@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
) -> None:
    """Run the API (and, in embedded mode, the workers) in this process."""
    import uvicorn

    from api.app import create_app
    from cli.bootstrap import ensure_admin

    settings = settings_or_exit()
    token = ensure_admin(settings, actor=cli_actor())
    host = host or settings.host
    port = port or settings.port
    typer.echo(f"sohoa listening on http://{host}:{port}  (data: {settings.data_dir})")
    if token:
        typer.echo(f"first start: user 'admin' created; admin token: {token}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _register_commands() -> None:
    from cli import (
        archive_cmds,
        coversheet_cmds,
        documents_cmds,
        extract_cmds,
        ocr_cmds,
        registry_cmds,
        signing_cmds,
        worker_cmds,
    )

    documents_cmds.register(app, review_app)
    worker_cmds.register(app)
    registry_cmds.register(app)
    coversheet_cmds.register(app)
    archive_cmds.register(app)
    ocr_cmds.register(app)
    extract_cmds.register(app)
    signing_cmds.register(app)


_register_commands()


def main() -> None:  # pragma: no cover - console entry point
    app()
