"""Browser sign-in: ``POST /auth/login`` sets the session and CSRF cookies, ``/auth/logout`` clears them.

Form posts are answered with redirects (the web UI's pages); callers that ask for JSON with
``Accept: application/json`` get JSON. Scripts use bearer tokens instead and never need these.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sohoa.api.deps import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    ConfigDep,
    CurrentUser,
    Principal,
    RuntimeDep,
    check_csrf,
    client_of,
    identify_request,
    refusals,
    wants_json,
)
from sohoa.api.limits import SignInGuard, Throttled
from sohoa.api.middleware import refuse_sign_in
from sohoa.api.schemas import LoginPublic, MePublic, errors
from sohoa.core.domain import Role
from sohoa.core.errors import AuthenticationFailed, PermissionDenied
from sohoa.core.settings import Settings
from sohoa.pipeline.actions.accounts import SignIn, sign_in, sign_in_actor, sign_out
from sohoa.pipeline.actions.audit import audit_event

__all__ = ["router", "safe_next"]

router = APIRouter(prefix="/auth", tags=["auth"])

# One answer for a wrong name, a wrong password and a locked pair: none of them may tell an
# outsider which names exist.
_MESSAGES = {
    "invalid_credentials": "wrong user name or password (after repeated failures, sign-in pauses for a while)",
    "account_disabled": "this account is disabled",
}
_REDIRECT: dict[int | str, dict[str, Any]] = {
    303: {"description": "form posts: to `next` after sign-in, to `/login?error=1` after a refusal"}
}


def safe_next(target: str | None) -> str:
    """Only a path on this site: a sign-in form must not become a redirect to anywhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in target):
        return "/"
    return target


def _from_this_site(request: Request, config: Settings) -> bool:
    """Whether a sign-in form comes from this site's own page (or an origin the operator allows).

    Browsers send ``Sec-Fetch-Site`` and ``Origin`` with form posts; a script or ``curl`` sends
    neither and has nothing to forge. ``Origin: null`` (a sandboxed or privacy-stripped page) is
    not this site."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    origin = origin.strip().lower().rstrip("/")
    if origin in config.allowed_origins:
        return True
    host = request.headers.get("host", "").lower()
    return origin != "null" and bool(host) and urlsplit(origin).netloc == host


@router.post(
    "/login",
    response_model=LoginPublic,
    responses={**_REDIRECT, **errors(401, 403, 422, 429)},
    summary="Sign in with a user name and password (sets the session and CSRF cookies)",
)
async def login(
    request: Request,
    rt: RuntimeDep,
    config: ConfigDep,
    # Empty fields are a failed sign-in like any other (a redirect for forms), not a malformed request.
    username: Annotated[str, Form(max_length=512)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    next: Annotated[str, Form(max_length=2048, description="where a form post goes after sign-in")] = "/",
) -> Response:
    client = client_of(request)
    if not _from_this_site(request, config):
        # Another site posting its own credentials would sign the visitor in as someone else.
        await run_in_threadpool(
            refusals(request).record,
            actor="-",
            action="access.denied",
            details={"reason": "cross_site_sign_in", "path": request.url.path, "method": "POST", **client},
        )
        raise PermissionDenied("sign-in forms posted from another site are refused", code="csrf_failed")
    guard: SignInGuard = request.app.state.sign_in_guard
    key, address = unicodedata.normalize("NFC", username).strip()[:128], client["client"]
    try:
        guard.check(key, address)
    except Throttled as exc:
        return await refuse_sign_in(request, exc)
    lifetime = timedelta(hours=config.session_hours)
    if guard.locked(key, address):
        # Refused unread, at no Argon2 cost: the lock binds this address only, so its owner elsewhere
        # still signs in, and retrying from here does not extend it.
        actor = await run_in_threadpool(sign_in_actor, rt, key)
        details = {"reason": "locked", "path": request.url.path, "method": "POST", **client}
        await run_in_threadpool(refusals(request).record, actor=actor, action="auth.login_failed", details=details)
        guard.refused_locked(address)
        result = SignIn(None, None, "invalid_credentials", actor)
    else:
        previous = request.cookies.get(SESSION_COOKIE)
        try:
            result = await guard.run(
                lambda: sign_in(rt, username, password, lifetime=lifetime, previous=previous, client=client)
            )
        except Throttled as exc:  # too many password checks waiting: answered like any throttled sign-in
            return await refuse_sign_in(request, exc)
        if result.user is None:
            until = guard.failed(key, address)
            if until is not None:
                minutes = config.login_lockout_minutes
                details = {"user": result.actor, "minutes": minutes, **client}
                await run_in_threadpool(audit_event, rt, actor=result.actor, action="auth.locked", details=details)
        else:
            guard.succeeded(key, address)
    opened, user = result.session, result.user
    if opened is None or user is None:
        code = result.code or "invalid_credentials"
        if wants_json(request):
            raise AuthenticationFailed(_MESSAGES.get(code, "sign-in refused"), code=code)
        return RedirectResponse("/login?error=1", status_code=303)
    name, role = user.name, Role(user.role)
    answer: Response = (
        JSONResponse(LoginPublic(user=name, role=role).model_dump(mode="json"))
        if wants_json(request)
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
    responses={303: {"description": "form posts: to `/login`"}, **errors(403)},
    summary="Sign out: ends the browser session and clears its cookies (with the CSRF token)",
)
async def logout(request: Request, rt: RuntimeDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            user: Principal | None = await run_in_threadpool(identify_request, request, rt)
        except AuthenticationFailed:
            user = None  # the session has ended already: only the cookies are left to clear
        if user is not None and user.via == "session":
            # Another site must not be able to sign the visitor out (and in again as someone else).
            submitted = request.headers.get(CSRF_HEADER)
            if submitted is None:
                value = (await request.form()).get(CSRF_FIELD)
                submitted = value if isinstance(value, str) else None
            await check_csrf(request, rt, user, submitted)
            await run_in_threadpool(lambda: sign_out(rt, cookie, client=client_of(request)))
    answer: Response = Response(status_code=204) if wants_json(request) else RedirectResponse("/login", 303)
    answer.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    answer.delete_cookie(CSRF_COOKIE, path="/", samesite="lax")
    return answer


@router.get("/me", response_model=MePublic, responses=errors(401), summary="Who is signed in")
def me(user: CurrentUser) -> MePublic:
    return MePublic(name=user.name, role=user.role)
