"""Who is looking at a page: the signed-in user and their rights, and the ``Page`` a page route answers from.

Pages take the browser session through ``api.deps.OptionalUser`` (the session cookie or a bearer
token), which also refuses a form post whose ``csrf_token`` field does not match the session's
CSRF cookie. A signed-out visitor is sent to ``/login`` and comes back afterwards; a user without
the right sees a page that says so (and the refusal is audited, as the API does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from sohoa.api.deps import OptionalUser, Principal, RuntimeDep, audit_denied
from sohoa.api.rights import Right, has_right
from sohoa.api.web.i18n import Translator, request_language
from sohoa.api.web.rendering import render
from sohoa.core.domain import Role
from sohoa.pipeline.runtime import Runtime

__all__ = [
    "Page",
    "PageRefused",
    "SignInNeeded",
    "SignedIn",
    "allowed",
    "home_path",
    "local_path",
    "signed_in",
]


class SignInNeeded(Exception):
    """The page needs a signed-in user; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageRefused(Exception):
    """A page cannot be shown; answered with an HTML page carrying ``message_key``'s sentence."""

    def __init__(self, status: int, message_key: str, **params: str) -> None:
        super().__init__(message_key)
        self.status = status
        self.message_key = message_key
        self.params = params


def local_path(candidate: str | None, default: str = "/") -> str:
    """``candidate`` when it is a path on this site, else ``default``: never redirect off-site."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    if any(ord(ch) < 0x20 for ch in candidate):
        return default
    return candidate


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def signed_in(request: Request, user: OptionalUser) -> Principal:
    if user is None:
        raise SignInNeeded(_here(request))
    request.state.web_user = user  # for error pages, which are rendered outside the route
    return user


SignedIn = Annotated[Principal, Depends(signed_in)]


@dataclass(frozen=True)
class Page:
    """A page being answered for a signed-in user who holds its right: what every page route starts from."""

    request: Request
    rt: Runtime
    user: Principal

    def can(self, right: Right) -> bool:
        return has_right(self.user.role, right)

    @property
    def t(self) -> Translator:
        """The page's words, in the language the request asks for."""
        return Translator(request_language(self.request))

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, user=self.user, status=status, **context)


def allowed(right: Right) -> Callable[..., Page]:
    """A page dependency: the page for the signed-in user if their role holds ``right``, else a refusal page."""

    def dependency(user: SignedIn, rt: RuntimeDep, request: Request) -> Page:
        if not has_right(user.role, right):
            audit_denied(rt, user, right, request)
            raise PageRefused(403, "error.forbidden")
        return Page(request, rt, user)

    return dependency


# The page each role starts on: the work it does most.
_HOMES: tuple[tuple[Right, str], ...] = (
    (Right.UPLOAD, "/upload"),
    (Right.REVIEW, "/review"),
    (Right.READ_DOCUMENTS, "/search"),
    (Right.READ_REPORTS, "/dashboard"),
)


def home_path(role: Role) -> str:
    if role is Role.ADMIN:
        return "/dashboard"
    for right, path in _HOMES:
        if has_right(role, right):
            return path
    return "/account"
