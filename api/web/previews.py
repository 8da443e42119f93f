"""A page of a document as a PNG, for reviewing it beside its fields.

The source is the best copy there is: the searchable work PDF of the OCR stage, else the signed
archive copy, else the original (a PDF rendered with pdfium, an image converted with Pillow).
"""

from __future__ import annotations

import io
import tempfile
import threading
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from sohoa.core.domain import FileKind
from sohoa.core.errors import InputRejected, NotFound
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.stages.work import original_page
from sohoa.storage.records import DocumentRecord

__all__ = ["PREVIEW_WIDTH", "render_preview"]

PREVIEW_WIDTH = 1100  # pixels: sharp enough to read small print at a 1366-pixel screen's half
# pdfium is not thread-safe, and the API serves pages from a thread pool.
_PDFIUM = threading.Lock()


def _pdf_page(path: Path, index: int) -> Image.Image:
    with _PDFIUM:
        pdf = pdfium.PdfDocument(path)
        try:
            if not 0 <= index < len(pdf):
                raise NotFound(f"page {index + 1} does not exist", code="page_out_of_range")
            page = pdf[index]
            try:
                scale = PREVIEW_WIDTH / page.get_width()
                return page.render(scale=scale).to_pil()
            finally:
                page.close()
        finally:
            pdf.close()


def _image_page(path: Path, index: int) -> Image.Image:
    with Image.open(path) as img:
        frames = getattr(img, "n_frames", 1)
        if not 0 <= index < frames:
            raise NotFound(f"page {index + 1} does not exist", code="page_out_of_range")
        img.seek(index)
        page = img.convert("L" if img.mode in ("1", "L", "I;16") else "RGB")
    if page.width > PREVIEW_WIDTH:
        page = page.resize((PREVIEW_WIDTH, round(page.height * PREVIEW_WIDTH / page.width)))
    return page


def _source(rt: Runtime, doc: DocumentRecord, index: int) -> tuple[str, bool, int]:
    """The object key to render, whether it is a PDF, and the page in it (a document of several
    files is shown from the file that holds the page)."""
    work = f"work/{doc.id}/ocr.pdf"
    if rt.store.exists(work):
        return work, True, index
    if doc.archive_key:
        return doc.archive_key, True, index
    found = original_page(rt, doc, index)
    if found is not None:
        key, kind, page = found
        return key, kind is FileKind.PDF, page
    raise NotFound("this document has no stored copy to show", code="file_not_available")


def render_preview(rt: Runtime, doc: DocumentRecord, index: int) -> bytes:
    """Page ``index`` (0-based) of ``doc`` as PNG bytes."""
    key, is_pdf, index = _source(rt, doc, index)
    with tempfile.TemporaryDirectory(dir=rt.settings.work_dir) as tmp:
        local = Path(tmp) / "source"
        rt.store.get_file(key, local, verify=False)
        try:
            image = _pdf_page(local, index) if is_pdf else _image_page(local, index)
        except (pdfium.PdfiumError, OSError) as exc:
            raise InputRejected("the stored copy cannot be shown as an image", code="preview_failed") from exc
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
