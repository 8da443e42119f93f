"""``sohoa ocr INPUT OUTPUT.pdf``: one file to a searchable PDF/A, like ``ocrmypdf in out``.

Exit status: 0 done, 2 input refused (the reason on one stderr line), 1 anything else.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from sohoa.cli.common import settings_or_exit
from sohoa.core.domain import FileKind, SniffResult
from sohoa.core.errors import InputRejected, SohoaError

__all__ = ["ocr_command", "register"]


def _sniff(path: Path, max_pages: int) -> SniffResult:
    # Imported here: intake (ingest.sniff) is written by another owner and loaded on use.
    from sohoa.ingest.sniff import sniff_file

    return sniff_file(path, max_pages=max_pages)


def _text_layer_pages(path: Path, sniffed: SniffResult) -> frozenset[int]:
    if sniffed.kind is not FileKind.PDF or not sniffed.has_text_layer:
        return frozenset()
    from sohoa.ingest.ocr import extract_text_layer

    return frozenset(page.index for page in extract_text_layer(path) if page.text.strip())


def _fail(message: str, code: int) -> typer.Exit:
    print(" ".join(message.split()), file=sys.stderr)
    return typer.Exit(code)


def ocr_command(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="PDF, PNG, JPEG or TIFF file")],
    output_path: Annotated[Path, typer.Argument(metavar="OUTPUT.pdf", help="searchable PDF to write")],
    lang: Annotated[str, typer.Option("--lang", "-l", help="tesseract languages, e.g. vie or vie+eng")] = "vie",
    force_ocr: Annotated[
        bool, typer.Option("--force-ocr", help="rasterize and OCR pages that already have text")
    ] = False,
    no_pdfa: Annotated[bool, typer.Option("--no-pdfa", help="plain PDF, not PDF/A-2b")] = False,
    sidecar: Annotated[
        Path | None, typer.Option("--sidecar", metavar="OUT.txt", help="also write the text, pages split by \\f")
    ] = None,
) -> None:
    """OCR INPUT into a searchable OUTPUT.pdf (text layer over the page images)."""
    from sohoa.ingest.ocr import make_searchable_pdf
    from sohoa.ingest.ocr_engines import TesseractEngine, load_engine

    settings = settings_or_exit()  # a bad SOHOA_* value: one line and exit 6, as every command
    try:
        if not input_path.is_file():
            raise InputRejected(f"no such file: {input_path}", code="not_found")
        sniffed = _sniff(input_path, settings.max_pages)
        if sniffed.kind is FileKind.ZIP:
            raise InputRejected("a zip archive holds several documents: upload it instead", code="unsupported_type")
        if sniffed.signed and not force_ocr:
            raise InputRejected(
                "the PDF is already signed; rewriting it would break the signature (use --force-ocr)",
                code="already_signed",
            )
        engine = load_engine(settings)
        if isinstance(engine, TesseractEngine):
            engine.check(lang)
        output_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as work:
            result = make_searchable_pdf(
                input_path,
                sniffed.kind,
                output_path,
                Path(work),
                engine=engine,
                languages=lang,
                processes=settings.ocr_processes,
                force_ocr=force_ocr,
                text_layer_pages=frozenset() if force_ocr else _text_layer_pages(input_path, sniffed),
                xmp={"title": input_path.stem},
                pdfa=not no_pdfa,
            )
        if sidecar is not None:
            sidecar.write_text("\f".join(page.text for page in result.pages), encoding="utf-8")
    except InputRejected as exc:
        raise _fail(f"sohoa ocr: refused: {exc.code}: {exc.message}", 2) from exc
    except SohoaError as exc:
        raise _fail(f"sohoa ocr: error: {exc.code}: {exc.message}", 1) from exc
    except Exception as exc:
        raise _fail(f"sohoa ocr: internal error: {type(exc).__name__}: {exc}", 1) from exc


def register(app: typer.Typer) -> None:
    app.command("ocr")(ocr_command)
