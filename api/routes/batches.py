"""Batches: what became of every file of an upload."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import Principal, RuntimeDep, require
from api.rights import Right
from api.schemas import BatchPublic, DocumentPublic, ErrorPublic
from core.clock import to_local
from core.domain import Role
from core.errors import NotFound
from storage.catalogue import DocumentFilter, get_batch, list_documents

router = APIRouter(prefix="/api/v1/batches", tags=["batches"])

ERRORS = {401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}, 404: {"model": ErrorPublic}}


@router.get("/{batch_id}", response_model=BatchPublic, responses=ERRORS)
def read_batch(
    batch_id: str,
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require(Right.READ_BATCHES))],
) -> BatchPublic:
    with rt.db.session() as session:
        batch = get_batch(session, batch_id)
        if user.role is Role.UPLOADER and batch.created_by != user.name:
            # Uploaders see their own batches only; do not reveal that others exist.
            raise NotFound(f"batch {batch_id} not found", code="batch_not_found")
        docs, _total = list_documents(session, DocumentFilter(batch_id=batch_id), limit=100_000)
        return BatchPublic(
            batch_id=batch.id,
            created_at=to_local(batch.created_at),
            created_by=batch.created_by,
            procedure_code=batch.procedure_code,
            dossier_code=batch.dossier_code,
            counts=dict(Counter(d.state for d in docs)),
            documents=[DocumentPublic.from_record(d) for d in sorted(docs, key=lambda d: d.filename)],
        )
