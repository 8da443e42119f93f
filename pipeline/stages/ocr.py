"""The OCR stage: the original's pages read (or their text layer kept) into a searchable PDF.

A document uploaded as several files (one image per page) is read from all of them, in order,
into one PDF; a born-digital page keeps its own text and the event lists which pages were OCRed."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sohoa.core.domain import DocumentState, FileKind, PageText
from sohoa.core.text import nfc
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.stages.work import (
    STAGE_INPUTS,
    SYSTEM,
    fetch_original,
    fetch_parts,
    save_work,
    work_dir,
)
from sohoa.storage.catalogue import get_document, replace_pages, transition
from sohoa.storage.document_parts import PARTS_KIND, DocumentPart, list_parts
from sohoa.storage.records import DocumentRecord, PageRecord

if TYPE_CHECKING:
    from sohoa.ingest.ocr import SourceFile

__all__ = ["ocr_stage"]

log = logging.getLogger(__name__)
S = DocumentState


def _progress_for(rt: Runtime, document_id: str) -> Callable[[int, int], None] | None:
    hook = rt.progress
    if hook is None:
        return None
    return lambda done, total: hook(document_id, done, total)


def _sources(rt: Runtime, doc: DocumentRecord, parts: list[DocumentPart], work: Path) -> list[SourceFile]:
    """The document's files in page order, each PDF with the pages whose own text is kept."""
    from sohoa.ingest.ocr import SourceFile
    from sohoa.ingest.textlayer import text_layer_pages

    if parts:
        files = fetch_parts(rt, parts, work)
    else:
        files = [(fetch_original(rt, doc, work), FileKind(doc.original_kind or "pdf"))]
    # A page that already carries real text (a born-digital page) is kept with its text, fonts
    # and bytes, as OCRmyPDF's --skip-text keeps it; only the other pages are OCRed.
    return [
        SourceFile(path, kind, text_layer_pages(path) if kind is FileKind.PDF else frozenset()) for path, kind in files
    ]


def ocr_stage(rt: Runtime, document_id: str) -> str | None:
    from sohoa.ingest.ocr import extract_text_layer, make_document_pdf

    with rt.db.session() as session:
        doc = get_document(session, document_id)
        parts = list_parts(session, document_id) if doc.original_kind == PARTS_KIND else []
    work = work_dir(rt, document_id)
    output = work / "ocr.pdf"
    if doc.kept_signature:
        # Any rewrite would break the existing signatures: keep the bytes, read the text layer.
        original = fetch_original(rt, doc, work)
        pages: tuple[PageText, ...] = extract_text_layer(original)
        shutil.copyfile(original, output)
        confidence = None
        ocr_details: dict[str, Any] = {}
        photo_reasons: tuple[str, ...] = ()
        last_page: Path | None = None
    else:
        result = make_document_pdf(
            _sources(rt, doc, parts, work),
            output,
            work / "scratch",
            engine=rt.ocr_engine(),
            languages=rt.settings.ocr_languages,
            processes=rt.settings.ocr_processes,
            xmp={
                "title": doc.filename,
                "procedure_code": doc.procedure_code or "",
                "dossier_code": doc.dossier_code or "",
                "original_sha256": doc.original_sha256,
                "document_id": doc.id,
            },
            progress=_progress_for(rt, document_id),
        )
        pages, confidence, last_page = result.pages, result.mean_confidence, result.last_page_image
        # Which pages were photos (flattened, or read as shot): the event says; a photo read as
        # shot waits for a person, through the reasons the extract stage keeps under every policy.
        ocr_details, photo_reasons = dict(result.event_details()), result.review_reasons
        if parts:
            ocr_details["files"] = len(parts)
        if not result.pdfa:
            ocr_details["pdfa"] = False  # a page kept as it came may not meet PDF/A
    save_work(rt, document_id, "ocr.pdf", output)
    _save_pages(rt, document_id, pages, work)
    if last_page is not None:
        from sohoa.ingest.ocr import LAST_PAGE_NAME

        # the extract stage's second look at the signature block reads it rather than the PDF's JPEG
        save_work(rt, document_id, LAST_PAGE_NAME, last_page, "image/png")
    with rt.db.session() as session:
        replace_pages(
            session,
            document_id,
            [
                PageRecord(
                    document_id=document_id,
                    page_index=p.index,
                    text=nfc(p.text),
                    source=p.source,
                    confidence=p.confidence,
                )
                for p in pages
            ],
        )
        moved = transition(
            session,
            document_id,
            expected=STAGE_INPUTS["ocr"],
            to=S.OCR_DONE,
            actor=SYSTEM,
            details={"pages": len(pages), "mean_confidence": confidence, **ocr_details},
            page_count=len(pages),
            mean_confidence=confidence,
            reason_code=None,
            reason_message=None,
            **(
                {"review_reasons": list(dict.fromkeys([*(doc.review_reasons or ()), *photo_reasons]))}
                if photo_reasons
                else {}
            ),
        )
    return "extract" if moved else None


def _save_pages(rt: Runtime, document_id: str, pages: tuple[PageText, ...], work: Path) -> None:
    """The pages with their word boxes, for the extract stage's layout reading (the catalogue keeps text only)."""
    from sohoa.ingest.metadata.pagejson import PAGES_NAME, dump_pages

    path = work / PAGES_NAME
    path.write_bytes(dump_pages(pages))
    save_work(rt, document_id, PAGES_NAME, path, "application/json")
