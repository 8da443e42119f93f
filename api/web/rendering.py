"""Pages from Jinja2 templates: the shared context (user, words, CSRF token, menu) and safe headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from sohoa.api.deps import CSRF_COOKIE, CSRF_FIELD, Principal
from sohoa.api.rights import Right, has_right
from sohoa.api.web.i18n import LANGUAGES, Translator, request_language
from sohoa.core.clock import to_local

__all__ = ["PAGE_HEADERS", "STATIC_URL", "TEMPLATE_DIR", "MenuItem", "environment", "has_route", "menu", "render"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_URL = "/static/web"

# No CDN and no inline script: everything the page runs comes from this site's static files.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "frame-src 'self'; object-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class MenuItem:
    path: str
    label_key: str
    right: Right


_MENU = (
    MenuItem("/upload", "nav.upload", Right.UPLOAD),
    MenuItem("/review", "nav.review", Right.REVIEW),
    MenuItem("/failures", "nav.failures", Right.REVIEW),
    MenuItem("/search", "nav.search", Right.READ_DOCUMENTS),
    MenuItem("/dossiers", "nav.dossiers", Right.READ_DOSSIERS),
    MenuItem("/dashboard", "nav.dashboard", Right.READ_REPORTS),
    MenuItem("/registry", "nav.registry", Right.MANAGE_REGISTRY),
    MenuItem("/coversheets", "nav.coversheets", Right.PRINT_COVER_SHEETS),
    MenuItem("/batches", "nav.batches", Right.READ_BATCHES),
    MenuItem("/admin/users", "nav.users", Right.READ_USERS),
    MenuItem("/admin/audit", "nav.audit", Right.READ_AUDIT),
)


def menu(user: Principal | None) -> list[MenuItem]:
    if user is None:
        return []
    return [item for item in _MENU if has_right(user.role, item.right)]


def has_route(request: Request, path: str, method: str = "get") -> bool:
    """Whether the app serves ``method path`` (a route template): pages offer what other routers add, once added.

    Read from the OpenAPI description (built once, then cached by FastAPI): included routers are
    not flattened into ``app.routes``.
    """
    return method in request.app.openapi().get("paths", {}).get(path, {})


def _local_time(moment: datetime | None) -> str:
    return to_local(moment).strftime("%d/%m/%Y %H:%M") if moment is not None else ""


def _day(value: date | str | None) -> str:
    """A day as people here write it (31/12/2025); text that is not an ISO date stays as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    try:
        return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return value


def _percent(value: float | None, lang: str = "vi") -> str:
    if value is None:
        return "–"
    text = f"{value * 100:.1f}"
    return (text.replace(".", ",") if lang == "vi" else text) + " %"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_time"] = _local_time
    env.filters["day"] = _day
    env.filters["percent"] = _percent
    return env


def render(
    request: Request,
    template: str,
    *,
    user: Principal | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = request_language(request)
    t = Translator(lang)
    page = (
        environment()
        .get_template(template)
        .render(
            request=request,
            user=user,
            t=t,
            lang=lang,
            languages=LANGUAGES,
            csrf_field=CSRF_FIELD,
            csrf_token=request.cookies.get(CSRF_COOKIE, ""),
            menu=menu(user),
            here=request.url.path,
            here_with_query=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
            static=STATIC_URL,
            **context,
        )
    )
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)
