"""``sohoa extract INPUT [--json]``: print the filing metadata read from one document.

Born-digital PDFs are read from their text layer; scans (and PDFs without usable text) go
through the configured OCR engine page by page. Nothing is stored: this is a look, not an ingest.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from sohoa.cli.common import emit_json, fail, handle_errors, settings_or_exit
from sohoa.core.domain import FileKind, Metadata, PageText
from sohoa.core.settings import Settings
from sohoa.ingest.metadata import extract_metadata

__all__ = ["extract", "read_page_texts", "register"]

_MIN_TEXT_CHARS = 40  # per page: less than this is a scan with a stray text layer


def _ocr_pages(path: Path, kind: FileKind, settings: Settings) -> Iterator[PageText]:
    from sohoa.ingest.ocr_engines import load_engine
    from sohoa.ingest.orientation import straighten_page
    from sohoa.ingest.pages import render_pages

    engine = load_engine(settings)
    with tempfile.TemporaryDirectory(prefix="sohoa-extract-") as tmp:
        work = Path(tmp)
        for image in render_pages(path, kind, work):
            upright, _ = straighten_page(image, work, binary=settings.tesseract, memory_mb=settings.ocr_memory_mb)
            yield engine.ocr_page(upright, work, languages=settings.ocr_languages)
            upright.path.unlink(missing_ok=True)


def read_page_texts(path: Path, settings: Settings) -> list[PageText]:
    """Page texts of ``path``: its own text layer when it has one worth reading, else OCR."""
    from sohoa.ingest.ocr import extract_text_layer
    from sohoa.ingest.sniff import sniff_file

    sniffed = sniff_file(path, max_pages=settings.max_pages)
    if sniffed.kind is FileKind.PDF and sniffed.has_text_layer:
        pages = list(extract_text_layer(path))
        if pages and sum(len(p.text.strip()) for p in pages) >= _MIN_TEXT_CHARS * len(pages):
            return pages
    if sniffed.kind is FileKind.ZIP:
        raise fail("unsupported_type: extract reads one document; unpack the zip first", 2)
    return list(_ocr_pages(path, sniffed.kind, settings))


def _print_table(metadata: Metadata) -> None:
    for key, value in metadata.to_dict().items():
        if key == "confidence" or value in (None, [], ""):
            continue
        shown = "; ".join(value) if isinstance(value, list) else str(value)
        conf = metadata.confidence.get(key)
        typer.echo(f"{key:<17} {shown}" + (f"  ({conf:.2f})" if conf is not None else ""))


def extract(
    input: Annotated[Path, typer.Argument(help="a PDF, TIFF, JPEG or PNG of one document")],
    json: Annotated[bool, typer.Option("--json", help="print the metadata as JSON")] = False,
) -> None:
    """Read the metadata (type, number, date, issuer, subject, signer, codes) of one document."""
    if not input.is_file():
        raise fail(f"not_found: no such file: {input}", 3)
    metadata = extract_metadata(read_page_texts(input, settings_or_exit()))
    if json:
        emit_json(metadata.to_dict())
    else:
        _print_table(metadata)


def register(app: typer.Typer) -> None:
    app.command()(handle_errors(extract))
