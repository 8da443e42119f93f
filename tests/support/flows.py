"""Documents through the embedded pipeline, as most tests need them: accepted, processed, checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sohoa.core.domain import DocumentState
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document
from sohoa.storage.records import DocumentRecord
from tests.support.codes import PROCEDURE

__all__ = ["archive_one", "ingest", "ingest_one"]


def ingest(rt: Runtime, paths: list[Path], *, procedure_code: str | None = PROCEDURE, **kwargs: Any) -> list[str]:
    """Accept ``paths`` as a tester would upload them and wait for the in-process workers; the ids."""
    kwargs.setdefault("actor", "tester")
    result = accept_paths(rt, list(paths), procedure_code=procedure_code, **kwargs)
    assert rt.queue is not None
    rt.queue.join()  # type: ignore[attr-defined]
    return [doc.id for doc in result.documents]


def ingest_one(rt: Runtime, *paths: Path, **kwargs: Any) -> str:
    """One document from ``paths`` (whatever state it reached)."""
    ids = ingest(rt, list(paths), **kwargs)
    assert len(ids) == 1, ids
    return ids[0]


def archive_one(rt: Runtime, *paths: Path, **kwargs: Any) -> DocumentRecord:
    """One document from ``paths``, which must reach ``archived``; its catalogue record."""
    doc_id = ingest_one(rt, *paths, **kwargs)
    with rt.db.session() as session:
        doc = get_document(session, doc_id)
    assert doc.state == DocumentState.ARCHIVED, (doc.state, doc.reason_code, doc.reason_message)
    return doc
