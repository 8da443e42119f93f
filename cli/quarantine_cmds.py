"""Quarantine commands: the retention purge of refused input."""

from __future__ import annotations

from typing import Annotated

import typer

from sohoa.cli.common import AsJson, add_group, cli_actor, emit, opened_runtime

__all__ = ["register"]


def purge(
    older_than: Annotated[float, typer.Option("--older-than", help="days since the input was refused", min=0)],
    as_json: AsJson = False,
) -> None:
    """Delete the quarantined bytes of input refused more than DAYS ago (the refusals stay in the catalogue)."""
    from sohoa.pipeline.quarantine import purge_quarantine

    with opened_runtime() as rt:
        result = purge_quarantine(rt, older_than_days=older_than, actor=cli_actor())
    kept = f"; {result.kept_for_newer} kept for a more recent refusal" if result.kept_for_newer else ""
    line = f"purged {result.objects} quarantined objects ({result.bytes} bytes) of {result.documents} refused documents"
    emit(as_json, result.to_dict(), [line + kept])


def register(app: typer.Typer) -> None:
    """Add the ``quarantine`` command group to ``app``."""
    add_group(app, "quarantine", "Quarantine: refused input kept for inspection.", {"purge": purge})
