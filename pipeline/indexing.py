"""The accent-folded search text of a document: its name, codes, metadata and page text."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sohoa.core.text import fold
from sohoa.storage.catalogue import page_texts
from sohoa.storage.records import DocumentRecord

__all__ = ["build_search_text"]


def build_search_text(session: Session, doc: DocumentRecord) -> str:
    parts = [doc.filename, doc.procedure_code or "", doc.dossier_code or ""]
    for key, value in (doc.metadata_json or {}).items():
        if key == "confidence":
            continue
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(str(v) for v in value)
    parts.extend(page_texts(session, doc.id))
    return fold(" ".join(p for p in parts if p))
