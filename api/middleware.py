"""``RequestGate``: the first thing every HTTP request meets, before any byte of its body is read.

FastAPI reads a route's JSON or form body before it runs the route's dependencies, so a route's
authentication alone would let an anonymous client push a 300 MiB body into memory (or a spool
file) before its 401. The gate therefore, from the request line and headers only:

1. refuses a body whose declared ``Content-Length`` passes the route's cap (413, nothing read);
2. authenticates every request that carries a body to a route that needs a signed-in user (401,
   or a redirect to the sign-in page for the web pages, nothing read), and hands the user it found
   to ``api.deps`` so the route does not look it up again;
3. while the body streams, counts its bytes against the same cap (a chunked body declares none)
   and answers 413 as soon as it is passed, and gives up on a body that brings less than 1 KiB in
   ``SOHOA_BODY_TIMEOUT`` seconds of waiting (408): a client sending a byte now and then holds no
   upload open.

The caps: uploads ``SOHOA_MAX_REQUEST_BYTES`` (the form reader also enforces its own limits);
a superseding scan ``SOHOA_MAX_FILE_BYTES`` plus the form around it; imports
``SOHOA_MAX_IMPORT_BYTES``; ``/api/v1/verify`` ``SOHOA_MAX_VERIFY_BYTES``; sign-in and sign-out
128 KiB; every other route ``SOHOA_MAX_JSON_BYTES``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sohoa.api.deps import client_of, identify_request, refusals, wants_json
from sohoa.api.limits import RateLimit, SignInGuard, SignInLimits, Throttled
from sohoa.core.errors import AuthenticationFailed
from sohoa.core.settings import Settings

__all__ = ["BodyCaps", "RequestGate", "close_limits", "install_limits", "refuse_sign_in"]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_OVERHEAD = 64 * 1024  # the fields and part headers around a file
_SIGN_IN_BYTES = 128 * 1024  # the form's fields at their longest, every character percent-encoded
_MIN_PROGRESS = 1024  # bytes a body must bring in each SOHOA_BODY_TIMEOUT seconds of waiting
# Routes that take a body before anyone is known: the sign-in form, and sign-out (which must also
# end a session that has already expired).
_OPEN = re.compile(r"^/auth/(login|logout)$")
_SIGN_IN = "/auth/login"
_TARPIT = 1.0  # seconds a throttled sign-in waits for its 429
_API = ("/api/", "/auth/")
_IMPORTS = frozenset(
    {"/api/v1/register/import", "/api/v1/procedures/import", "/registry/register", "/registry/procedures"}
)


@dataclass(frozen=True)
class BodyCaps:
    """The largest body each route accepts, in bytes."""

    default: int
    upload: int
    supersede: int
    imports: int
    verify: int

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyCaps:
        return cls(
            default=settings.max_json_bytes,
            upload=settings.max_request_bytes,
            supersede=settings.max_file_bytes + _FORM_OVERHEAD,
            imports=settings.max_import_bytes,
            verify=settings.max_verify_bytes,
        )

    def cap(self, path: str) -> tuple[int, str]:
        """The cap of ``path`` and the setting that sets it (named in the 413)."""
        if path.rstrip("/") == "/api/v1/uploads":
            return self.upload, "SOHOA_MAX_REQUEST_BYTES"
        if re.fullmatch(r"/api/v1/documents/[^/]+/supersede", path):
            return self.supersede, "SOHOA_MAX_FILE_BYTES"
        if path in (
            "/api/v1/register/import",
            "/api/v1/procedures/import",
            "/registry/register",
            "/registry/procedures",
        ):
            return self.imports, "SOHOA_MAX_IMPORT_BYTES"
        if path == "/api/v1/verify":
            return self.verify, "SOHOA_MAX_VERIFY_BYTES"
        if _OPEN.match(path):
            return _SIGN_IN_BYTES, "-"
        return self.default, "SOHOA_MAX_JSON_BYTES"


class _BodyRefused(Exception):
    """Raised inside ``receive`` when the body passes its cap or stalls; the gate answers for it."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None, **headers: str) -> JSONResponse:
    # Closing the connection: the rest of a refused body is never read, so it cannot carry a next request.
    return JSONResponse(
        {"code": code, "message": message, "details": details or {}},
        status_code=status,
        headers={"Connection": "close", **headers},
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _has_body(scope: Scope, declared: int | None) -> bool:
    """Whether a route will read a body: never for GET and the like (their routes take none, so
    a public page asked with a stray body is not refused; the body is still capped)."""
    if scope["method"] in _SAFE_METHODS:
        return False
    if declared is not None:
        return declared > 0
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])


