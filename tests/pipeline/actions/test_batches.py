"""A batch's progress, as the API, the web pages and the live stream all read it."""

from __future__ import annotations

from datetime import UTC, datetime

from sohoa.pipeline.actions.batches import BatchCounts
from sohoa.storage.records import BatchRecord

_BATCH = BatchRecord(id="b", created_at=datetime(2026, 12, 8, tzinfo=UTC), created_by="uploader", source="api")


def test_a_batch_is_finished_when_every_document_rests() -> None:
    running = BatchCounts(_BATCH, {"archived": 2, "ocr_done": 1, "needs_review": 1, "rejected": 1})
    assert (running.total, running.done, running.finished) == (5, 4, False)
    rested = BatchCounts(_BATCH, {"archived": 2, "failed": 1, "needs_review": 1})
    assert (rested.total, rested.done, rested.finished) == (4, 4, True)
    empty = BatchCounts(_BATCH, {})
    assert (empty.total, empty.done, empty.finished) == (0, 0, True)


def test_counts_are_listed_in_pipeline_order_and_unknown_states_do_not_rest() -> None:
    counts = BatchCounts(_BATCH, {"archived": 1, "from_a_newer_release": 2, "received": 3, "ocr_done": 4})
    assert [state for state, _n in counts.in_order()] == ["received", "ocr_done", "archived", "from_a_newer_release"]
    assert counts.done == 1 and not counts.finished
