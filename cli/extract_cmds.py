"""``sohoa extract INPUT [--json]``: print the filing metadata read from one document.

The pages are read exactly as the pipeline's OCR stage reads them (the same OCR of every page,
or the text layer of a PDF whose signature must be kept) and go through the extract stage's own
function, so what this shows is what ``sohoa ingest`` files. Nothing is stored: a look, not an ingest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sohoa.cli.common import emit_json, fail, handle_errors, settings_or_exit
from sohoa.core.domain import Metadata
from sohoa.pipeline.actions.extract import read_filing

__all__ = ["extract", "register"]


def _print_table(metadata: Metadata, reasons: tuple[str, ...]) -> None:
    for key, value in metadata.to_dict().items():
        if key == "confidence" or value in (None, [], ""):
            continue
        shown = "; ".join(value) if isinstance(value, list) else str(value)
        conf = metadata.confidence.get(key)
        typer.echo(f"{key:<17} {shown}" + (f"  ({conf:.2f})" if conf is not None else ""))
    if reasons:
        typer.echo(f"{'review':<17} {'; '.join(reasons)}")


def extract(
    input: Annotated[Path, typer.Argument(help="a PDF, TIFF, JPEG or PNG of one document")],
    json: Annotated[bool, typer.Option("--json", help="print the metadata as JSON")] = False,
    procedure: Annotated[
        str | None, typer.Option("--procedure", help="the procedure code an upload would give (for review)")
    ] = None,
) -> None:
    """Read the metadata (type, number, date, issuer, subject, signer, codes) of one document."""
    if not input.is_file():
        raise fail(f"not_found: no such file: {input}", 3)
    filing = read_filing(input, settings_or_exit(), procedure_code=procedure)
    if json:
        # the printed metadata, and why the pipeline would hold the document for review (policy as set)
        emit_json({**filing.printed.to_dict(), "review_reasons": list(filing.reasons)})
    else:
        _print_table(filing.printed, filing.reasons)


def register(app: typer.Typer) -> None:
    app.command()(handle_errors(extract))
