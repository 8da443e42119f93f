"""Commands over the archive: legal holds, corrections by supersession, lineage, fixity audit, rebuild."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sohoa.cli.common import AsJson, add_group, cli_actor, emit, fail, opened_runtime

if TYPE_CHECKING:
    from sohoa.pipeline.fixity import FixitySummary
    from sohoa.pipeline.rebuild import RebuildReport
    from sohoa.pipeline.retention import ArchiveProtection
    from sohoa.pipeline.supersede import Lineage

__all__ = ["register"]

DocumentId = Annotated[str, typer.Argument(help="document id")]
Reason = Annotated[str, typer.Option("--reason", help="why (recorded in the audit log)")]


def _moment(value: datetime | None) -> str:
    if value is None:
        return "-"
    from sohoa.core.clock import to_local

    return to_local(value).isoformat(timespec="seconds")


def _protection_json(p: ArchiveProtection) -> dict[str, Any]:
    # "retention_mode" in the JSON: a bare "mode" says nothing next to the hold's fields
    return {("retention_mode" if name == "mode" else name): value for name, value in asdict(p).items()}


def _protection_lines(p: ArchiveProtection) -> Iterator[str]:
    yield f"{p.document_id}  {p.archive_key}"
    yield f"  retention: {p.mode or 'none'} until {_moment(p.retain_until)}"
    hold = f"ON ({p.hold_reason}; {p.hold_placed_by}, {_moment(p.hold_placed_at)})" if p.legal_hold else "off"
    if p.legal_hold and p.hold_reason is None:
        hold = "ON"
    yield f"  legal hold: {hold}"


def _lineage_lines(lineage: Lineage) -> Iterator[str]:
    yield f"{lineage.document_id}  {'SUPERSEDED' if lineage.superseded else 'current'}"
    for link in lineage.supersedes:
        yield f"  supersedes {link.old_document_id}  ({link.reason}; {link.actor}, {_moment(link.at)})"
    for link in lineage.superseded_by:
        note = "" if link.effective else f" [pending: {link.new_state}]"
        yield f"  superseded by {link.new_document_id}{note}  ({link.reason}; {link.actor}, {_moment(link.at)})"


def hold(document_id: DocumentId, reason: Reason = "no reason given", as_json: AsJson = False) -> None:
    """Put an archived document under legal hold: nothing may remove it until released."""
    from sohoa.pipeline.retention import place_hold

    _change_protection(place_hold, document_id, reason, as_json)


def release(document_id: DocumentId, reason: Reason = "no reason given", as_json: AsJson = False) -> None:
    """Lift a legal hold; the retention period still applies."""
    from sohoa.pipeline.retention import release_hold

    _change_protection(release_hold, document_id, reason, as_json)


def _change_protection(change: Callable[..., Any], document_id: str, reason: str, as_json: bool) -> None:
    with opened_runtime() as rt:
        protection = change(rt, document_id, reason=reason, actor=cli_actor())
    emit(as_json, _protection_json(protection), _protection_lines(protection))


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
    emit(
        as_json,
        {"new_document_id": result.new_document_id, "state": state, "lineage": asdict(lineage)},
        [f"{result.new_document_id}  {state}  supersedes {document_id}", *_lineage_lines(lineage)],
    )
    if state in ("failed", "rejected"):
        raise typer.Exit(1)


def lineage(document_id: DocumentId, as_json: AsJson = False) -> None:
    """The records a document supersedes and those that supersede it."""
    from sohoa.pipeline.actions.documents import lineage as read_lineage

    with opened_runtime() as rt:
        found = read_lineage(rt, document_id)
    emit(as_json, asdict(found), _lineage_lines(found))


def show(document_id: DocumentId, as_json: AsJson = False) -> None:
    """Retention, legal hold and lineage of an archived document."""
    from sohoa.pipeline.actions.documents import lineage as read_lineage
    from sohoa.pipeline.retention import archive_protection

    with opened_runtime() as rt:
        protection = archive_protection(rt, document_id)
        found = read_lineage(rt, document_id)
    emit(
        as_json,
        {**_protection_json(protection), "lineage": asdict(found)},
        [*_protection_lines(protection), *_lineage_lines(found)],
    )


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
    headline = (
        f"fixity run {summary.run_id}: {summary.checked} checked, {summary.intact} intact, "
        f"{summary.mismatched} mismatched, {summary.missing} missing, {summary.unreadable} unreadable"
    )
    problems = (f"  {p.kind:<10} {p.document_id}  {p.key}  {p.message}" for p in summary.problems)
    _finish_run(summary, as_json, [headline, *problems])


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
    headline = (
        f"documents restored: {len(report.restored)}, already present: {len(report.present)}, "
        f"supersessions restored: {report.links}, renewed copies linked: {report.renewals}"
    )
    issues = (f"  {'error' if i.error else 'note':<5} {i.kind:<17} {i.key}  {i.message}" for i in report.issues)
    _finish_run(report, as_json, [headline, *issues])


def _finish_run(outcome: FixitySummary | RebuildReport, as_json: bool, lines: Iterable[str]) -> None:
    """Print a run over the archive; one that found a problem exits 1, so a scheduler sees it."""
    emit(as_json, outcome.to_dict(), lines)
    if not outcome.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``archive``, ``audit`` and ``catalogue`` command groups to ``app``."""
    archive = {"hold": hold, "release": release, "supersede": supersede, "lineage": lineage, "show": show}
    add_group(app, "archive", "The archive: legal holds, corrections by supersession, lineage.", archive)
    add_group(app, "audit", "Audits of the archive.", {"fixity": fixity})
    add_group(app, "catalogue", "The catalogue as a whole.", {"rebuild": rebuild})
