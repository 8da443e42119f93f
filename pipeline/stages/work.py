"""What every stage shares: its input states, the document's work area and the stage outputs that
travel through the object store (``work/{document_id}/...``), so the next stage may run elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState, FileKind
from sohoa.core.errors import NotFound
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import transition
from sohoa.storage.document_parts import PARTS_KIND, DocumentPart, list_parts
from sohoa.storage.objectstore import original_key
from sohoa.storage.records import DocumentRecord

__all__ = [
    "STAGE_INPUTS",
    "SYSTEM",
    "fetch_original",
    "fetch_parts",
    "leave_stage",
    "load_work",
    "original_page",
    "save_work",
    "work_dir",
    "work_key",
]

SYSTEM = "system"
S = DocumentState

STAGE_INPUTS: dict[str, tuple[DocumentState, ...]] = {
    "ocr": (S.RECEIVED,),
    "extract": (S.OCR_DONE,),
    "sign": (S.EXTRACTED, S.APPROVED),
    "archive": (S.SIGNED,),
}


def leave_stage(
    session: Session, document_id: str, stage: str, to: DocumentState, *, details: dict[str, Any], **fields: Any
) -> bool:
    """Move a document out of ``stage`` to ``to`` with the fields the stage found, as the system. False
    when it was no longer in the stage's input states (another worker or a repeated task got there
    first): the stage then hands nothing on, so each stage's work counts once."""
    return transition(
        session, document_id, expected=STAGE_INPUTS[stage], to=to, actor=SYSTEM, details=details, **fields
    )


def work_dir(rt: Runtime, document_id: str) -> Path:
    path = rt.settings.work_dir / document_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def work_key(document_id: str, name: str) -> str:
    return f"work/{document_id}/{name}"


def save_work(rt: Runtime, document_id: str, name: str, path: Path, content_type: str = "application/pdf") -> None:
    """Stage outputs go to the object store: the next stage may run on another machine."""
    rt.store.put_file(work_key(document_id, name), path, content_type=content_type)


def load_work(rt: Runtime, document_id: str, name: str, dest: Path) -> bool:
    key = work_key(document_id, name)
    if not rt.store.exists(key):
        return False
    rt.store.get_file(key, dest, verify=True)
    return True


def fetch_original(rt: Runtime, doc: DocumentRecord, dest_dir: Path) -> Path:
    assert doc.original_key is not None
    dest = dest_dir / f"original.{doc.original_kind or 'bin'}"
    if not dest.exists():
        rt.store.get_file(doc.original_key, dest, verify=True)
    return dest


def original_page(rt: Runtime, doc: DocumentRecord, index: int) -> tuple[str, FileKind, int] | None:
    """Where page ``index`` (0-based) of a document's original is: the object, its kind, and the page
    in it; None when no original is kept. A document of several files finds the file holding it."""
    if doc.original_key is None or doc.original_kind is None:
        return None
    if doc.original_kind != PARTS_KIND:
        return doc.original_key, FileKind(doc.original_kind), index
    with rt.db.session() as session:
        parts = list_parts(session, doc.id)
    for part in parts:
        if 0 <= index < part.page_count:
            return original_key(part.sha256), FileKind(part.kind), index
        index -= part.page_count
    raise NotFound("the document has no such page", code="page_out_of_range")


def fetch_parts(rt: Runtime, parts: Sequence[DocumentPart], dest_dir: Path) -> list[tuple[Path, FileKind]]:
    """The files of a document of several, in page order, each checked against its hash."""
    out: list[tuple[Path, FileKind]] = []
    for position, part in enumerate(parts):
        dest = dest_dir / f"part-{position:04d}.{part.kind}"
        if not dest.exists():
            rt.store.get_file(original_key(part.sha256), dest, verify=True)
        out.append((dest, FileKind(part.kind)))
    return out
