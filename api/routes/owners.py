"""Owners and their store (Kho dữ liệu): every archived paper and result of one owner.

Numbers are masked for roles without the ``owner_data`` right; every lookup is an audit event.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from sohoa.api.deps import ConfigDep, DossierReader, RuntimeDep
from sohoa.api.rights import sees_owner_data
from sohoa.api.schemas import errors
from sohoa.pipeline.actions import owners

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/owners", tags=["owners"])


class OwnerPublic(BaseModel):
    id_type: str
    id_number: str
    name: str | None


class StoreDocumentPublic(BaseModel):
    id: str
    dossier_code: str | None
    role: str | None
    component: str | None
    document_type: str | None
    number_symbol: str | None
    issuer: str | None
    issued_date: str | None
    valid_until: date | None
    reusable: bool


class OwnerStorePublic(BaseModel):
    owner: OwnerPublic
    documents: list[StoreDocumentPublic]


@router.get("", response_model=list[OwnerPublic], responses=errors(401, 403, 422))
def search(
    rt: RuntimeDep,
    config: ConfigDep,
    user: DossierReader,
    id_type: Annotated[str | None, Query(max_length=32, description="cccd, cmnd, passport or mst")] = None,
    number: Annotated[str | None, Query(max_length=32, description="the number or its first digits")] = None,
    name: Annotated[str | None, Query(max_length=200, description="words of the name, accents optional")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[OwnerPublic]:
    """Find owners (audited)."""
    found = owners.search(
        rt,
        actor=user.name,
        full=sees_owner_data(user.role, config),
        id_type=id_type,
        number=number,
        name=name,
        limit=limit,
    )
    return [OwnerPublic(**o.__dict__) for o in found]


@router.get("/{id_type}/{id_number}/documents", response_model=OwnerStorePublic, responses=errors(401, 403, 422))
def store(id_type: str, id_number: str, rt: RuntimeDep, config: ConfigDep, user: DossierReader) -> OwnerStorePublic:
    """The owner's store: every archived paper and result, newest first, and whether it is reusable today."""
    found = owners.store(rt, id_type, id_number, actor=user.name)
    return OwnerStorePublic.model_validate(found.to_dict(full=sees_owner_data(user.role, config)))
