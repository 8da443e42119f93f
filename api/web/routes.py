"""The web interface's router, and ``install_web`` which adds it, its static files and its error pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from sohoa.api.web.access import PageRefused, SignInNeeded
from sohoa.api.web.rendering import STATIC_URL, render
from sohoa.api.web.views import (
    admin_views,
    archive_views,
    batch_views,
    dashboard_views,
    dossier_views,
    registry_views,
    review_views,
    session_views,
    upload_views,
)

__all__ = ["STATIC_DIR", "install_web", "router"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter(include_in_schema=False)
for _views in (
    session_views,
    upload_views,
    review_views,
    archive_views,
    dashboard_views,
    dossier_views,
    registry_views,
    batch_views,
    admin_views,
):
    router.include_router(_views.router)


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInNeeded)
    return RedirectResponse("/login?next=" + quote(exc.next_path, safe="/"), status_code=303)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefused)
    user = getattr(request.state, "web_user", None)
    answer: HTMLResponse = render(
        request, "error.html", user=user, status=exc.status, message_key=exc.message_key, params=exc.params
    )
    return answer


def install_web(app: FastAPI) -> None:
    """Serve the web interface from ``app``: pages, ``/static/web`` and HTML error pages. Idempotent."""
    if getattr(app.state, "web_installed", False):
        return
    app.state.web_installed = True
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="web-static")
    app.add_exception_handler(SignInNeeded, _sign_in)
    app.add_exception_handler(PageRefused, _refused)
