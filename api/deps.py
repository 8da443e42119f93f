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

from sohoa.api.limits import RateLimit, Throttled
from sohoa.api.rights import Right, has_right
from sohoa.core.domain import Role
from sohoa.core.errors import AuthenticationFailed, PermissionDenied
from sohoa.core.settings import Settings
from sohoa.pipeline.actions.accounts import csrf_matches, identify_session, identify_token
from sohoa.pipeline.actions.audit import RefusalLog
from sohoa.pipeline.runtime import Runtime

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "PRINCIPAL_SCOPE_KEY",
    "SESSION_COOKIE",
    "Auditor",
    "BatchReader",
    "ConfigDep",
    "CoverSheetPrinter",
    "CurrentUser",
    "DocumentReader",
    "DossierManager",
    "DossierReader",
    "Downloader",
    "HoldKeeper",
    "MetricsReader",
    "OptionalUser",
    "Principal",
    "ProcedureReader",
    "RegistryManager",
    "ReportReader",
    "Reviewer",
    "RuntimeDep",
    "SigningReader",
    "Uploader",
    "UserManager",
    "UserReader",
    "Verifier",
    "check_csrf",
    "client_of",
    "defer_csrf_to_body",
    "identify_request",
    "refusals",
    "require",
    "wants_json",
    "within_rate",
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


PRINCIPAL_SCOPE_KEY = "sohoa.principal"  # set by api.middleware when it authenticated before the body


def client_of(request: Request) -> dict[str, str]:
    """Who is at the other end, for audit events: address and user agent (cut short)."""
    address = request.client.host if request.client else "-"
    return {"client": address, "user_agent": request.headers.get("user-agent", "")[:200]}


def wants_json(request: Request) -> bool:
    """Whether the caller asked for JSON (a script, the page's own fetch) rather than a page: a
    browser's form is answered with a redirect instead."""
    return "application/json" in request.headers.get("accept", "").lower()


def refusals(request: Request) -> RefusalLog:
    """The app's refusal log (one per app: repeats are folded per process)."""
    found: RefusalLog | None = getattr(request.app.state, "refusals", None)
    if found is None:
        found = request.app.state.refusals = RefusalLog(request.app.state.runtime)
    return found


def _refuse(request: Request, code: str, message: str) -> AuthenticationFailed:
    refusals(request).record(
        actor="-",
        action="auth.refused",
        details={"reason": code, "path": request.url.path, "method": request.method, **client_of(request)},
    )
    return AuthenticationFailed(message, code=code)


def identify_request(request: Request, rt: Runtime) -> Principal:
    """Who sends ``request``, from its headers alone (never its body); 401 otherwise.

    Credentials that are refused (a wrong, revoked, expired token, an ended session) are audited;
    a request with none at all is not: every signed-out page view would be an event."""
    cached: Principal | None = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if cached is not None:
        return cached
    header = request.headers.get("authorization")
    cookie = request.cookies.get(SESSION_COOKIE)
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _refuse(request, "invalid_token", "only bearer tokens are accepted")
        user = identify_token(rt, token.strip())
        if user is None:
            raise _refuse(request, "invalid_token", "invalid, expired or revoked token")
        found = Principal(id=user.id, name=user.name, role=Role(user.role))
    elif cookie:
        session = identify_session(rt, cookie)
        if session is None:
            raise _refuse(request, "session_expired", "the session has ended; sign in again")
        user, csrf_hash = session
        found = Principal(id=user.id, name=user.name, role=Role(user.role), via="session", csrf_hash=csrf_hash)
    else:
        raise AuthenticationFailed("sign in, or send a bearer token", code="unauthenticated")
    request.scope[PRINCIPAL_SCOPE_KEY] = found
    return found


def _identify(
    request: Request,
    rt: RuntimeDep,
    # Declared for the OpenAPI description of the two ways in; the headers are read by identify_request.
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    return identify_request(request, rt)


def defer_csrf_to_body(request: Request) -> None:
    """For routes that read their own streamed form: they check its ``csrf_token`` field themselves."""
    request.state.csrf_deferred = True


def _audit_csrf(user: Principal, request: Request) -> None:
    refusals(request).record(
        actor=user.name,
        action="access.denied",
        details={"reason": "csrf_failed", "path": request.url.path, "method": request.method, **client_of(request)},
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
        await run_in_threadpool(_audit_csrf, user, request)
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
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal | None:
    try:
        return identify_request(request, rt)
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
    """The audit event of a refused request (API or page), folded with its repeats."""
    refusals(request).record(
        actor=user.name,
        action="access.denied",
        details={"right": right.value, "path": request.url.path, "method": request.method, **client_of(request)},
    )


def require(right: Right) -> Callable[..., Principal]:
    """A dependency that lets through only users whose role holds ``right``; refusals are audited."""

    def dependency(user: CurrentUser, rt: RuntimeDep, request: Request) -> Principal:
        if not has_right(user.role, right):
            audit_denied(rt, user, right, request)
            raise PermissionDenied(f"role {user.role.value!r} lacks the right {right.value!r}", code="forbidden")
        return user

    return dependency


# The caller, let through by one right: a route's signature names the right it needs (``_user: DocumentReader``).
Uploader = Annotated[Principal, Depends(require(Right.UPLOAD))]
BatchReader = Annotated[Principal, Depends(require(Right.READ_BATCHES))]  # an uploader: its own batches only
DocumentReader = Annotated[Principal, Depends(require(Right.READ_DOCUMENTS))]
ProcedureReader = Annotated[Principal, Depends(require(Right.READ_PROCEDURES))]
ReportReader = Annotated[Principal, Depends(require(Right.READ_REPORTS))]
Downloader = Annotated[Principal, Depends(require(Right.DOWNLOAD))]
Reviewer = Annotated[Principal, Depends(require(Right.REVIEW))]
Auditor = Annotated[Principal, Depends(require(Right.READ_AUDIT))]
UserReader = Annotated[Principal, Depends(require(Right.READ_USERS))]
UserManager = Annotated[Principal, Depends(require(Right.MANAGE_USERS))]
SigningReader = Annotated[Principal, Depends(require(Right.READ_SIGNING))]
MetricsReader = Annotated[Principal, Depends(require(Right.METRICS))]
# Loading reference data and the register, and correcting archived records, are an administrator's
# acts until a dedicated right exists.
RegistryManager = Annotated[Principal, Depends(require(Right.MANAGE_REGISTRY))]
CoverSheetPrinter = Annotated[Principal, Depends(require(Right.PRINT_COVER_SHEETS))]
Verifier = Annotated[Principal, Depends(require(Right.VERIFY))]
HoldKeeper = Annotated[Principal, Depends(require(Right.LEGAL_HOLD))]
DossierReader = Annotated[Principal, Depends(require(Right.READ_DOSSIERS))]
DossierManager = Annotated[Principal, Depends(require(Right.MANAGE_DOSSIERS))]


def within_rate(request: Request, user: Principal, limit_name: str) -> None:
    """One more use of a rate-limited action by ``user`` (``app.state.rate_limits[limit_name]``),
    or 429 with ``Retry-After``; the refusal is audited (folded with its repeats)."""
    limit: RateLimit = request.app.state.rate_limits[limit_name]
    wait = limit.take(user.name)
    if wait > 0:
        details = {"reason": "rate_limited", "path": request.url.path, "method": request.method, **client_of(request)}
        refusals(request).record(actor=user.name, action="access.denied", details=details)
        raise Throttled(f"at most {limit.limit} of these a minute: wait before asking again", retry_after=wait)