class RequestGate:
    """Pure ASGI middleware (no ``BaseHTTPMiddleware``: it must not read the body to pass it on)."""

    def __init__(self, app: ASGIApp, caps: BodyCaps, body_timeout: float) -> None:
        self.app = app
        self.caps = caps
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cap, setting = self.caps.cap(path)
        declared = _declared_length(scope)
        too_large: dict[str, Any] = {"max_bytes": cap, "setting": setting}
        if setting == "SOHOA_MAX_REQUEST_BYTES":
            too_large = {"max_request_bytes": cap}  # as the upload form reader has always answered
        if declared is not None and declared > cap:
            await _error(413, "request_too_large", f"the body is larger than this route's {cap} bytes", too_large)(
                scope, receive, send
            )
            return
        if path == _SIGN_IN and scope["method"] == "POST":
            throttled = await self._sign_in_throttled(scope)
            if throttled is not None:
                await throttled(scope, receive, send)
                return
        if _has_body(scope, declared) and not _OPEN.match(path):
            refused = await self._authenticate(scope)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self._pass_on(scope, receive, send, cap, too_large)

    async def _sign_in_throttled(self, scope: Scope) -> Callable[[Scope, Receive, Send], Awaitable[None]] | None:
        """A flood of sign-ins from one address, refused from the head: no form parsed, no hash."""
        guard: SignInGuard = scope["app"].state.sign_in_guard
        request = Request(scope)
        wait = guard.address_wait(client_of(request)["client"])
        if wait <= 0:
            return None
        return await refuse_sign_in(
            request, Throttled("too many failed sign-ins: wait before trying again", retry_after=wait)
        )

    async def _authenticate(self, scope: Scope) -> Callable[[Scope, Receive, Send], Awaitable[None]] | None:
        request = Request(scope)
        try:
            await run_in_threadpool(identify_request, request, scope["app"].state.runtime)
        except AuthenticationFailed as exc:
            if not scope["path"].startswith(_API):
                # A web form whose session ended: back to the sign-in page, as its GET would be.
                return _redirect(scope)
            return _error(401, exc.code, exc.message, exc.details, **{"WWW-Authenticate": "Bearer"})
        return None

    async def _pass_on(self, scope: Scope, receive: Receive, send: Send, cap: int, too_large: dict[str, Any]) -> None:
        received = 0
        refused: _BodyRefused | None = None
        started = False
        body_done = False
        # Progress is judged on the time spent waiting for the client only (not while the app writes
        # what it got): each window of ``body_timeout`` waited seconds must bring _MIN_PROGRESS bytes.
        waited = 0.0
        progress = 0
        loop = asyncio.get_running_loop()

        async def counted_receive() -> Message:
            nonlocal received, refused, body_done, waited, progress
            if body_done:
                # After the body: Starlette waits here for the client to go (event streams may wait
                # an hour), which is neither progress nor its absence.
                return await receive()
            began = loop.time()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.0, self.body_timeout - waited))
            except TimeoutError:
                refused = _BodyRefused(
                    408,
                    "request_timeout",
                    f"the body sent less than {_MIN_PROGRESS} bytes in {self.body_timeout:g} seconds",
                    {"setting": "SOHOA_BODY_TIMEOUT"},
                )
                raise refused from None
            waited += loop.time() - began
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                size = len(message.get("body", b""))
                received += size
                progress += size
                if received > cap:
                    refused = _BodyRefused(
                        413, "request_too_large", f"the body is larger than this route's {cap} bytes", too_large
                    )
                    raise refused
                if progress >= _MIN_PROGRESS:
                    waited, progress = 0.0, 0
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None and not started:
                return  # the app's own answer to the broken read; the gate's replaces it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if refused is None or started:
                raise
        if refused is not None and not started:
            await _error(refused.status, refused.code, refused.message, refused.details)(scope, receive, send)


def _redirect(scope: Scope) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    return RedirectResponse("/login?next=" + quote(scope["path"], safe="/"), status_code=303)


async def _held_back(exc: Throttled) -> dict[str, str]:
    """The ``Retry-After`` of a refusal, once it has been held back a moment: a client that retries
    at once then costs a sleeping coroutine, not a request a millisecond."""
    await asyncio.sleep(min(exc.retry_after, _TARPIT))
    return {"Retry-After": str(exc.retry_after)}


async def _throttled(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Throttled)
    return _error(429, exc.code, exc.message, exc.details, **await _held_back(exc))


async def refuse_sign_in(request: Request, exc: Throttled) -> Response:
    """A throttled sign-in, whether the gate refused it from the head or the route from the name:
    audited (folded per client, whatever names it tries: a flood of invented names is one event a
    minute), then answered as every 429 is, except that a browser's form goes back to the sign-in
    page, which says why."""
    details = {"reason": "throttled", "path": request.url.path, "method": "POST", **client_of(request)}
    await run_in_threadpool(refusals(request).record, actor="-", action="auth.refused", details=details)
    if wants_json(request):
        return await _throttled(request, exc)
    return RedirectResponse("/login?error=throttled", status_code=303, headers=await _held_back(exc))


def install_limits(app: FastAPI, settings: Settings) -> None:
    """The gate, the sign-in guard (``app.state.sign_in_guard``) and 429 answers with ``Retry-After``."""
    app.add_middleware(RequestGate, caps=BodyCaps.from_settings(settings), body_timeout=settings.body_timeout)
    app.state.sign_in_guard = SignInGuard(
        SignInLimits(
            concurrency=settings.login_concurrency,
            per_address=settings.login_rate_per_address,
            per_user=settings.login_rate_per_user,
            max_failures=settings.login_max_failures,
            lockout=settings.login_lockout_minutes * 60,
        )
    )
    app.state.rate_limits = {
        # Each re-verification writes a stored result and an event: a read-only role must not loop on it.
        "verification_refresh": RateLimit(settings.verification_refresh_per_minute),
    }
    app.add_exception_handler(Throttled, _throttled)


def close_limits(app: FastAPI) -> None:
    """At shutdown: pending refusal counts written, the password pool stopped."""
    app.state.sign_in_guard.close()
    found = getattr(app.state, "refusals", None)
    if found is not None:
        found.close()
