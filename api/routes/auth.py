"""Browser sign-in: ``POST /auth/login`` sets the session and CSRF cookies, ``/auth/logout`` clears them.

Form posts are answered with redirects (the web UI's pages); callers that ask for JSON with
``Accept: application/json`` get JSON. Scripts use bearer tokens instead and never need these.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from sohoa.api.deps import CSRF_COOKIE, SESSION_COOKIE, ConfigDep, CurrentUser, RuntimeDep
from sohoa.api.schemas import ErrorPublic, LoginPublic, MePublic, errors
from sohoa.core.domain import Role
from sohoa.core.errors import AuthenticationFailed, PermissionDenied
from sohoa.pipeline.actions.accounts import sign_in, sign_out
from sohoa.storage.accounts import LoginPolicy

__all__ = ["router", "safe_next"]

router = APIRouter(prefix="/auth", tags=["auth"])

_MESSAGES = {
    "invalid_credentials": "wrong user name or password",
    "account_locked": "too many failed sign-ins: the account is locked for a while",
    "account_disabled": "this account is disabled",
}
_REDIRECT: dict[int | str, dict[str, Any]] = {
    303: {"description": "form posts: to `next` after sign-in, to `/login?error=1` after a refusal"}
}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "").lower()


def safe_next(target: str | None) -> str:
    """Only a path on this site: a sign-in form must not become a redirect to anywhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in target):
        return "/"
    return target


@router.post(
    "/login",
    response_model=LoginPublic,
    responses={**_REDIRECT, **errors(401, 403, 422)},
    summary="Sign in with a user name and password (sets the session and CSRF cookies)",
)
def login(
    request: Request,
    rt: RuntimeDep,
    config: ConfigDep,
    # Empty fields are a failed sign-in like any other (a redirect for forms), not a malformed request.
    username: Annotated[str, Form(max_length=512)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    next: Annotated[str, Form(max_length=2048, description="where a form post goes after sign-in")] = "/",
) -> Response:
    if request.headers.get("sec-fetch-site") == "cross-site":
        # Another site posting its own credentials would sign the visitor in as someone else.
        raise PermissionDenied("sign-in forms posted from another site are refused", code="csrf_failed")
    policy = LoginPolicy(
        max_failures=config.login_max_failures, lockout=timedelta(minutes=config.login_lockout_minutes)
    )
    lifetime = timedelta(hours=config.session_hours)
    result = sign_in(
        rt, username, password, policy=policy, lifetime=lifetime, previous=request.cookies.get(SESSION_COOKIE)
    )
    opened, user = result.session, result.user
    if opened is None or user is None:
        code = result.code or "invalid_credentials"
        if _wants_json(request):
            raise AuthenticationFailed(_MESSAGES.get(code, "sign-in refused"), code=code)
        return RedirectResponse("/login?error=1", status_code=303)
    name, role = user.name, Role(user.role)
    answer: Response = (
        JSONResponse(LoginPublic(user=name, role=role).model_dump(mode="json"))
        if _wants_json(request)
        else RedirectResponse(safe_next(next), status_code=303)
    )
    secure = request.url.scheme == "https"
    max_age = int(lifetime.total_seconds())
    answer.set_cookie(
        SESSION_COOKIE, opened.cookie, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure
    )
    # Readable by the page's script on purpose: it sends it back in the X-CSRF-Token header.
    answer.set_cookie(
        CSRF_COOKIE, opened.csrf, max_age=max_age, path="/", httponly=False, samesite="lax", secure=secure
    )
    return answer


@router.post(
    "/logout",
    status_code=204,
    responses={303: {"description": "form posts: to `/login`"}},
    summary="Sign out: ends the browser session and clears its cookies",
)
def logout(request: Request, rt: RuntimeDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sign_out(rt, cookie)
    answer: Response = Response(status_code=204) if _wants_json(request) else RedirectResponse("/login", 303)
    answer.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    answer.delete_cookie(CSRF_COOKIE, path="/", samesite="lax")
    return answer


@router.get("/me", response_model=MePublic, responses={401: {"model": ErrorPublic}}, summary="Who is signed in")
def me(user: CurrentUser) -> MePublic:
    return MePublic(name=user.name, role=user.role)
