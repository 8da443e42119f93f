"""Commands over the archive: legal holds, corrections by supersession, lineage, fixity audit, rebuild."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sohoa.cli.common import cli_actor, emit_json, fail, handle_errors, opened_runtime

if TYPE_CHECKING:
    from sohoa.pipeline.retention import ArchiveProtection
    from sohoa.pipeline.supersede import Lineage

__all__ = ["register"]

Reason = Annotated[str, typer.Option("--reason", help="why (recorded in the audit log)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]


def _moment(value: datetime | None) -> str:
    if value is None:
        return "-"
    from sohoa.core.clock import to_local

    return to_local(value).isoformat(timespec="seconds")


def _protection_json(p: ArchiveProtection) -> dict[str, Any]:
    return {
        "document_id": p.document_id,
        "archive_key": p.archive_key,
        "retention_mode": p.mode,
        "retain_until": p.retain_until,
        "legal_hold": p.legal_hold,
        "hold_reason": p.hold_reason,
        "hold_placed_by": p.hold_placed_by,
        "hold_placed_at": p.hold_placed_at,
    }


def _lineage_json(lineage: Lineage) -> dict[str, Any]:
    def links(items: Any) -> list[dict[str, Any]]:
        return [
            {
                "old_document_id": link.old_document_id,
                "new_document_id": link.new_document_id,
                "new_state": link.new_state,
                "effective": link.effective,
                "reason": link.reason,
                "actor": link.actor,
                "at": link.at,
            }
            for link in items
        ]

    return {
        "document_id": lineage.document_id,
        "superseded": lineage.superseded,
        "supersedes": links(lineage.supersedes),
        "superseded_by": links(lineage.superseded_by),
    }


def _echo_protection(p: ArchiveProtection) -> None:
    typer.echo(f"{p.document_id}  {p.archive_key}")
    typer.echo(f"  retention: {p.mode or 'none'} until {_moment(p.retain_until)}")
    hold = f"ON ({p.hold_reason}; {p.hold_placed_by}, {_moment(p.hold_placed_at)})" if p.legal_hold else "off"
    if p.legal_hold and p.hold_reason is None:
        hold = "ON"
    typer.echo(f"  legal hold: {hold}")


def _echo_lineage(lineage: Lineage) -> None:
    typer.echo(f"{lineage.document_id}  {'SUPERSEDED' if lineage.superseded else 'current'}")
    for link in lineage.supersedes:
        typer.echo(f"  supersedes {link.old_document_id}  ({link.reason}; {link.actor}, {_moment(link.at)})")
    for link in lineage.superseded_by:
        note = "" if link.effective else f" [pending: {link.new_state}]"
        typer.echo(f"  superseded by {link.new_document_id}{note}  ({link.reason}; {link.actor}, {_moment(link.at)})")


def hold(
    document_id: Annotated[str, typer.Argument(help="document id")],
    reason: Reason = "no reason given",
    as_json: AsJson = False,
) -> None:
    """Put an archived document under legal hold: nothing may remove it until released."""
    from sohoa.pipeline.retention import place_hold

    _change_protection(place_hold, document_id, reason, as_json)


def release(
    document_id: Annotated[str, typer.Argument(help="document id")],
    reason: Reason = "no reason given",
    as_json: AsJson = False,
) -> None:
    """Lift a legal hold; the retention period still applies."""
    from sohoa.pipeline.retention import release_hold

    _change_protection(release_hold, document_id, reason, as_json)


def _change_protection(change: Callable[..., Any], document_id: str, reason: str, as_json: bool) -> None:
    with opened_runtime() as rt:
        protection = change(rt, document_id, reason=reason, actor=cli_actor())
    if as_json:
        emit_json(_protection_json(protection))
    else:
        _echo_protection(protection)


def supersede(
    document_id: Annotated[str, typer.Argument(help="the archived document to correct")],
    new_input: Annotated[Path, typer.Argument(help="the corrected scan or PDF", exists=True, dir_okay=False)],
    reason: Annotated[str, typer.Option("--reason", help="why the record is corrected (required)")],
    as_json: AsJson = False,
) -> None:
    """Archive a corrected document that supersedes an archived one; both records are kept."""
    from sohoa.pipeline.actions.documents import document
    from sohoa.pipeline.actions.documents import lineage as read_lineage
    from sohoa.pipeline.intake import IncomingFile
    from sohoa.pipeline.supersede import supersede_document

    with opened_runtime(with_queue=True) as rt:
        with new_input.open("rb") as fh:
            result = supersede_document(
                rt, document_id, IncomingFile(new_input.name, fh), reason=reason, actor=cli_actor()
            )
        join = getattr(rt.queue, "join", None)
        if join is not None:
            join()  # embedded mode: the new document is processed in this process
        state = document(rt, result.new_document_id).state
        lineage = read_lineage(rt, result.new_document_id)
    if as_json:
        emit_json({"new_document_id": result.new_document_id, "state": state, "lineage": _lineage_json(lineage)})
    else:
        typer.echo(f"{result.new_document_id}  {state}  supersedes {document_id}")
        _echo_lineage(lineage)
    if state in ("failed", "rejected"):
        raise typer.Exit(1)


def lineage(document_id: Annotated[str, typer.Argument(help="document id")], as_json: AsJson = False) -> None:
    """The records a document supersedes and those that supersede it."""
    from sohoa.pipeline.actions.documents import lineage as read_lineage

    with opened_runtime() as rt:
        found = read_lineage(rt, document_id)
    if as_json:
        emit_json(_lineage_json(found))
    else:
        _echo_lineage(found)


def show(document_id: Annotated[str, typer.Argument(help="document id")], as_json: AsJson = False) -> None:
    """Retention, legal hold and lineage of an archived document."""
    from sohoa.pipeline.actions.documents import lineage as read_lineage
    from sohoa.pipeline.retention import archive_protection

    with opened_runtime() as rt:
        protection = archive_protection(rt, document_id)
        found = read_lineage(rt, document_id)
    if as_json:
        emit_json({**_protection_json(protection), "lineage": _lineage_json(found)})
        return
    _echo_protection(protection)
    _echo_lineage(found)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    from sohoa.core.clock import VN_TZ

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"invalid_date: expected YYYY-MM-DD or an ISO date-time, got {value!r}", 2) from None
    if len(value) == 10:  # a calendar date: from its start, in Vietnam's time
        moment = datetime.combine(date.fromisoformat(value), time(), VN_TZ)
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)


def fixity(
    sample: Annotated[int | None, typer.Option("--sample", min=1, help="check N documents drawn at random")] = None,
    since: Annotated[str | None, typer.Option("--since", help="only documents archived since DATE")] = None,
    as_json: AsJson = False,
) -> None:
    """Re-read archived objects and compare their SHA-256 with the catalogue; exit 1 on any problem."""
    from sohoa.pipeline.fixity import run_fixity

    moment = _since(since)
    with opened_runtime() as rt:
        summary = run_fixity(rt, actor=cli_actor(), sample=sample, since=moment)
    if as_json:
        emit_json(summary.to_dict())
    else:
        typer.echo(
            f"fixity run {summary.run_id}: {summary.checked} checked, {summary.intact} intact, "
            f"{summary.mismatched} mismatched, {summary.missing} missing, {summary.unreadable} unreadable"
        )
        for problem in summary.problems:
            typer.echo(f"  {problem.kind:<10} {problem.document_id}  {problem.key}  {problem.message}")
    if not summary.ok:
        raise typer.Exit(1)


def rebuild(
    from_store: Annotated[
        bool, typer.Option("--from-store", help="rebuild from the archive's objects (the only source)")
    ] = False,
    text: Annotated[bool, typer.Option("--text/--no-text", help="restore page text and search text")] = True,
    as_json: AsJson = False,
) -> None:
    """Restore the catalogue's archived documents from the object store; present ones are left alone."""
    from sohoa.pipeline.rebuild import rebuild_catalogue

    if not from_store:
        raise fail("usage: sohoa catalogue rebuild --from-store", 2)
    with opened_runtime() as rt:
        report = rebuild_catalogue(rt, actor=cli_actor(), text=text)
    if as_json:
        emit_json(report.to_dict())
    else:
        typer.echo(
            f"{len(report.restored)} documents restored, {len(report.present)} already present, "
            f"{report.links} supersessions restored"
        )
        for issue in report.issues:
            typer.echo(f"  {'error' if issue.error else 'note':<5} {issue.kind:<17} {issue.key}  {issue.message}")
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``archive``, ``audit`` and ``catalogue`` command groups to ``app``."""
    archive_app = typer.Typer(
        help="The archive: legal holds, corrections by supersession, lineage.", no_args_is_help=True
    )
    audit_app = typer.Typer(help="Audits of the archive.", no_args_is_help=True)
    catalogue_app = typer.Typer(help="The catalogue as a whole.", no_args_is_help=True)
    archive_app.command("hold")(handle_errors(hold))
    archive_app.command("release")(handle_errors(release))
    archive_app.command("supersede")(handle_errors(supersede))
    archive_app.command("lineage")(handle_errors(lineage))
    archive_app.command("show")(handle_errors(show))
    audit_app.command("fixity")(handle_errors(fixity))
    catalogue_app.command("rebuild")(handle_errors(rebuild))
    app.add_typer(archive_app, name="archive")
    app.add_typer(audit_app, name="audit")
    app.add_typer(catalogue_app, name="catalogue")
