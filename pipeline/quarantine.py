"""Retention of quarantine: refused input is kept for inspection, not for ever.

``purge_quarantine`` deletes the kept bytes of documents refused more than so many days ago
(``sohoa quarantine purge --older-than DAYS``). The documents themselves stay, with their
reason and audit trail; they only stop naming a quarantine key. Bytes a more recent refusal
still points at (the same file refused again) are kept until that one is old enough too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sohoa.core.clock import utcnow
from sohoa.core.errors import InputRejected, ObjectNotFound
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import record_event
from sohoa.storage.quarantine_queries import forget_quarantine, quarantine_key_used_since, quarantined_before

__all__ = ["QuarantinePurge", "purge_quarantine"]

_BATCH = 1000


@dataclass(frozen=True)
class QuarantinePurge:
    documents: int  # refused documents that no longer name kept bytes
    objects: int  # quarantine objects deleted
    bytes: int
    kept_for_newer: int  # objects a more recent refusal still points at

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "objects": self.objects,
            "bytes": self.bytes,
            "kept_for_newer": self.kept_for_newer,
        }


def purge_quarantine(rt: Runtime, *, older_than_days: float, actor: str) -> QuarantinePurge:
    """Delete quarantined bytes of documents refused more than ``older_than_days`` days ago."""
    if older_than_days < 0:
        raise InputRejected("--older-than must be 0 days or more", code="invalid_request")
    cutoff = utcnow() - timedelta(days=older_than_days)
    documents = objects = size = 0
    kept: set[str] = set()
    while True:
        with rt.db.session() as session:
            rows = quarantined_before(session, cutoff, limit=_BATCH)
            by_key: dict[str, list[str]] = defaultdict(list)
            for doc_id, key in rows:
                if key not in kept:
                    by_key[key].append(doc_id)
            if not by_key:
                break
            for key, doc_ids in by_key.items():
                if quarantine_key_used_since(session, key, cutoff):
                    kept.add(key)
                    continue
                try:
                    size += rt.store.stat(key).size
                    rt.store.delete(key)
                    objects += 1
                except ObjectNotFound:
                    pass  # gone already (an earlier purge stopped half-way): only the catalogue is left
                # Each document is told, in the same transaction that forgets its key.
                forget_quarantine(session, doc_ids)
                for doc_id in doc_ids:
                    record_event(
                        session, actor=actor, action="quarantine.purged", document_id=doc_id, details={"key": key}
                    )
                documents += len(doc_ids)
    return QuarantinePurge(documents, objects, size, len(kept))
