"""The ``sohoa`` command line. Errors become one-line messages and exit codes here, at the edge."""

from __future__ import annotations

from typing import Annotated

import typer

from sohoa.cli.common import cli_actor, command_group, handle_errors, opened_runtime, settings_or_exit

__all__ = ["app", "main"]

app = typer.Typer(
    name="sohoa",
    help="Số hóa: turn paper results of administrative procedures into signed, searchable, archived PDFs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = command_group("Catalogue database.")
users_app = command_group("Users, roles and API tokens.")
review_app = command_group("Review queue: correct metadata and release documents to signing.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(review_app, name="review")


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Create or migrate the catalogue to the latest schema."""
    from sohoa.pipeline.runtime import migrate_catalogue

    settings = settings_or_exit()
    migrate_catalogue(settings)
    typer.echo(f"catalogue up to date: {settings.db_url.split('@')[-1]}")


@app.command()
@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
) -> None:
    """Run the API (and, in embedded mode, the workers) in this process."""
    import uvicorn

    from sohoa.api.app import create_app
    from sohoa.api.limits_server import server_options
    from sohoa.pipeline.actions.accounts import ensure_admin
    from sohoa.pipeline.privacy import make_process_private

    settings = settings_or_exit()
    make_process_private(settings)  # before anything is written: the data is its user's alone
    with opened_runtime() as rt:
        token = ensure_admin(rt, actor=cli_actor())
    host = host or settings.host
    port = port or settings.port
    typer.echo(f"sohoa listening on http://{host}:{port}  (data: {settings.data_dir})")
    if token:
        typer.echo(f"first start: user 'admin' created; admin token: {token}")
    # Timeouts for the request head, idle connections and stalled bodies, and a connection cap.
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", **server_options(settings))


def _register_commands() -> None:
    from sohoa.cli import (
        archive_cmds,
        coversheet_cmds,
        documents_cmds,
        dossier_cmds,
        extract_cmds,
        ocr_cmds,
        quarantine_cmds,
        recovery_cmds,
        registry_cmds,
        search_cmds,
        signing_cmds,
        users_cmds,
        worker_cmds,
    )

    documents_cmds.register(app, review_app)
    users_cmds.register(users_app)
    worker_cmds.register(app)
    registry_cmds.register(app)
    dossier_cmds.register(app)
    coversheet_cmds.register(app)
    archive_cmds.register(app)
    search_cmds.register(app)
    ocr_cmds.register(app)
    extract_cmds.register(app)
    signing_cmds.register(app)
    quarantine_cmds.register(app)
    recovery_cmds.register(app)


def _guard_every_command(group: typer.Typer) -> None:
    """Every command, in every group, turns errors into one line and an exit code."""
    for command in group.registered_commands:
        if command.callback is not None and not getattr(command.callback, "__wrapped__", None):
            command.callback = handle_errors(command.callback)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _guard_every_command(sub.typer_instance)


_register_commands()
_guard_every_command(app)


def main() -> None:  # pragma: no cover - console entry point
    app()
