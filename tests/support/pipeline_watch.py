"""Watching a running server's pipeline from beside it: distinct scans to send, the catalogue as it
is now, and waiting until nothing is left in flight."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from sohoa.core.domain import DocumentState
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.records import DocumentRecord
from tests.support.pdfs import make_text_image

__all__ = ["IN_FLIGHT", "distinct_scans", "documents", "settled", "sha256_of", "wait_for"]

S = DocumentState
IN_FLIGHT = frozenset({S.RECEIVED, S.OCR_DONE, S.EXTRACTED, S.NEEDS_REVIEW, S.APPROVED, S.SIGNED})


def distinct_scans(folder: Path, prefix: str, count: int) -> list[Path]:
    """``count`` small page images, each with text of its own (so each is a file of its own)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        make_text_image(
            folder / f"{prefix}{n}.png",
            ["QUYẾT ĐỊNH", f"Số: {n}/QĐ-{prefix.upper()}", f"Về việc cấp giấy phép {prefix}{n}"],
            dpi=100,
            size=(600, 400),
        )
        for n in range(1, count + 1)
    ]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def documents(rt: Runtime) -> list[DocumentRecord]:
    with rt.db.session() as session:
        docs = list(session.scalars(select(DocumentRecord)))
        session.expunge_all()
    return docs


def settled(rt: Runtime) -> bool:
    """No document is on its way any more (each archived, rejected or failed)."""
    return not any(S(d.state) in IN_FLIGHT for d in documents(rt))
