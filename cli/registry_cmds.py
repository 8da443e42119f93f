"""Commands over the procedure catalogue, the register of resolved dossiers and coverage reports.

``sohoa procedures import|list``, ``sohoa register import|link|unlink`` and ``sohoa report``.
An import that refused some rows keeps the good ones and exits 2, listing each refused
line, so a script notices and a person knows which lines to fix.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from sohoa.cli.common import add_commands, add_group, cli_actor, emit_json, fail, opened_runtime
from sohoa.registry.sources import ImportReport, SourceFormat

__all__ = ["register"]

_FormatOption = Annotated[
    str | None, typer.Option("--format", help="csv or json (default: by the file's extension or content)")
]
_JsonOption = Annotated[bool, typer.Option("--json", help="print the import report as JSON")]


def _import(which: str, path: Path, fmt: str | None) -> ImportReport:
    from sohoa.pipeline.actions.registry import import_file

    if not path.is_file():
        raise fail(f"not_found: no such file: {path}", 3)
    chosen = None
    if fmt is not None:
        try:
            chosen = SourceFormat(fmt.lower())
        except ValueError:
            raise fail(f"invalid_format: {fmt!r} is not csv or json", 2) from None
    with opened_runtime() as rt, path.open("rb") as fh:
        return import_file(rt, which, fh, filename=path.name, actor=cli_actor(), fmt=chosen)


def _finish_import(what: str, report: ImportReport, as_json: bool) -> None:
    if as_json:
        emit_json(report.to_dict())
    else:
        typer.echo(
            f"{what}: {report.rows} rows, {report.inserted} inserted, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.errors)} refused"
        )
    for error in report.errors:
        key = f" [{error.key}]" if error.key else ""
        typer.echo(f"line {error.line}{key}: {error.code}: {error.message}", err=True)
    if report.errors:
        raise typer.Exit(2)


def _import_command(which: str, file_help: str, summary: str) -> Callable[..., None]:
    """``sohoa procedures import`` and ``sohoa register import``: one command over two registers."""

    def import_command(file: Path, fmt: _FormatOption = None, as_json: _JsonOption = False) -> None:
        _finish_import(which, _import(which, file, fmt), as_json)

    # Typer reads the file argument's help from the annotation, and it names this register's columns.
    import_command.__annotations__["file"] = Annotated[Path, typer.Argument(help=file_help)]
    import_command.__doc__ = summary
    return import_command


procedures_import = _import_command(
    "procedures",
    "CSV with columns code,name,field,agency (or a JSON array)",
    "Load or update the procedure catalogue; existing codes are updated, none is deleted.",
)
register_import = _import_command(
    "register",
    "the register export: CSV (canonical header) or JSON",
    "Import resolved dossiers; re-importing changes nothing, changed rows update their dossier.",
)


def procedures_list(
    query: Annotated[str | None, typer.Option("--query", "-q", help="words of code, name, field or agency")] = None,
    field: Annotated[str | None, typer.Option(help="exact field (lĩnh vực)")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """List the catalogue, ordered by code."""
    from sohoa.pipeline.actions.registry import procedures

    with opened_runtime() as rt:
        found, total = procedures(rt, query=query, field=field, limit=limit)
    if as_json:
        emit_json([p.__dict__ for p in found])
        return
    for p in found:
        typer.echo(f"{p.code}\t{p.name}\t{p.field or ''}\t{p.agency or ''}")
    if total > len(found):
        typer.echo(f"({total - len(found)} more; use --limit)", err=True)


def register_link(
    dossier_code: Annotated[str, typer.Argument(help="mã hồ sơ")],
    document_id: Annotated[str, typer.Argument(help="the document's id")],
) -> None:
    """Link a document to a dossier (overrides the dossier code it came with)."""
    from sohoa.pipeline.actions.registry import link

    with opened_runtime() as rt:
        made = link(rt, document_id, dossier_code, actor=cli_actor())
    note = "" if made.registered else " (not in the register yet)"
    typer.echo(f"document {made.document_id} linked to dossier {made.dossier_code}{note}")


def register_unlink(document_id: Annotated[str, typer.Argument(help="the document's id")]) -> None:
    """Drop a document's link; it goes back to the dossier code it came with."""
    from sohoa.pipeline.actions.registry import unlink

    with opened_runtime() as rt:
        dropped = unlink(rt, document_id, actor=cli_actor())
    typer.echo(f"link of {document_id} removed" if dropped else f"document {document_id} had no link")


def report(
    period: Annotated[str, typer.Option(help="2025-03, 2025-Q1, 2025-H1, 2025-9M or 2025 (Vietnam's calendar)")],
    fmt: Annotated[str, typer.Option("--format", help="json, csv or xlsx")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of stdout")] = None,
    missing: Annotated[bool, typer.Option("--missing", help="CSV: the missing dossiers instead of coverage")] = False,
) -> None:
    """Digitization coverage of dossiers resolved in a period, by procedure, field and overall."""
    from sohoa.core.periods import parse_period
    from sohoa.pipeline.actions.reports import coverage_file, period_title
    from sohoa.registry.export import ReportFormat, ReportTable

    try:
        chosen_format = ReportFormat(fmt.lower())
    except ValueError:
        raise fail(f"invalid_format: {fmt!r} is not json, csv or xlsx", 2) from None
    chosen = parse_period(period)
    table = ReportTable.MISSING if missing else ReportTable.COVERAGE
    if output is None and chosen_format is ReportFormat.XLSX and sys.stdout.isatty():
        raise fail("a workbook is not for a terminal: use -o FILE.xlsx", 2)
    with opened_runtime() as rt:
        # the server's operator: owners' numbers in full, as in the catalogue they can read anyway
        made = coverage_file(rt, chosen, chosen_format, table=table, actor=cli_actor(), full_owner_ids=True)
    if output is not None:
        output.write_bytes(made.content)
        typer.echo(f"report {chosen.label} ({period_title(chosen)}) written to {output}", err=True)
        return
    content = made.content
    if chosen_format is ReportFormat.CSV:
        content = content.removeprefix("\ufeff".encode())  # Excel wants the BOM in a file; a pipe does not
    sys.stdout.buffer.write(content)
    if chosen_format is ReportFormat.JSON:
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    procedures = {"import": procedures_import, "list": procedures_list}
    add_group(app, "procedures", "The procedure catalogue (danh mục thủ tục hành chính).", procedures)
    register_cmds = {"import": register_import, "link": register_link, "unlink": register_unlink}
    add_group(app, "register", "The register of resolved dossiers from the one-stop system.", register_cmds)
    add_commands(app, {"report": report})
