"""The files of a document uploaded as several (one image per page): each an original, in page order.

A document of several files names them here, first page first. Each file is stored whole under
its own content address (``originals/{sha256}``) like any original, so a page is kept exactly as
it came and a leftover-cleanup never takes one a document still needs; the document's own
``original_sha256`` is the hash of the ordered list (see :func:`parts_manifest`), claimed in
``originals`` like a single file's, so uploading the same pages in the same order again finds the
document that holds them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import BigInteger, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sohoa.storage.chunks import present
from sohoa.storage.records import Base

__all__ = [
    "PARTS_KIND",
    "PARTS_MEDIA_TYPE",
    "DocumentPart",
    "DocumentPartRecord",
    "add_parts",
    "list_parts",
    "manifest_sha256",
    "parts_manifest",
    "read_manifest",
    "referenced_parts",
]

PARTS_KIND = "parts"  # ``documents.original_kind`` of a document made of several files
PARTS_MEDIA_TYPE = "application/vnd.sohoa.parts+json"
_FORMAT = "sohoa.parts/1"


class DocumentPartRecord(Base):
    __tablename__ = "document_parts"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0-based, page order
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(8))
    page_count: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)


@dataclass(frozen=True)
class DocumentPart:
    """One file of a document, as intake found it."""

    sha256: str
    filename: str
    kind: str  # FileKind value
    page_count: int
    size: int


def parts_manifest(parts: Sequence[DocumentPart]) -> bytes:
    """The canonical description of a document's files, in page order: what each file's bytes are.

    File names are left out: the same pages sent under other names are the same document (kind,
    pages and size follow from the bytes). Its sha256 is the document's ``original_sha256``;
    stored under ``originals/`` beside the files, it lets a catalogue rebuilt from the store name
    a signed document's files again (see :func:`read_manifest`).
    """
    body = {
        "format": _FORMAT,
        "parts": [{"sha256": p.sha256, "kind": p.kind, "pages": p.page_count, "size": p.size} for p in parts],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")


def read_manifest(data: bytes) -> list[DocumentPart]:
    """The files a stored manifest names, in page order; their names are not in it (``part-N.kind``).

    ``ValueError`` when the bytes are not a manifest."""
    body = json.loads(data.decode("ascii"))
    if not isinstance(body, dict) or body.get("format") != _FORMAT or not isinstance(body.get("parts"), list):
        raise ValueError("not a sohoa parts manifest")
    return [
        DocumentPart(str(p["sha256"]), f"part-{n}.{p['kind']}", str(p["kind"]), int(p["pages"]), int(p["size"]))
        for n, p in enumerate(body["parts"], start=1)
    ]


def manifest_sha256(parts: Sequence[DocumentPart]) -> str:
    return hashlib.sha256(parts_manifest(parts)).hexdigest()


def add_parts(session: Session, document_id: str, parts: Sequence[DocumentPart]) -> None:
    """Name a new document's files, in the caller's transaction (with the document row)."""
    session.add_all(
        # A part's fields are the record's columns, named alike.
        DocumentPartRecord(document_id=document_id, position=position, **asdict(part))
        for position, part in enumerate(parts)
    )
    session.flush()


def list_parts(session: Session, document_id: str) -> list[DocumentPart]:
    """A document's files in page order (empty for a document of one file)."""
    rows = session.scalars(
        select(DocumentPartRecord)
        .where(DocumentPartRecord.document_id == document_id)
        .order_by(DocumentPartRecord.position)
    )
    return [DocumentPart(r.sha256, r.filename, r.kind, r.page_count, r.size) for r in rows]


def referenced_parts(session: Session, shas: Collection[str]) -> set[str]:
    """Those of ``shas`` that are a file of some document."""
    return present(session, DocumentPartRecord.sha256, shas)
