"""``sohoa extract INPUT [--json]``: print the filing metadata read from one document.

The pages are read exactly as the pipeline's OCR stage reads them (the same OCR of every page,
or the text layer of a PDF whose signature must be kept) and go through the extract stage's own
function, so what this shows is what ``sohoa ingest`` files. Nothing is stored: a look, not an ingest.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from sohoa.cli.common import emit_json, fail, handle_errors, settings_or_exit
from sohoa.core.domain import FileKind, Metadata, PageText
from sohoa.core.settings import Settings
from sohoa.ingest.metadata.filing import Filing, file_document

__all__ = ["Reading", "extract", "read_filing", "read_page_texts", "read_pages", "reading", "register"]


@dataclass(frozen=True)
class Reading:
    """A document read as the pipeline's OCR stage reads it."""

    pages: list[PageText]
    ocr_reasons: tuple[str, ...]  # the OCR stage's reasons for a person to look (a photo read as shot)
    look_again: Callable[[int], PageText | None] | None  # a second look at a page (see second_look)


@contextmanager
def reading(path: Path, settings: Settings) -> Iterator[Reading]:
    """Read ``path`` as the OCR stage does; the searchable PDF lives until the block ends, for a second look."""
    from sohoa.ingest.metadata.second_look import dark_ink_page
    from sohoa.ingest.ocr import extract_text_layer, make_searchable_pdf
    from sohoa.ingest.ocr_engines import load_engine
    from sohoa.ingest.sniff import sniff_file

    sniffed = sniff_file(path, max_pages=settings.max_pages)
    if sniffed.kind is FileKind.ZIP:
        raise fail("unsupported_type: extract reads one document; unpack the zip first", 2)
    if sniffed.signed:
        # the pipeline keeps a signed PDF's bytes and reads its layer: nothing to look at again
        yield Reading(list(extract_text_layer(path)), (), None)
        return
    engine = load_engine(settings)
    with tempfile.TemporaryDirectory(prefix="sohoa-extract-") as tmp:
        work = Path(tmp)
        # PDF/A conversion changes the output file only, never the page texts: skipped for a look
        result = make_searchable_pdf(
            path,
            sniffed.kind,
            work / "ocr.pdf",
            work / "scratch",
            engine=engine,
            languages=settings.ocr_languages,
            processes=settings.ocr_processes,
            pdfa=False,
        )

        def look_again(index: int) -> PageText | None:
            return dark_ink_page(
                work / "ocr.pdf", index, work / "again", engine=engine, languages=settings.ocr_languages
            )

        yield Reading(list(result.pages), result.review_reasons, look_again)


def read_pages(path: Path, settings: Settings) -> tuple[list[PageText], tuple[str, ...]]:
    """Page texts of ``path`` with their word boxes, as the pipeline's OCR stage reads them, and the
    reasons that stage gives for a person to look (a photo read as shot)."""
    with reading(path, settings) as read:
        return read.pages, read.ocr_reasons


def read_page_texts(path: Path, settings: Settings) -> list[PageText]:
    """Page texts of ``path`` with their word boxes, as the pipeline's OCR stage reads them."""
    return read_pages(path, settings)[0]


def read_filing(path: Path, settings: Settings, *, procedure_code: str | None = None) -> Filing:
    """What the pipeline's extract stage would decide for ``path`` uploaded with ``procedure_code``."""
    with reading(path, settings) as read:
        return file_document(
            read.pages,
            policy=settings.review_policy,
            upload_procedure_code=procedure_code,
            intake_reasons=read.ocr_reasons,
            look_again=read.look_again,
        )


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
