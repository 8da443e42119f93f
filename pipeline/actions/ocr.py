"""One file to a searchable PDF (``sohoa ocr``), as OCRmyPDF does for one input: no catalogue, no
signature. The pages are read by the same code as the pipeline's OCR stage."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sohoa.core.domain import FileKind, PageText
from sohoa.core.errors import InputRejected
from sohoa.core.settings import Settings
from sohoa.ingest.ocr import make_searchable_pdf
from sohoa.ingest.ocr_engines import TesseractEngine, load_engine
from sohoa.ingest.sniff import sniff_file
from sohoa.ingest.textlayer import text_layer_pages

__all__ = ["ocr_file"]


def ocr_file(
    settings: Settings, input_path: Path, output_path: Path, *, languages: str, force_ocr: bool, pdfa: bool
) -> list[PageText]:
    """OCR ``input_path`` into ``output_path``; the page texts. Refusals are ``InputRejected``."""
    if not input_path.is_file():
        raise InputRejected(f"no such file: {input_path}", code="not_found")
    sniffed = sniff_file(input_path, max_pages=settings.max_pages)
    if sniffed.kind is FileKind.ZIP:
        raise InputRejected("a zip archive holds several documents: upload it instead", code="unsupported_type")
    if sniffed.signed and not force_ocr:
        raise InputRejected(
            "the PDF is already signed; rewriting it would break the signature (use --force-ocr)",
            code="already_signed",
        )
    engine = load_engine(settings)
    if isinstance(engine, TesseractEngine):
        engine.check(languages)
    text_pages: frozenset[int] = frozenset()
    if not force_ocr and sniffed.kind is FileKind.PDF:
        # The pages whose own text the OCR stage keeps (typed pages, not a scan's old OCR layer).
        text_pages = text_layer_pages(input_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as work:
        result = make_searchable_pdf(
            input_path,
            sniffed.kind,
            output_path,
            Path(work),
            engine=engine,
            languages=languages,
            processes=settings.ocr_processes,
            force_ocr=force_ocr,
            text_layer_pages=text_pages,
            xmp={"title": input_path.stem},
            pdfa=pdfa,
        )
    return list(result.pages)
