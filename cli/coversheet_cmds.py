"""``sohoa coversheet``: print the cover sheets staff put on top of each dossier before scanning a stack."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sohoa.cli.common import DossierOption, ProcedureOption, fail, handle_errors
from sohoa.core.errors import InputRejected

if TYPE_CHECKING:
    from sohoa.ingest.coversheet import SheetEntry

__all__ = ["register"]

_COLUMNS = ("procedure_code", "dossier_code", "title", "applicant")
_MAX_ROWS = 5000


def _register_list(path: Path) -> list[SheetEntry]:
    """Entries of a CSV register list with a header row naming the columns (UTF-8, Excel's BOM allowed)."""
    from sohoa.ingest.coversheet import SheetEntry

    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputRejected(f"cannot read the register list {path}: {exc}", code="invalid_register") from exc
    if not rows or not {"procedure_code", "dossier_code"} <= set(rows[0]):
        raise InputRejected(
            f"{path}: expected a header row with the columns {', '.join(_COLUMNS)} (title, applicant optional)",
            code="invalid_register",
        )
    if len(rows) > _MAX_ROWS:
        raise InputRejected(f"{path}: more than {_MAX_ROWS} rows", code="invalid_register")
    return [
        SheetEntry(
            (row.get("procedure_code") or "").strip(),
            (row.get("dossier_code") or "").strip(),
            (row.get("title") or "").strip() or None,
            (row.get("applicant") or "").strip() or None,
        )
        for row in rows
    ]


def coversheet(
    procedure: ProcedureOption = None,
    dossier: DossierOption = None,
    title: Annotated[str | None, typer.Option("--title", help="dossier title, printed for people")] = None,
    applicant: Annotated[str | None, typer.Option("--applicant", help="applicant (người nộp)")] = None,
    register_list: Annotated[
        Path | None,
        typer.Option("--list", help="CSV with procedure_code,dossier_code[,title,applicant]: one sheet per row"),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="PDF file to write")] = None,
) -> None:
    """Print a cover sheet (phiếu bìa) per dossier: scan a stack with one on top of each dossier."""
    from sohoa.ingest.coversheet import SheetEntry
    from sohoa.pipeline.actions.coversheets import cover_sheets

    if register_list is not None:
        if procedure or dossier:
            raise fail("usage: give either --list or --procedure and --dossier", 2)
        entries = _register_list(register_list)
        default_name = f"phieu-bia-{register_list.stem}.pdf"
    else:
        if not procedure or not dossier:
            raise fail("usage: --procedure and --dossier are required (or --list FILE)", 2)
        entries = [SheetEntry(procedure, dossier, title, applicant)]
        default_name = f"phieu-bia-{re.sub(r'[^0-9A-Za-z.-]+', '_', dossier)}.pdf"
    pdf = cover_sheets(entries)
    target = output or Path(default_name)
    target.write_bytes(pdf)
    typer.echo(f"wrote {target} ({len(entries)} cover sheet{'s' if len(entries) != 1 else ''})")


def register(app: typer.Typer) -> None:
    app.command("coversheet")(handle_errors(coversheet))
