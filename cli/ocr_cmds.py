"""``sohoa ocr INPUT OUTPUT.pdf``: one file to a searchable PDF/A, like ``ocrmypdf in out``.

Exit status: 0 done, 2 input refused (the reason on one stderr line), 1 anything else.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sohoa.cli.common import settings_or_exit
from sohoa.core.errors import InputRejected, SohoaError

__all__ = ["ocr_command", "register"]


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
    from sohoa.pipeline.actions.ocr import ocr_file

    settings = settings_or_exit()  # a bad SOHOA_* value: one line and exit 6, as every command
    try:
        pages = ocr_file(settings, input_path, output_path, languages=lang, force_ocr=force_ocr, pdfa=not no_pdfa)
        if sidecar is not None:
            sidecar.write_text("\f".join(page.text for page in pages), encoding="utf-8")
    except InputRejected as exc:
        raise _fail(f"sohoa ocr: refused: {exc.code}: {exc.message}", 2) from exc
    except SohoaError as exc:
        raise _fail(f"sohoa ocr: error: {exc.code}: {exc.message}", 1) from exc
    except Exception as exc:
        raise _fail(f"sohoa ocr: internal error: {type(exc).__name__}: {exc}", 1) from exc


def register(app: typer.Typer) -> None:
    app.command("ocr")(ocr_command)
