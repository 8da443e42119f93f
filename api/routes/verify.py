"""Signature verification: of an uploaded PDF, and of a document's archived copy.

Both answer ``sohoa verify --json``'s report. Trust roots: ``SOHOA_TRUST_ROOTS`` plus, in embedded
mode, the development root. Right: ``read_documents`` for now (every role that reads documents;
not ``metrics``).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile

from sohoa.api.deps import Principal, RuntimeDep, require
from sohoa.api.rights import Right
from sohoa.api.schemas import ErrorPublic, errors
from sohoa.core.errors import InputRejected
from sohoa.pipeline.signing_ops import latest_verification, verify_archived
from sohoa.signing.trust import trust_roots
from sohoa.signing.verify import verify_pdf
from sohoa.storage.catalogue import record_event

__all__ = ["router"]

router = APIRouter(tags=["verification"])

ERRORS: dict[int | str, dict[str, Any]] = errors(401, 403, 404, 422)
Verifier = Annotated[Principal, Depends(require(Right.VERIFY))]
Reader = Annotated[Principal, Depends(require(Right.READ_DOCUMENTS))]
_CHUNK = 1024 * 1024


@router.post("/api/v1/verify", responses={**ERRORS, 422: {"model": ErrorPublic}})
def verify_upload(
    rt: RuntimeDep,
    user: Verifier,
    file: Annotated[UploadFile, File(description="the PDF whose signatures to check")],
) -> dict[str, Any]:
    """Check every signature of the uploaded PDF (nothing is stored but an audit event)."""
    name = Path(file.filename or "upload.pdf").name
    limit = rt.settings.max_file_bytes
    rt.settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=rt.settings.work_dir, prefix="verify-") as tmp:
        path = Path(tmp) / "upload.pdf"
        digest = hashlib.sha256()
        size = 0
        with open(path, "wb") as out:
            while chunk := file.file.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InputRejected(f"the file is larger than {limit} bytes", code="file_too_large")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InputRejected("the file is empty", code="empty_file")
        report = verify_pdf(path, trust_roots=trust_roots(rt.settings)).to_dict()
    report["path"] = name
    with rt.db.session() as session:
        record_event(
            session,
            actor=user.name,
            action="verify.upload",
            details={"filename": name, "sha256": digest.hexdigest(), "valid": report["valid"]},
        )
    return report


@router.get("/api/v1/documents/{document_id}/verification", responses=ERRORS)
def document_verification(
    document_id: str,
    rt: RuntimeDep,
    user: Reader,
    refresh: Annotated[bool, Query(description="verify again instead of answering the stored result")] = False,
) -> dict[str, Any]:
    """The last verification of the document's archived copy; verified now when none is stored."""
    if not refresh:
        stored = latest_verification(rt, document_id)
        if stored is not None:
            return stored
    return verify_archived(rt, document_id, actor=user.name)
