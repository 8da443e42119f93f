"""Corrections of an archived filing, kept in the archive so that a catalogue rebuilt from it keeps them.

The signed PDF and its filing record (``{id}.json``) stay as they were archived: the store refuses to
overwrite them. Each correction of an archived document's metadata is therefore a new object beside
them, ``{id}.c{n}.json`` (n = 1, 2, ... in the order made). It holds the whole corrected filing, what
a correction may change (the metadata and the dossier code; the procedure code stays), not only the
fields changed: the newest record alone is the filing, and ``rebuild`` applies the newest.

The catalogue lists them too (``documents.archive_corrections``: key, SHA-256 and size of each, oldest
first), so that one lost or changed is found by ``fixity``: the store alone cannot tell a correction
deleted from one never made, and the newest left would pass for the filing.
"""

from __future__ import annotations

from typing import Any

from sohoa.core.clock import utcnow
from sohoa.core.errors import IntegrityError
from sohoa.pipeline.retention import (
    correction_key,
    correction_number,
    hold_like_filing,
    store_record,
    stored_corrections,
)
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.archive_queries import correction_entries
from sohoa.storage.objectstore import ObjectInfo
from sohoa.storage.records import DocumentRecord

__all__ = ["corrected_filing", "correction_entry", "listed_corrections", "store_correction"]


def store_correction(rt: Runtime, doc: DocumentRecord, changes: list[dict[str, Any]], *, actor: str) -> str:
    """Store ``doc``'s corrected filing beside its archived PDF under the next free number; its key.

    The next free number is asked of the store, not the catalogue: a correction stored before a
    catalogue commit that failed took its number, and the retry takes the one after it."""
    if doc.archive_key is None:  # every archived row has its key; one without has nowhere to put this
        raise IntegrityError(
            f"document {doc.id} is archived but the catalogue has no archive key for it",
            details={"document_id": doc.id, "state": doc.state},
        )
    earlier = stored_corrections(rt.store, doc.archive_key)
    listed = listed_corrections(doc)
    # After the highest number either holds: the store's (one stored just before a crash the catalogue
    # never listed, or beyond a lost one) or the catalogue's (one it lists that the store lost). A
    # number is never taken twice, and a new correction always sorts after every older one.
    numbers = [correction_number(k) for k in earlier] + [correction_number(str(e["key"])) for e in listed]
    key = correction_key(doc.archive_key, max(numbers, default=0) + 1)
    record = {
        "document_id": doc.id,
        "dossier_code": doc.dossier_code,
        "metadata": doc.metadata_json or {},
        "changes": changes,
        "actor": actor,
        "at": utcnow().isoformat(),
    }
    stored = store_record(rt.store, key, record, metadata={"document_id": doc.id})
    # Committed with the correction (the caller's session): those stored before it that the catalogue
    # does not list (before this release, or just before a crash) are listed with the digest the
    # store recorded for them, the catalogue's own listing kept as it is.
    known = {entry["key"] for entry in listed}
    adopted = [correction_entry(rt.store.stat(k)) for k in earlier if k not in known]
    adopted.append(correction_entry(stored))
    doc.archive_corrections = _in_order([*listed, *adopted])
    hold_like_filing(rt.store, doc.archive_key, corrections=[*earlier, key])
    return key


def corrected_filing(record: dict[str, Any], document_id: str) -> dict[str, Any]:
    """The catalogue fields a stored correction sets; ValueError when it is not one of ``document_id``."""
    if record.get("document_id") != document_id:
        raise ValueError(f"a correction of {record.get('document_id')!r}, not of {document_id}")
    metadata, dossier_code = record.get("metadata"), record.get("dossier_code")
    if not isinstance(metadata, dict) or not isinstance(dossier_code, str | None):
        raise ValueError("not a corrected filing: metadata must be an object, dossier_code text or null")
    return {"metadata_json": metadata or None, "dossier_code": dossier_code or None}


def correction_entry(info: ObjectInfo) -> dict[str, Any]:
    """How the catalogue lists one stored correction: its key, and the digest and size the store
    recorded when it was written."""
    return {"key": info.key, "sha256": info.sha256, "size": info.size}


def listed_corrections(doc: DocumentRecord) -> list[dict[str, Any]]:
    """The corrections the catalogue lists for ``doc`` (oldest first); an entry without a key is none."""
    return correction_entries(doc.archive_corrections)


def _in_order(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda entry: correction_number(str(entry["key"])))
