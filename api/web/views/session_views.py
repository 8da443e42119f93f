"""Signing in and out, the start page of each role, the language switch, and the account page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sohoa.api.deps import OptionalUser
from sohoa.api.rights import Right, has_right
from sohoa.api.web.access import SignedIn, home_path, local_path
from sohoa.api.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from sohoa.api.web.rendering import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_YEAR = 365 * 24 * 3600


@router.get("/")
def home(user: OptionalUser) -> RedirectResponse:
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_path(user.role), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    user: OptionalUser,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    if user is not None:
        return RedirectResponse(local_path(next_path, home_path(user.role)), status_code=303)
    shown = "throttled" if error == "throttled" else ("failed" if error else "")
    return render(request, "login.html", user=None, next_path=local_path(next_path, "/"), error=shown)


@router.get("/lang/{lang}")
def switch_language(
    lang: str, next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None
) -> RedirectResponse:
    answer = RedirectResponse(local_path(next_path), status_code=303)
    if lang in LANGUAGES:
        answer.set_cookie(LANGUAGE_COOKIE, lang, max_age=_YEAR, samesite="lax", path="/")
    return answer


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: SignedIn) -> HTMLResponse:
    rights = [right for right in Right if has_right(user.role, right)]
    return render(request, "account.html", user=user, rights=rights)
