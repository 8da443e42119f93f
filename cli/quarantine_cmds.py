"""Quarantine commands: the retention purge of refused input."""

from __future__ import annotations

from typing import Annotated

import typer

from sohoa.cli.common import cli_actor, emit_json, handle_errors, opened_runtime

__all__ = ["register"]


def purge(
    older_than: Annotated[float, typer.Option("--older-than", help="days since the input was refused", min=0)],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Delete the quarantined bytes of input refused more than DAYS ago (the refusals stay in the catalogue)."""
    from sohoa.pipeline.quarantine import purge_quarantine

    with opened_runtime() as rt:
        result = purge_quarantine(rt, older_than_days=older_than, actor=cli_actor())
    if as_json:
        emit_json(result.to_dict())
        return
    typer.echo(
        f"purged {result.objects} quarantined objects ({result.bytes} bytes) of {result.documents} refused documents"
        + (f"; {result.kept_for_newer} kept for a more recent refusal" if result.kept_for_newer else "")
    )


def register(app: typer.Typer) -> None:
    """Add the ``quarantine`` command group to ``app``."""
    quarantine_app = typer.Typer(help="Quarantine: refused input kept for inspection.", no_args_is_help=True)
    quarantine_app.command("purge")(handle_errors(purge))
    app.add_typer(quarantine_app, name="quarantine")
