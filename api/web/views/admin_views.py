"""Administration pages: the users (administrators change them, auditors read them) and the audit log
(auditors and administrators), with filters and pages.

Every change goes through ``pipeline.actions.accounts``, the functions ``/api/v1/users`` calls, so the
same rules hold (an administrator cannot lock themselves out, a password reset ends sessions) and the
same events are written. A form's outcome is shown after a redirect, so reloading repeats nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sohoa.api.rights import Right
from sohoa.api.web.access import Page, allowed
from sohoa.api.web.paging import Paging, paged
from sohoa.core.clock import VN_TZ
from sohoa.core.domain import Role
from sohoa.core.errors import SohoaError
from sohoa.pipeline.actions import accounts
from sohoa.pipeline.actions.audit import audit_page
from sohoa.storage.audit import AuditFilter
from sohoa.storage.records import UserRecord

__all__ = ["AUDIT_PAGE_SIZE", "USERS_PAGE_SIZE", "UserFilter", "parse_day", "router"]

router = APIRouter(include_in_schema=False)

UserReader = Annotated[Page, Depends(allowed(Right.READ_USERS))]
UserAdmin = Annotated[Page, Depends(allowed(Right.MANAGE_USERS))]
Auditor = Annotated[Page, Depends(allowed(Right.READ_AUDIT))]
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


def _chosen(
    q: Annotated[str, Query(max_length=128)] = "",
    role: Annotated[Role | Literal[""], Query()] = "",
    status: Annotated[Literal["", "active", "disabled"], Query()] = "",
) -> UserFilter:
    """The filter as the page's form sends it."""
    return UserFilter(q.strip(), role.value if isinstance(role, Role) else "", status)


@dataclass(frozen=True)
class UsersShown:
    """What the users page shows besides the accounts: the filter and page, and what a form did or why it
    was refused (``done`` as the redirect names it, ``error`` a reason code) to which account (``name``)."""

    chosen: UserFilter = UserFilter()
    paging: Paging = field(default_factory=lambda: Paging(1, USERS_PAGE_SIZE))
    done: str | None = None
    name: str | None = None
    error: str | None = None
    status: int = 200


def _users_page(page: Page, shown: UsersShown) -> HTMLResponse:
    chosen = shown.chosen
    # An office has tens of accounts: the whole list is read and filtered here.
    found = [u for u in sorted(accounts.users(page.rt), key=lambda u: u.name) if chosen.keeps(u)]
    paging = shown.paging.at_most(len(found))
    return page.render(
        "users.html",
        status=shown.status,
        users=found[paging.offset : paging.offset + paging.size],
        **paging.shown(len(found), "/admin/users", chosen.query()),
        chosen=chosen,
        roles=list(Role),
        can_manage=page.can(Right.MANAGE_USERS),
        done_key=_DONE.get(shown.done or ""),
        name=shown.name,
        error=shown.error,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    page: UserReader,
    chosen: Annotated[UserFilter, Depends(_chosen)],
    paging: Annotated[Paging, Depends(paged(USERS_PAGE_SIZE))],
    done: Annotated[str | None, Query(max_length=16)] = None,
    name: Annotated[str | None, Query(max_length=128)] = None,
) -> HTMLResponse:
    return _users_page(page, UsersShown(chosen, paging, done=done, name=name))


def _acted(page: Page, name: str, act: Callable[[], object], done: str) -> Response:
    """A form's action on account ``name``: back to the list saying ``done`` (a redirect, so reloading
    repeats nothing), or the list saying why it was refused.

    The form's csrf_token field was checked by the user dependency (api.deps) before we got here."""
    try:
        act()
    except SohoaError as exc:
        return _users_page(page, UsersShown(name=name, error=exc.code, status=exc.http_status))
    return RedirectResponse("/admin/users?" + urlencode({"done": done, "name": name}), status_code=303)


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(
    page: UserAdmin,
    name: Annotated[str, Form(max_length=128)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    name, rt, admin = name.strip(), page.rt, page.user
    return _acted(
        page, name, lambda: accounts.add_user(rt, name, role, actor=admin.name, password=password, token=False), "added"
    )


@router.post("/admin/users/{name}/role", response_class=HTMLResponse)
def change_role(page: UserAdmin, name: UserName, role: Annotated[Role, Form()]) -> Response:
    rt, admin = page.rt, page.user
    return _acted(
        page, name, lambda: accounts.update_user(rt, name, actor=admin.name, actor_id=admin.id, role=role), "role"
    )


@router.post("/admin/users/{name}/disabled", response_class=HTMLResponse)
def set_disabled(page: UserAdmin, name: UserName, disabled: Annotated[bool, Form()]) -> Response:
    rt, admin, done = page.rt, page.user, "disabled" if disabled else "enabled"
    return _acted(
        page, name, lambda: accounts.update_user(rt, name, actor=admin.name, actor_id=admin.id, disabled=disabled), done
    )


@router.post("/admin/users/{name}/password", response_class=HTMLResponse)
def reset_password(page: UserAdmin, name: UserName, password: Annotated[str, Form(max_length=1024)]) -> Response:
    rt, admin = page.rt, page.user
    return _acted(page, name, lambda: accounts.change_password(rt, name, password, actor=admin.name), "password")


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
    page: Auditor,
    paging: Annotated[Paging, Depends(paged(AUDIT_PAGE_SIZE))],
    actor: Annotated[str | None, Query(max_length=128)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    document_id: Annotated[str | None, Query(max_length=36)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
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
    events, total = audit_page(page.rt, flt, limit=paging.size, offset=paging.offset)
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
    return page.render(
        "audit.html",
        status=422 if errors else 200,
        events=events,
        **paging.shown(total, "/admin/audit", kept),
        filters=kept,
        errors=errors,
    )
