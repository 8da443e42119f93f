"""``sohoa retry``: failed documents taken back to the stage that failed."""

from __future__ import annotations

from typing import Annotated

import typer

from sohoa.cli.common import cli_actor, emit_json, fail, handle_errors, opened_runtime

__all__ = ["register"]


def retry(
    document_id: Annotated[str | None, typer.Argument(help="the failed document's id")] = None,
    state: Annotated[str | None, typer.Option("--state", help="'failed': every failed document")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """Retry a failed document (or every one, with --state failed) from the stage that failed; audited.

    In embedded mode the retried stages run in this process before it answers; with a broker the
    workers take them and the states printed are those at hand-over."""
    from sohoa.pipeline.actions.documents import document
    from sohoa.pipeline.actions.recovery import retry_document, retry_failed

    if (document_id is None) == (state is None):
        raise fail("invalid_request: give a document id or --state failed, not both", 2)
    if state is not None and state != "failed":
        raise fail(f"invalid_state: only failed documents are retried, not {state!r}", 2)
    with opened_runtime(with_queue=True) as rt:
        if document_id is not None:
            retried = [retry_document(rt, document_id, actor=cli_actor(), via="cli")]
        else:
            retried = retry_failed(rt, actor=cli_actor(), via="cli")
        if rt.queue is not None and hasattr(rt.queue, "join"):
            rt.queue.join()
        docs = [document(rt, r.document_id) for r in retried]
    rows = [
        {
            "id": doc.id,
            "filename": doc.filename,
            "resumed_at": r.task,
            "previous_reason": r.previous_reason,
            "state": doc.state,
            "reason_code": doc.reason_code,
        }
        for r, doc in zip(retried, docs, strict=True)
    ]
    if as_json:
        emit_json(rows)
    else:
        for row in rows:
            after = row["reason_code"] or ""
            typer.echo(f"{row['id']}  {row['state']:<13} from {row['resumed_at']}  {row['filename']}  {after}".rstrip())
        typer.echo(f"{len(rows)} documents retried", err=True)
    if any(row["state"] == "failed" for row in rows):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(handle_errors(retry))
