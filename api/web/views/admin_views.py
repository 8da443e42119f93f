"""Administration pages: the users (administrators change them, auditors read them) and the audit log
(auditors and administrators), with filters and pages.

Every change goes through ``pipeline.actions.accounts``, the functions ``/api/v1/users`` calls, so the
same rules hold (an administrator cannot lock themselves out, a password reset ends sessions) and the
same events are written. A form's outcome is shown after a redirect, so reloading repeats nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sohoa.api.deps import Principal, RuntimeDep
from sohoa.api.rights import Right, has_right
from sohoa.api.web.access import allowed
from sohoa.api.web.rendering import render
from sohoa.core.clock import VN_TZ
from sohoa.core.domain import Role
from sohoa.core.errors import SohoaError
from sohoa.pipeline.actions import accounts
from sohoa.pipeline.actions.audit import audit_page
from sohoa.storage.audit import AuditFilter
from sohoa.storage.records import UserRecord

__all__ = ["AUDIT_PAGE_SIZE", "USERS_PAGE_SIZE", "UserFilter", "parse_day", "router"]

router = APIRouter(include_in_schema=False)

UserReader = Annotated[Principal, Depends(allowed(Right.READ_USERS))]
UserAdmin = Annotated[Principal, Depends(allowed(Right.MANAGE_USERS))]
Auditor = Annotated[Principal, Depends(allowed(Right.READ_AUDIT))]
UserName = Annotated[str, Path(min_length=1, max_length=128)]
AUDIT_PAGE_SIZE = 50
USERS_PAGE_SIZE = 50
# what a form did, as the redirect names it, and the sentence that says so
_DONE = {
    "added": "users.done_added",
    "role": "users.done_role",
    "disabled": "users.done_disabled",
    "enabled": "users.done_enabled",
    "password": "users.done_password",
}


# --- users ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserFilter:
    """What the users page lists: a part of the name, a role, active or disabled accounts."""

    text: str = ""
    role: str = ""
    status: str = ""  # "active", "disabled" or "" for both

    def keeps(self, record: UserRecord) -> bool:
        if self.text and self.text.casefold() not in record.name.casefold():
            return False
        if self.role and record.role != self.role:
            return False
        return not self.status or (self.status == "disabled") == record.disabled

    def query(self) -> dict[str, str]:
        return {k: v for k, v in (("q", self.text), ("role", self.role), ("status", self.status)) if v}


def _users_page(
    request: Request,
    rt: RuntimeDep,
    user: Principal,
    *,
    done: str | None = None,
    name: str | None = None,
    error: str | None = None,
    status: int = 200,
    chosen: UserFilter | None = None,
    page: int = 1,
) -> HTMLResponse:
    chosen = chosen or UserFilter()
    # An office has tens of accounts: the whole list is read and filtered here.
    found = [u for u in sorted(accounts.users(rt), key=lambda u: u.name) if chosen.keeps(u)]
    pages = max(1, -(-len(found) // USERS_PAGE_SIZE))
    page = min(page, pages)
    query = urlencode(chosen.query())
    return render(
        request,
        "users.html",
        user=user,
        status=status,
        users=found[(page - 1) * USERS_PAGE_SIZE : page * USERS_PAGE_SIZE],
        total=len(found),
        page=page,
        pages=pages,
        chosen=chosen,
        query=query,
        roles=list(Role),
        can_manage=has_right(user.role, Right.MANAGE_USERS),
        done_key=_DONE.get(done or ""),
        name=name,
        error=error,
    )


def _done(what: str, name: str) -> RedirectResponse:
    return RedirectResponse("/admin/users?" + urlencode({"done": what, "name": name}), status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    rt: RuntimeDep,
    user: UserReader,
    done: Annotated[str | None, Query(max_length=16)] = None,
    name: Annotated[str | None, Query(max_length=128)] = None,
    q: Annotated[str, Query(max_length=128)] = "",
    role: Annotated[Role | Literal[""], Query()] = "",
    status: Annotated[Literal["", "active", "disabled"], Query()] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    chosen = UserFilter(q.strip(), role.value if isinstance(role, Role) else "", status)
    return _users_page(request, rt, user, done=done, name=name, chosen=chosen, page=page)


def _refused(request: Request, rt: RuntimeDep, user: Principal, exc: SohoaError, name: str) -> HTMLResponse:
    return _users_page(request, rt, user, error=exc.code, name=name, status=exc.http_status)


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    rt: RuntimeDep,
    admin: UserAdmin,
    name: Annotated[str, Form(max_length=128)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    # The form's csrf_token field was checked by the user dependency (api.deps) before we got here.
    try:
        accounts.add_user(rt, name.strip(), role, actor=admin.name, password=password, token=False)
    except SohoaError as exc:
        return _refused(request, rt, admin, exc, name)
    return _done("added", name.strip())


@router.post("/admin/users/{name}/role", response_class=HTMLResponse)
def change_role(
    request: Request, rt: RuntimeDep, admin: UserAdmin, name: UserName, role: Annotated[Role, Form()]
) -> Response:
    try:
        accounts.update_user(rt, name, actor=admin.name, actor_id=admin.id, role=role)
    except SohoaError as exc:
        return _refused(request, rt, admin, exc, name)
    return _done("role", name)


@router.post("/admin/users/{name}/disabled", response_class=HTMLResponse)
def set_disabled(
    request: Request, rt: RuntimeDep, admin: UserAdmin, name: UserName, disabled: Annotated[bool, Form()]
) -> Response:
    try:
        accounts.update_user(rt, name, actor=admin.name, actor_id=admin.id, disabled=disabled)
    except SohoaError as exc:
        return _refused(request, rt, admin, exc, name)
    return _done("disabled" if disabled else "enabled", name)


@router.post("/admin/users/{name}/password", response_class=HTMLResponse)
def reset_password(
    request: Request,
    rt: RuntimeDep,
    admin: UserAdmin,
    name: UserName,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        accounts.change_password(rt, name, password, actor=admin.name)
    except SohoaError as exc:
        return _refused(request, rt, admin, exc, name)
    return _done("password", name)


# --- audit log --------------------------------------------------------------------------------------


def parse_day(text: str | None) -> date | None:
    """``31/12/2025`` as people here write it, or ``2025-12-31`` as a date field sends it; else None."""
    if not text or not text.strip():
        return None
    value = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def _start_of(day: date) -> datetime:
    # days are Vietnam's: the log stores UTC
    return datetime.combine(day, time.min, tzinfo=VN_TZ)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    rt: RuntimeDep,
    user: Auditor,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    document_id: Annotated[str | None, Query(max_length=36)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Newest first; ``since`` and ``until`` are whole days (both included), ``action`` exact or a
    prefix ending in ``*`` (``auth.*``)."""
    errors: list[tuple[str, str]] = []
    days: dict[str, date | None] = {}
    for key, text in (("since", since), ("until", until)):
        try:
            days[key] = parse_day(text)
        except ValueError:
            errors.append(("error.bad_day", text or ""))
            days[key] = None
    first, last = days["since"], days["until"]
    flt = AuditFilter(
        actor=(actor or "").strip() or None,
        action=(action or "").strip() or None,
        document_id=(document_id or "").strip() or None,
        since=_start_of(first) if first else None,
        until=_start_of(last + timedelta(days=1)) if last else None,
    )
    events, total = audit_page(rt, flt, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    kept = {
        key: value
        for key, value in (
            ("actor", flt.actor),
            ("action", flt.action),
            ("document_id", flt.document_id),
            ("since", since),
            ("until", until),
        )
        if value
    }
    return render(
        request,
        "audit.html",
        user=user,
        status=422 if errors else 200,
        events=events,
        total=total,
        page=page,
        pages=pages,
        filters=kept,
        query=urlencode(kept),
        errors=errors,
    )
