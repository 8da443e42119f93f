"""Uploads: many files in one multipart request, each stored whole or refused with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from api.deps import Principal, RuntimeDep, require
from api.rights import Right
from api.schemas import ErrorPublic, RejectedPublic, UploadDocumentPublic, UploadResponse
from pipeline.intake import IncomingFile, accept_files

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])

ERRORS = {401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}, 422: {"model": ErrorPublic}}


@router.post("", response_model=UploadResponse, status_code=201, responses=ERRORS)
def upload(
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require(Right.UPLOAD))],
    files: Annotated[list[UploadFile], File(description="scans: PDF, TIFF, JPEG, PNG or zip")],
    procedure_code: Annotated[
        str | None, Form(description="mã thủ tục, e.g. 1.001234; optional with cover_sheets")
    ] = None,
    dossier_code: Annotated[str | None, Form(description="mã hồ sơ")] = None,
    cover_sheets: Annotated[
        bool, Form(description="split each scan at its printed cover sheets and file every part by its sheet")
    ] = False,
) -> UploadResponse:
    result = accept_files(
        rt,
        (IncomingFile(f.filename or "unnamed", f.file) for f in files),
        procedure_code=procedure_code or None,
        dossier_code=dossier_code or None,
        actor=user.name,
        source="api",
        cover_sheets=cover_sheets,
    )
    return UploadResponse(
        batch_id=result.batch_id,
        documents=[UploadDocumentPublic(**d.__dict__) for d in result.documents],
        rejected=[RejectedPublic(**r.__dict__) for r in result.rejected],
    )
