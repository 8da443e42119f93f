"""Dossier pages: find or create a dossier, see its documents by role, open its owner's store, reuse.

The owner's store is reached from a dossier (``/dossiers/{code}/owner``), so an owner's number
never travels in a page's address; numbers are masked for roles without the ``owner_data`` right.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sohoa.api.rights import Right, sees_owner_data
from sohoa.api.web.access import Page, PageRefused, allowed
from sohoa.core.errors import NotFound, SohoaError
from sohoa.core.owners import OwnerFields
from sohoa.pipeline.actions import dossiers, owners

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Reader = Annotated[Page, Depends(allowed(Right.READ_DOSSIERS))]
Manager = Annotated[Page, Depends(allowed(Right.MANAGE_DOSSIERS))]
Reviewer = Annotated[Page, Depends(allowed(Right.REVIEW))]


def _to_dossier(code: str, **query: str) -> RedirectResponse:
    extra = "&".join(f"{k}={quote(v)}" for k, v in query.items())
    return RedirectResponse(f"/dossiers/{quote(code, safe='')}" + (f"?{extra}" if extra else ""), status_code=303)


@router.get("/dossiers", response_class=HTMLResponse, response_model=None)
def dossiers_page(page: Reader, code: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    if code and code.strip():
        return _to_dossier(code.strip())
    return page.render("dossiers.html", error=None, form={}, can_manage=page.can(Right.MANAGE_DOSSIERS))


@router.post("/dossiers", response_class=HTMLResponse, response_model=None)
def create_dossier(
    page: Manager,
    code: Annotated[str, Form(max_length=64)],
    procedure_code: Annotated[str, Form(max_length=64)] = "",
    owner_id_type: Annotated[str, Form(max_length=32)] = "",
    owner_id: Annotated[str, Form(max_length=32)] = "",
    owner_name: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        owner = OwnerFields(owner_id_type or None, owner_id or None, owner_name or None)
        new = dossiers.NewDossier(code, procedure_code.strip() or None, owner)
        made = dossiers.create(page.rt, new, actor=page.user.name)
    except SohoaError as exc:
        # The number typed is not sent back into the page: the form shows what was chosen, not it.
        form = {
            "code": code,
            "procedure_code": procedure_code,
            "owner_id_type": owner_id_type,
            "owner_name": owner_name,
        }
        return page.render("dossiers.html", status=exc.http_status, error=exc.code, form=form, can_manage=True)
    return _to_dossier(made.code)


def _view(page: Page, code: str) -> dossiers.DossierView:
    try:
        return dossiers.show(page.rt, code)
    except NotFound:
        raise PageRefused(404, "error.dossier_not_found", code=code) from None
    except SohoaError as exc:
        raise PageRefused(exc.http_status, "error.dossier_code_invalid", code=code) from None


def _dossier_page(page: Page, code: str, *, error: str | None = None, status: int = 200) -> HTMLResponse:
    view = _view(page, code)
    return page.render(
        "dossier.html",
        status=status,
        dossier=view.dossier,
        owner=view.dossier.owner_dict(sees_owner_data(page.user.role, page.rt.settings)),
        documents=view.documents,
        resubmitted=view.resubmitted,
        can_manage=page.can(Right.MANAGE_DOSSIERS),
        can_read_documents=page.can(Right.READ_DOCUMENTS),
        can_review=page.can(Right.REVIEW),
        error=error,
        reused=page.request.query_params.get("reused"),
    )


@router.get("/dossiers/{code}", response_class=HTMLResponse)
def dossier_page(page: Reader, code: str) -> HTMLResponse:
    return _dossier_page(page, code)


@router.get("/dossiers/{code}/owner", response_class=HTMLResponse)
def owner_page(page: Reader, code: str) -> HTMLResponse:
    """The store of the dossier's owner, with a "Dùng lại" button on each paper it can reuse."""
    view = _view(page, code)
    owner = view.dossier.owner
    if owner is None:
        raise PageRefused(404, "error.dossier_without_owner", code=view.dossier.code)
    found = owners.store(page.rt, owner.id_type.value, owner.id_number, actor=page.user.name)
    held = {d.document_id for d in view.documents}
    return page.render(
        "owner_store.html",
        dossier=view.dossier,
        store=found.to_dict(full=sees_owner_data(page.user.role, page.rt.settings)),
        held=held,
        can_reuse=page.can(Right.MANAGE_DOSSIERS) and not view.dossier.closed,
    )


@router.post("/dossiers/{code}/reuse", response_class=HTMLResponse, response_model=None)
def reuse(
    page: Manager,
    code: str,
    document_id: Annotated[str, Form(max_length=36)],
    component: Annotated[str, Form(max_length=500)],
) -> Response:
    try:
        made = dossiers.reuse(page.rt, code, document_id, component, actor=page.user.name)
    except SohoaError as exc:
        return _dossier_page(page, code, error=exc.code, status=exc.http_status)
    return _to_dossier(made.dossier_code, reused=made.document_id)


@router.post("/dossiers/{code}/documents/{document_id}", response_class=HTMLResponse, response_model=None)
def correct(
    page: Reviewer,
    code: str,
    document_id: str,
    role: Annotated[str, Form(max_length=16)],
    component: Annotated[str, Form(max_length=500)] = "",
    valid_until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Review: what a paper is in the dossier, and how long it is valid (empty: no end)."""
    rt, actor = page.rt, page.user.name
    try:
        until = date.fromisoformat(valid_until) if valid_until else None
    except ValueError:
        return _dossier_page(page, code, error="invalid_date", status=422)
    try:
        now = dossiers.change_role(rt, code, document_id, role=role, component=component or None, actor=actor)
        if now.valid_until != until:  # the printed start of validity stays
            dossiers.validity(rt, document_id, valid_from=now.valid_from, valid_until=until, actor=actor)
    except SohoaError as exc:
        return _dossier_page(page, code, error=exc.code, status=exc.http_status)
    return _to_dossier(code)
