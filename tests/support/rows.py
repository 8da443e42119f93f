"""Catalogue rows written straight into a test's database, for the queries that read them."""

from __future__ import annotations

from typing import Any

from sohoa.storage.records import DocumentRecord

__all__ = ["document_row"]


def document_row(document_id: str, state: str, **fields: Any) -> DocumentRecord:
    """A document row in ``state`` with ``fields``; its file name and original's hash are made from its id."""
    return DocumentRecord(
        id=document_id,
        filename=f"{document_id}.pdf",
        state=str(state),  # a DocumentState is a str: the column takes its value
        original_sha256=document_id.ljust(64, "0"),
        **fields,
    )
