"""The owner's store (Kho dữ liệu điện tử của tổ chức, cá nhân): what an owner has on file.

Opening an owner's store and searching owners are audit events (Nghị định 13/2023/NĐ-CP); the
event names the owner by the masked number, as auditors may not hold the ``owner_data`` right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sohoa.core.owners import OwnerId, mask_id, parse_id_type, parse_owner_id
from sohoa.core.text import fold
from sohoa.pipeline.actions.audit import audit_event
from sohoa.pipeline.runtime import Runtime
from sohoa.registry.dossiers import StoreItem, owner_store, today
from sohoa.storage.owner_queries import find_owners

__all__ = ["OwnerStore", "OwnerSummary", "search", "store"]


@dataclass(frozen=True)
class OwnerStore:
    owner: OwnerId
    name: str | None
    documents: tuple[StoreItem, ...]

    def to_dict(self, *, full: bool) -> dict[str, Any]:
        return {
            "owner": {"id_type": self.owner.id_type.value, "id_number": self.owner.shown(full), "name": self.name},
            "documents": [d.to_dict() for d in self.documents],
        }


@dataclass(frozen=True)
class OwnerSummary:
    id_type: str
    id_number: str  # as the reader may see it
    name: str | None


def store(rt: Runtime, id_type: str, id_number: str, *, actor: str, day: date | None = None) -> OwnerStore:
    """Every archived paper and result of the owner, newest first, with whether it is reusable today."""
    owner = parse_owner_id(id_type, id_number)
    with rt.db.session() as session:
        name, items = owner_store(session, owner, day=day or today())
    audit_event(
        rt,
        actor=actor,
        action="owner.store_viewed",
        details={"id_type": owner.id_type.value, "id_number": owner.masked, "documents": len(items)},
    )
    return OwnerStore(owner, name, tuple(items))


def search(
    rt: Runtime, *, actor: str, full: bool, id_type: str | None = None, number: str | None = None,
    name: str | None = None, limit: int = 50,
) -> list[OwnerSummary]:  # fmt: skip
    """Owners by id type, the start of their number, or words of their name; audited."""
    kind = parse_id_type(id_type).value if id_type else None
    prefix = "".join(ch for ch in (number or "") if ch.isalnum()).upper() or None
    words = fold(name or "").split()
    with rt.db.session() as session:
        found = find_owners(session, id_number_prefix=prefix, name_contains=None, limit=max(limit * 20, 1000))
    out = []
    for record in found:
        if kind is not None and record.id_type != kind:
            continue
        if words and not all(w in fold(record.name or "") for w in words):
            continue
        shown = record.id_number if full else mask_id(record.id_number)
        out.append(OwnerSummary(record.id_type, shown, record.name))
        if len(out) >= limit:
            break
    audit_event(
        rt,
        actor=actor,
        action="owner.searched",
        details={
            "id_type": kind,
            "number": mask_id(prefix) if prefix else None,
            "name": name or None,
            "found": len(out),
        },
    )
    return out
