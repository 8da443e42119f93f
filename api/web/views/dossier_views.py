"""Dossier pages: find or create a dossier, see its documents by role, open its owner's store, reuse.

The owner's store is reached from a dossier (``/dossiers/{code}/owner``), so an owner's number
never travels in a page's address; numbers are masked for roles without the ``owner_data`` right.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sohoa.api.deps import Principal, RuntimeDep
from sohoa.api.rights import Right, has_right, sees_owner_data
from sohoa.api.web.access import PageRefused, allowed
from sohoa.api.web.rendering import render
from sohoa.core.errors import NotFound, SohoaError
from sohoa.pipeline.actions import dossiers, owners

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(allowed(Right.READ_DOSSIERS))]
Manager = Annotated[Principal, Depends(allowed(Right.MANAGE_DOSSIERS))]
Reviewer = Annotated[Principal, Depends(allowed(Right.REVIEW))]


def _to_dossier(code: str, **query: str) -> RedirectResponse:
    extra = "&".join(f"{k}={quote(v)}" for k, v in query.items())
    return RedirectResponse(f"/dossiers/{quote(code, safe='')}" + (f"?{extra}" if extra else ""), status_code=303)


@router.get("/dossiers", response_class=HTMLResponse, response_model=None)
def dossiers_page(request: Request, user: Reader, code: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    if code and code.strip():
        return _to_dossier(code.strip())
    return render(
        request, "dossiers.html", user=user, error=None, form={}, can_manage=has_right(user.role, Right.MANAGE_DOSSIERS)
    )


@router.post("/dossiers", response_class=HTMLResponse, response_model=None)
def create_dossier(
    request: Request,
    rt: RuntimeDep,
    user: Manager,
    code: Annotated[str, Form(max_length=64)],
    procedure_code: Annotated[str, Form(max_length=64)] = "",
    owner_id_type: Annotated[str, Form(max_length=32)] = "",
    owner_id: Annotated[str, Form(max_length=32)] = "",
    owner_name: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        made = dossiers.create(
            rt,
            code,
            actor=user.name,
            procedure_code=procedure_code.strip() or None,
            owner_id_type=owner_id_type or None,
            owner_id=owner_id or None,
            owner_name=owner_name or None,
        )
    except SohoaError as exc:
        # The number typed is not sent back into the page: the form shows what was chosen, not it.
        form = {
            "code": code,
            "procedure_code": procedure_code,
            "owner_id_type": owner_id_type,
            "owner_name": owner_name,
        }
        return render(
            request, "dossiers.html", user=user, status=exc.http_status, error=exc.code, form=form, can_manage=True
        )
    return _to_dossier(made.code)


def _view(rt: RuntimeDep, code: str) -> dossiers.DossierView:
    try:
        return dossiers.show(rt, code)
    except NotFound:
        raise PageRefused(404, "error.dossier_not_found", code=code) from None
    except SohoaError as exc:
        raise PageRefused(exc.http_status, "error.dossier_code_invalid", code=code) from None


def _dossier_page(
    request: Request, rt: RuntimeDep, user: Principal, code: str, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    view = _view(rt, code)
    return render(
        request,
        "dossier.html",
        user=user,
        status=status,
        dossier=view.dossier,
        owner=view.dossier.owner_dict(sees_owner_data(user.role, rt.settings)),
        documents=view.documents,
        resubmitted=view.resubmitted,
        can_manage=has_right(user.role, Right.MANAGE_DOSSIERS),
        can_read_documents=has_right(user.role, Right.READ_DOCUMENTS),
        can_review=has_right(user.role, Right.REVIEW),
        error=error,
        reused=request.query_params.get("reused"),
    )


@router.get("/dossiers/{code}", response_class=HTMLResponse)
def dossier_page(request: Request, rt: RuntimeDep, user: Reader, code: str) -> HTMLResponse:
    return _dossier_page(request, rt, user, code)


@router.get("/dossiers/{code}/owner", response_class=HTMLResponse)
def owner_page(request: Request, rt: RuntimeDep, user: Reader, code: str) -> HTMLResponse:
    """The store of the dossier's owner, with a "Dùng lại" button on each paper it can reuse."""
    view = _view(rt, code)
    owner = view.dossier.owner
    if owner is None:
        raise PageRefused(404, "error.dossier_without_owner", code=view.dossier.code)
    found = owners.store(rt, owner.id_type.value, owner.id_number, actor=user.name)
    held = {d.document_id for d in view.documents}
    return render(
        request,
        "owner_store.html",
        user=user,
        dossier=view.dossier,
        store=found.to_dict(full=sees_owner_data(user.role, rt.settings)),
        held=held,
        can_reuse=has_right(user.role, Right.MANAGE_DOSSIERS) and not view.dossier.closed,
    )


@router.post("/dossiers/{code}/reuse", response_class=HTMLResponse, response_model=None)
def reuse(
    request: Request,
    rt: RuntimeDep,
    user: Manager,
    code: str,
    document_id: Annotated[str, Form(max_length=36)],
    component: Annotated[str, Form(max_length=500)],
) -> Response:
    try:
        made = dossiers.reuse(rt, code, document_id, component, actor=user.name)
    except SohoaError as exc:
        return _dossier_page(request, rt, user, code, error=exc.code, status=exc.http_status)
    return _to_dossier(made.dossier_code, reused=made.document_id)


@router.post("/dossiers/{code}/documents/{document_id}", response_class=HTMLResponse, response_model=None)
def correct(
    request: Request,
    rt: RuntimeDep,
    user: Reviewer,
    code: str,
    document_id: str,
    role: Annotated[str, Form(max_length=16)],
    component: Annotated[str, Form(max_length=500)] = "",
    valid_until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Review: what a paper is in the dossier, and how long it is valid (empty: no end)."""
    try:
        until = date.fromisoformat(valid_until) if valid_until else None
    except ValueError:
        return _dossier_page(request, rt, user, code, error="invalid_date", status=422)
    try:
        now = dossiers.change_role(rt, code, document_id, role=role, component=component or None, actor=user.name)
        if now.valid_until != until:  # the printed start of validity stays
            dossiers.validity(rt, document_id, valid_from=now.valid_from, valid_until=until, actor=user.name)
    except SohoaError as exc:
        return _dossier_page(request, rt, user, code, error=exc.code, status=exc.http_status)
    return _to_dossier(code)
