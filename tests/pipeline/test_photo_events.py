"""Through the pipeline: the OCR stage's event names the pages found to be photos, and a photo whose
page cannot be found waits for a person (``photo_page_not_found``) whatever the review policy."""

from __future__ import annotations

import random
from pathlib import Path

from sohoa.core.domain import DocumentState
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document, list_events
from tests.ingest.labelled.generator import generate
from tests.ingest.labelled.photos import draw_document, photograph
from tests.support.flows import ingest_one


def _photo(tmp_path: Path, name: str, background: str) -> Path:
    [doc] = generate(1, seed=77)
    page = draw_document(doc, random.Random(3))
    photo, _ = photograph(page.image, random.Random(5), background=background)
    path = tmp_path / name
    photo.save(path, quality=90)  # a phone's JPEG: no resolution, a 3:4 frame
    return path


def _ocr_event(rt: Runtime, doc_id: str) -> dict:
    with rt.db.session() as session:
        events = list_events(session, document_id=doc_id, limit=100)
        [event] = [e for e in events if e.action == "document.state" and e.to_state == DocumentState.OCR_DONE]
    return event.details or {}


def test_a_photographed_page_is_named_in_the_ocr_event(runtime: Runtime, tmp_path: Path) -> None:
    doc_id = ingest_one(runtime, _photo(tmp_path, "anh-chup.jpg", "desk"))
    assert _ocr_event(runtime, doc_id).get("photo_pages") == [1]
    with runtime.db.session() as session:
        assert "photo_page_not_found" not in (get_document(session, doc_id).review_reasons or [])


def test_a_photo_without_a_findable_page_goes_to_review(runtime: Runtime, tmp_path: Path) -> None:
    assert runtime.settings.review_policy == "never"
    doc_id = ingest_one(runtime, _photo(tmp_path, "anh-chup.jpg", "white"))
    assert _ocr_event(runtime, doc_id).get("photo_pages_not_found") == [1]
    with runtime.db.session() as session:
        doc = get_document(session, doc_id)
    assert doc.state == DocumentState.NEEDS_REVIEW, (doc.state, doc.reason_code)
    assert "photo_page_not_found" in (doc.review_reasons or [])
