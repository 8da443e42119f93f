"""The extract stage: the filing metadata read from the OCR stage's pages, by the layout of Nghị định 30."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sohoa.core.domain import DocumentState, PageText
from sohoa.pipeline.indexing import build_search_text
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.stages.work import STAGE_INPUTS, SYSTEM, load_work, work_dir
from sohoa.storage.catalogue import get_document, transition
from sohoa.storage.records import PageRecord

if TYPE_CHECKING:
    from sohoa.ingest.metadata.signature import Signature

__all__ = ["extract_stage"]

log = logging.getLogger(__name__)
S = DocumentState


def _stage_pages(rt: Runtime, document_id: str, page_rows: list[PageRecord]) -> list[PageText]:
    """The OCR stage's pages with word boxes; the catalogue's page texts for documents OCRed before it kept them."""
    from sohoa.ingest.metadata.pagejson import PAGES_NAME, load_pages

    dest = work_dir(rt, document_id) / PAGES_NAME
    if load_work(rt, document_id, PAGES_NAME, dest):
        try:
            return list(load_pages(dest.read_bytes()))
        except ValueError:
            log.warning("unreadable %s for %s: reading the page texts", PAGES_NAME, document_id)
    return [
        PageText(
            index=p.page_index,
            text=p.text,
            source="ocr" if p.source == "ocr" else "text_layer",
            confidence=p.confidence,
        )
        for p in page_rows
    ]


def _look_again(rt: Runtime, document_id: str, last: int) -> Callable[[int], Signature | None]:
    """A second reading of one page's signature block (darkest ink only: under a seal), on demand,
    from the files the OCR stage kept."""
    work = work_dir(rt, document_id)

    def kept(name: str) -> Path | None:
        return work / name if load_work(rt, document_id, name, work / name) else None

    def look(index: int) -> Signature | None:
        from sohoa.ingest.metadata.second_look import dark_ink_signature

        return dark_ink_signature(
            index, last, kept, work / "again", engine=rt.ocr_engine(), languages=rt.settings.ocr_languages
        )

    return look


def extract_stage(rt: Runtime, document_id: str) -> str | None:
    from sqlalchemy import select

    from sohoa.ingest.metadata.filing import file_document
    from sohoa.pipeline.actions.dossiers import read_printed
    from sohoa.registry.dossiers import keep_printed

    with rt.db.session() as session:
        doc = get_document(session, document_id)
        page_rows = list(
            session.scalars(
                select(PageRecord).where(PageRecord.document_id == document_id).order_by(PageRecord.page_index)
            )
        )
    # the same function as ``sohoa extract`` and bench/metadata.py, on the OCR stage's own reading
    pages = _stage_pages(rt, document_id, page_rows)
    filing = file_document(
        pages,
        policy=rt.settings.review_policy,
        upload_procedure_code=doc.procedure_code,
        upload_dossier_code=doc.dossier_code,
        intake_reasons=tuple(doc.review_reasons or ()),
        look_again=None if doc.kept_signature else _look_again(rt, document_id, (doc.page_count or len(pages)) - 1),
    )
    # Owners and validity printed on the pages: a printed owner that is not the dossier's, or a
    # component that repeats an archived paper of the owner, holds the document for review.
    printed = read_printed(rt, document_id, pages, filing.filed.to_dict())
    reasons = filing.reasons + tuple(r for r in printed.reasons if r not in filing.reasons)
    to = S.NEEDS_REVIEW if reasons else S.EXTRACTED
    with rt.db.session() as session:
        moved = transition(
            session,
            document_id,
            expected=STAGE_INPUTS["extract"],
            to=to,
            actor=SYSTEM,
            details={"review_reasons": list(reasons)} if reasons else {},
            metadata_json=filing.record(),
            review_reasons=list(reasons) or None,
            dossier_code=doc.dossier_code or filing.printed.dossier_code,
        )
        if moved:
            keep_printed(session, document_id, printed, actor=SYSTEM)
            fresh = get_document(session, document_id)
            fresh.search_text = build_search_text(session, fresh)
    return "sign" if moved and to is S.EXTRACTED else None
