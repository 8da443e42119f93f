"""Typed dependencies so routes read like specs: ``RuntimeDep``, ``CurrentUser``, ``OptionalUser``, ``require(...)``.

A caller proves who it is with a bearer token (scripts, other systems) or with the session cookie
a browser got at ``POST /auth/login``. Cookies travel by themselves, so a request that changes
something and comes with the cookie must also carry the CSRF token: in the ``X-CSRF-Token`` header
or the ``csrf_token`` form field, equal to the ``sohoa_csrf`` cookie issued with the session.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from sohoa.api.rights import Right, has_right
from sohoa.core.domain import Role
from sohoa.core.errors import AuthenticationFailed, PermissionDenied
from sohoa.core.settings import Settings
from sohoa.pipeline.actions.accounts import csrf_matches, identify_session, identify_token
from sohoa.pipeline.actions.audit import audit_event
from sohoa.pipeline.runtime import Runtime

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "ConfigDep",
    "CurrentUser",
    "OptionalUser",
    "Principal",
    "RuntimeDep",
    "check_csrf",
    "defer_csrf_to_body",
    "require",
]

SESSION_COOKIE = "sohoa_session"
CSRF_COOKIE = "sohoa_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="API token (`sohoa users add NAME --role ROLE`, or `POST /api/v1/users/{name}/tokens`)",
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="browser session from `POST /auth/login`; unsafe methods also need the CSRF token",
)


@dataclass(frozen=True)
class Principal:
    id: int
    name: str
    role: Role
    via: Literal["token", "session"] = "token"
    csrf_hash: str | None = None  # the session's CSRF token, hashed (sessions only)
    csrf_pending: bool = False  # the route checks the CSRF field of its own body (see defer_csrf_to_body)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_config(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ConfigDep = Annotated[Settings, Depends(get_config)]


def _identify(
    request: Request,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    if credentials is not None:
        user = identify_token(rt, credentials.credentials)
        if user is None:
            raise AuthenticationFailed("invalid or revoked token", code="invalid_token")
        return Principal(id=user.id, name=user.name, role=Role(user.role))
    if cookie:
        found = identify_session(rt, cookie)
        if found is None:
            raise AuthenticationFailed("the session has ended; sign in again", code="session_expired")
        user, csrf_hash = found
        return Principal(id=user.id, name=user.name, role=Role(user.role), via="session", csrf_hash=csrf_hash)
    if "authorization" in request.headers:
        raise AuthenticationFailed("only bearer tokens are accepted", code="invalid_token")
    raise AuthenticationFailed("sign in, or send a bearer token", code="unauthenticated")


def defer_csrf_to_body(request: Request) -> None:
    """For routes that read their own streamed form: they check its ``csrf_token`` field themselves."""
    request.state.csrf_deferred = True


def _audit_csrf(rt: Runtime, user: Principal, request: Request) -> None:
    audit_event(
        rt,
        actor=user.name,
        action="access.denied",
        details={"reason": "csrf_failed", "path": request.url.path, "method": request.method},
    )


async def check_csrf(request: Request, rt: Runtime, user: Principal, submitted: str | None) -> None:
    """Double submit: the token sent equals the CSRF cookie, and that cookie is the one of this session."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    ok = (
        bool(submitted)
        and bool(cookie)
        and secrets.compare_digest(cookie.encode(), (submitted or "").encode())
        and user.csrf_hash is not None
        and csrf_matches(user.csrf_hash, cookie)
    )
    if not ok:
        await run_in_threadpool(_audit_csrf, rt, user, request)
        raise PermissionDenied(
            f"a signed-in browser must send the {CSRF_HEADER} header or the {CSRF_FIELD} field", code="csrf_failed"
        )


async def _guard(request: Request, rt: Runtime, user: Principal) -> Principal:
    if user.via != "session" or request.method in _SAFE_METHODS:
        return user
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media in _FORM_TYPES:
            if getattr(request.state, "csrf_deferred", False):
                return Principal(user.id, user.name, user.role, user.via, user.csrf_hash, csrf_pending=True)
            value = (await request.form()).get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
    await check_csrf(request, rt, user, submitted)
    return user


async def get_principal(request: Request, rt: RuntimeDep, user: Annotated[Principal, Depends(_identify)]) -> Principal:
    return await _guard(request, rt, user)


def _identify_optional(
    request: Request,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal | None:
    try:
        return _identify(request, rt, credentials, cookie)
    except AuthenticationFailed:
        return None


async def get_optional_principal(
    request: Request, rt: RuntimeDep, user: Annotated[Principal | None, Depends(_identify_optional)]
) -> Principal | None:
    return None if user is None else await _guard(request, rt, user)


CurrentUser = Annotated[Principal, Depends(get_principal)]
# For pages: None when signed out; a forged unsafe request is still refused.
OptionalUser = Annotated[Principal | None, Depends(get_optional_principal)]


def audit_denied(rt: Runtime, user: Principal, right: Right, request: Request) -> None:
    """The audit event of a refused request (API or page)."""
    audit_event(
        rt,
        actor=user.name,
        action="access.denied",
        details={"right": right.value, "path": request.url.path, "method": request.method},
    )


def require(right: Right) -> Callable[..., Principal]:
    """A dependency that lets through only users whose role holds ``right``; refusals are audited."""

    def dependency(user: CurrentUser, rt: RuntimeDep, request: Request) -> Principal:
        if not has_right(user.role, right):
            audit_denied(rt, user, right, request)
            raise PermissionDenied(f"role {user.role.value!r} lacks the right {right.value!r}", code="forbidden")
        return user

    return dependency
