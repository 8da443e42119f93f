"""Uploads: many files (and zips) in one multipart request, each stored whole or refused with a reason.

The request is streamed to disk as it arrives (``api.formstream``), so memory does not grow with
it; every accepted file is in the object store and the catalogue before the answer is sent.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from sohoa.api.deps import (
    CSRF_FIELD,
    ConfigDep,
    Principal,
    RuntimeDep,
    Uploader,
    check_csrf,
    defer_csrf_to_body,
)
from sohoa.api.formstream import FormLimits, StreamedForm, read_form
from sohoa.api.rights import Right, has_right
from sohoa.api.schemas import RejectedPublic, UploadDocumentPublic, UploadResponse, errors
from sohoa.core.errors import InputRejected, insufficient_storage
from sohoa.core.owners import OwnerFields
from sohoa.pipeline.actions.dossiers import upload_placement
from sohoa.pipeline.diskspace import check_free_space
from sohoa.pipeline.intake import AcceptedDocument, IncomingFile, UploadResult, accept_files, group_positions
from sohoa.pipeline.runtime import Runtime

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])


_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["files"],
    "properties": {
        "files": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "scans: PDF, TIFF, JPEG, PNG, or zip archives of them",
        },
        "procedure_code": {
            "type": "string",
            "maxLength": 64,
            "description": "mã thủ tục, e.g. 1.001234.000.00.00.H19; optional with cover_sheets",
        },
        "dossier_code": {"type": "string", "maxLength": 64, "description": "mã hồ sơ"},
        "role": {
            "type": "string",
            "enum": ["result", "component"],
            "default": "result",
            "description": "what the files are in their dossier: its result (kết quả) or a component (thành phần)",
        },
        "component": {
            "type": "string",
            "maxLength": 500,
            "description": "the component's name as the procedure lists it, e.g. Bản sao Căn cước công dân",
        },
        "owner_id_type": {"type": "string", "enum": ["cccd", "cmnd", "passport", "mst"]},
        "owner_id": {"type": "string", "maxLength": 32, "description": "without it the dossier's owner"},
        "owner_name": {"type": "string", "maxLength": 500},
        "cover_sheets": {
            "type": "boolean",
            "default": False,
            "description": "split each scan at its printed cover sheets and file every part by its sheet",
        },
        "group": {
            "type": "string",
            "maxLength": 65536,
            "description": "files that make one document, as JSON: a list of groups, each the names of its "
            'files (as sent) in page order, e.g. [["to-trinh_p1.jpg","to-trinh_p2.jpg"],["qd_1.png","qd_2.png"]]; '
            "a plain list of names is one group. Files in no group are documents of their own. A name no "
            "file has, or that two files share, is refused (422 group_unknown_file, group_file_ambiguous).",
        },
        "zip_folders": {
            "type": "boolean",
            "default": False,
            "description": "each folder inside an uploaded zip is one document, its files in natural name order",
        },
        CSRF_FIELD: {"type": "string", "description": "browsers signed in with the session cookie, without script"},
    },
}
_OPENAPI: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _FORM_SCHEMA}}},
}
_TRUE, _FALSE = frozenset({"true", "1", "on", "yes"}), frozenset({"false", "0", "off", "no", ""})
_BAD_GROUP = "group must be JSON: a list of groups, each a list of file names in page order"


def _flag(form: StreamedForm, name: str) -> bool:
    value = form.fields.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InputRejected(f"{name} must be true or false", code="invalid_request", details={"field": name})


def _code(form: StreamedForm, name: str) -> str | None:
    value = form.fields.get(name, "").strip()
    if len(value) > 64:
        raise InputRejected(f"{name} is longer than 64 characters", code="invalid_request", details={"field": name})
    return value or None


def _named_groups(form: StreamedForm) -> list[list[str]]:
    """The ``group`` field: ``[["a.jpg", "b.jpg"], ...]``, or ``["a.jpg", "b.jpg"]`` for one group."""
    raw = form.fields.get("group", "").strip()
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InputRejected(_BAD_GROUP, code="invalid_request", details={"field": "group"}) from exc
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(g, list) and all(isinstance(n, str) for n in g) for g in value
    ):
        raise InputRejected(_BAD_GROUP, code="invalid_request", details={"field": "group"})
    return value


def _accept(rt: Runtime, form: StreamedForm, user: Principal) -> UploadResult:
    procedure_code, dossier_code = _code(form, "procedure_code"), _code(form, "dossier_code")
    cover_sheets = _flag(form, "cover_sheets")
    zip_folders = _flag(form, "zip_folders")
    groups = group_positions([part.filename for part in form.files], _named_groups(form))
    get = form.fields.get
    owner = OwnerFields(get("owner_id_type"), get("owner_id"), get("owner_name"))
    placement = upload_placement(get("role"), get("component"), owner)

    def incoming() -> Iterator[IncomingFile]:
        for part in form.files:
            with part.path.open("rb") as stream:
                yield IncomingFile(part.filename, stream)
            part.path.unlink(missing_ok=True)  # free the disk as the batch goes

    return accept_files(
        rt,
        incoming(),
        procedure_code=procedure_code,
        dossier_code=dossier_code,
        actor=user.name,
        source="api",
        cover_sheets=cover_sheets,
        placement=placement,
        groups=groups,
        zip_folders=zip_folders,
    )


async def _read_form(request: Request, directory: Path, limits: FormLimits) -> StreamedForm:
    try:
        return await read_form(request, directory, limits)
    except OSError as exc:
        full = insufficient_storage(exc, "request spool")
        if full is None:
            raise
        raise full from exc


@router.post(
    "",
    response_model=UploadResponse,
    status_code=201,
    responses=errors(401, 403, 413, 422, 507),
    openapi_extra=_OPENAPI,
    dependencies=[Depends(defer_csrf_to_body)],
    summary="Upload files (and zips) in one request; each is stored, a duplicate, or listed in `rejected`",
)
async def upload(request: Request, rt: RuntimeDep, config: ConfigDep, user: Uploader) -> UploadResponse:
    limits = FormLimits(
        max_request_bytes=config.max_request_bytes,
        max_files=config.max_files_per_upload,
        max_file_bytes=rt.settings.max_file_bytes,
    )
    # Before the body is read: a multi-GiB request is not streamed onto a disk about to fill up.
    check_free_space(rt.settings)
    directory = rt.settings.work_dir / "requests" / uuid.uuid4().hex
    try:
        form = await _read_form(request, directory, limits)
        if user.csrf_pending:
            await check_csrf(request, rt, user, form.fields.get(CSRF_FIELD))
        if not form.files:
            raise InputRejected("the upload has no files: send them in the `files` field", code="no_files")
        result = await run_in_threadpool(_accept, rt, form, user)
    finally:
        await run_in_threadpool(shutil.rmtree, directory, True)
    shown = [d for d in result.documents if _may_see(user, d)]
    return UploadResponse(
        batch_id=result.batch_id,
        documents=[UploadDocumentPublic(**d.__dict__) for d in shown],
        rejected=[RejectedPublic.model_validate(r, from_attributes=True) for r in result.rejected]
        + [_already_held(d) for d in result.documents if not _may_see(user, d)],
    )


def _may_see(user: Principal, doc: AcceptedDocument) -> bool:
    """A duplicate names the document holding the file only to someone who may read it: staff who
    read documents, or the uploader whose own upload it was."""
    if doc.duplicate_of is None:
        return True
    return has_right(user.role, Right.READ_DOCUMENTS) or doc.holder_owner == user.name


def _already_held(doc: AcceptedDocument) -> RejectedPublic:
    # No id and no state: that another user's document exists is all an uploader may learn.
    return RejectedPublic(
        filename=doc.filename,
        code="already_received",
        message="this file was already received from another upload; it is not stored again",
    )
