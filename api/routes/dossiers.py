"""Dossiers: create one by hand, read it with its documents by role, close it, reuse a paper on file.

Owner numbers are masked (``001*******89``) for roles without the ``owner_data`` right.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sohoa.api.deps import ConfigDep, DossierManager, DossierReader, Reviewer, RuntimeDep
from sohoa.api.rights import sees_owner_data
from sohoa.api.schemas import errors
from sohoa.core.owners import OwnerFields
from sohoa.pipeline.actions import dossiers

__all__ = ["router"]

router = APIRouter(tags=["dossiers"])


class OwnerPublic(BaseModel):
    id_type: str
    id_number: str
    name: str | None


class PrintedOwnerPublic(BaseModel):
    """An owner's number read from the document's text, with how sure the reading is (0..1)."""

    id_type: str
    id_number: str
    confidence: float


class HeldDocumentPublic(BaseModel):
    id: str
    role: str
    component: str | None
    origin: str
    state: str
    filename: str
    document_type: str | None
    number_symbol: str | None
    same_as: str | None
    valid_from: date | None = None
    valid_until: date | None = None
    printed_owners: list[PrintedOwnerPublic] = []


class DossierPublic(BaseModel):
    code: str
    procedure_code: str | None
    owner: OwnerPublic | None
    received_date: date | None
    resolved_date: date | None
    result_type: str | None
    closed: bool
    source: str
    resubmitted: int = 0
    documents: list[HeldDocumentPublic] = []


class DossierCreate(BaseModel):
    code: str = Field(max_length=64, description="mã hồ sơ, e.g. 000.00.32.H19-250312-0017")
    procedure_code: str | None = Field(default=None, max_length=64)
    owner_id_type: str | None = Field(default=None, max_length=32, description="cccd, cmnd, passport or mst")
    owner_id: str | None = Field(default=None, max_length=32)
    owner_name: str | None = Field(default=None, max_length=500)
    received_date: date | None = None

    def new_dossier(self) -> dossiers.NewDossier:
        owner = OwnerFields(self.owner_id_type, self.owner_id, self.owner_name)
        return dossiers.NewDossier(self.code, self.procedure_code, owner, self.received_date)


class ReuseRequest(BaseModel):
    document_id: str = Field(max_length=36)
    component: str = Field(max_length=500, description="the component's name as the procedure lists it")


class ReusePublic(BaseModel):
    dossier_code: str
    document_id: str
    component: str
    event_id: int


class RoleChange(BaseModel):
    role: str = Field(description="result or component")
    component: str | None = Field(default=None, max_length=500)


class ValidityChange(BaseModel):
    valid_from: date | None = None
    valid_until: date | None = None


class ValidityPublic(BaseModel):
    document_id: str
    valid_from: date | None
    valid_until: date | None


@router.post("/api/v1/dossiers", response_model=DossierPublic, status_code=201, responses=errors(401, 403, 409, 422))
def create(body: DossierCreate, rt: RuntimeDep, config: ConfigDep, user: DossierManager) -> DossierPublic:
    """Create a dossier by hand, with its owner; 409 ``dossier_exists`` when the code is taken."""
    made = dossiers.create(rt, body.new_dossier(), actor=user.name)
    return DossierPublic.model_validate(made.to_dict(full=sees_owner_data(user.role, config)))


@router.get("/api/v1/dossiers/{code}", response_model=DossierPublic, responses=errors(401, 403, 404, 422))
def read(code: str, rt: RuntimeDep, config: ConfigDep, user: DossierReader) -> DossierPublic:
    """A dossier with every document it holds (result or component, uploaded or reused)."""
    view = dossiers.show(rt, code)
    return DossierPublic.model_validate(view.to_dict(full=sees_owner_data(user.role, config)))


@router.post("/api/v1/dossiers/{code}/close", response_model=DossierPublic, responses=errors(401, 403, 404, 422))
def close(code: str, rt: RuntimeDep, config: ConfigDep, user: DossierManager) -> DossierPublic:
    """Close a dossier: no component is added to it afterwards."""
    made = dossiers.close(rt, code, actor=user.name)
    return DossierPublic.model_validate(made.to_dict(full=sees_owner_data(user.role, config)))


@router.post(
    "/api/v1/dossiers/{code}/components",
    response_model=ReusePublic,
    status_code=201,
    responses=errors(401, 403, 404, 409, 422),
)
def reuse(code: str, body: ReuseRequest, rt: RuntimeDep, user: DossierManager) -> ReusePublic:
    """Reuse a paper the owner already has on file as a component of this dossier: no upload, no new bytes.

    409 with ``owner_mismatch``, ``not_archived``, ``superseded``, ``expired``, ``not_yet_valid``,
    ``dossier_closed`` or ``already_in_dossier``."""
    made = dossiers.reuse(rt, code, body.document_id, body.component, actor=user.name)
    return ReusePublic(**made.__dict__)


@router.patch(
    "/api/v1/dossiers/{code}/documents/{document_id}",
    response_model=HeldDocumentPublic,
    responses=errors(401, 403, 404, 422),
)
def change_role(
    code: str, document_id: str, body: RoleChange, rt: RuntimeDep, config: ConfigDep, user: Reviewer
) -> HeldDocumentPublic:
    """Correct in review what a document is in this dossier."""
    # The answer is the document as the dossier shows it, printed owners (masked or not) included.
    d = dossiers.change_role(rt, code, document_id, role=body.role, component=body.component, actor=user.name)
    return HeldDocumentPublic.model_validate(dossiers.held_to_dict(d, full=sees_owner_data(user.role, config)))


@router.put(
    "/api/v1/documents/{document_id}/validity", response_model=ValidityPublic, responses=errors(401, 403, 404, 422)
)
def set_validity(document_id: str, body: ValidityChange, rt: RuntimeDep, user: Reviewer) -> ValidityPublic:
    """Set how long a result is valid (as printed: "có giá trị đến ngày ...")."""
    start, end = dossiers.validity(
        rt, document_id, valid_from=body.valid_from, valid_until=body.valid_until, actor=user.name
    )
    return ValidityPublic(document_id=document_id, valid_from=start, valid_until=end)
