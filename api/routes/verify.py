"""Signature verification: of an uploaded PDF, and of a document's archived copy.

Both answer ``sohoa verify --json``'s report. Trust roots: ``SOHOA_TRUST_ROOTS`` plus, in embedded
mode, the development root. Right: ``read_documents`` for now (every role that reads documents;
not ``metrics``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile

from sohoa.api.deps import DocumentReader, RuntimeDep, Verifier, within_rate
from sohoa.api.schemas import errors
from sohoa.pipeline.actions import signatures

__all__ = ["router"]

router = APIRouter(tags=["verification"])

ERRORS: dict[int | str, dict[str, Any]] = errors(401, 403, 404, 422)
_CHUNK = 1024 * 1024


@router.post("/api/v1/verify", responses=ERRORS)
def verify_upload(
    rt: RuntimeDep,
    user: Verifier,
    file: Annotated[UploadFile, File(description="the PDF whose signatures to check")],
) -> dict[str, Any]:
    """Check every signature of the uploaded PDF (nothing is stored but an audit event)."""
    name = Path(file.filename or "upload.pdf").name
    return signatures.verify_upload(rt, file.file, filename=name, actor=user.name)


@router.get("/api/v1/documents/{document_id}/verification", responses={**ERRORS, **errors(429)})
def document_verification(
    document_id: str,
    request: Request,
    rt: RuntimeDep,
    user: DocumentReader,
    refresh: Annotated[
        bool, Query(description="verify again instead of answering the stored result (a few a minute: 429 beyond)")
    ] = False,
) -> dict[str, Any]:
    """The last verification of the document's archived copy; verified now when none is stored."""
    if refresh:
        within_rate(request, user, "verification_refresh")
    return signatures.document_verification(rt, document_id, actor=user.name, refresh=refresh)
