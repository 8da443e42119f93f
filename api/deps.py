"""Typed dependencies so routes read like specs: ``RuntimeDep``, ``CurrentUser``, ``require(...)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.rights import Right, has_right
from core.domain import Role
from core.errors import AuthenticationFailed, PermissionDenied
from pipeline.runtime import Runtime
from storage.accounts import user_for_token
from storage.catalogue import record_event

__all__ = ["CurrentUser", "Principal", "RuntimeDep", "require"]

_bearer = HTTPBearer(auto_error=False, description="API token (`sohoa users add NAME --role ROLE`)")


@dataclass(frozen=True)
class Principal:
    id: int
    name: str
    role: Role


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_principal(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("a bearer token is required", code="unauthenticated")
    with rt.db.session() as session:
        user = user_for_token(session, credentials.credentials)
        if user is None:
            raise AuthenticationFailed("invalid or revoked token", code="invalid_token")
        return Principal(id=user.id, name=user.name, role=Role(user.role))


CurrentUser = Annotated[Principal, Depends(get_principal)]


def require(right: Right) -> Callable[..., Principal]:
    """A dependency that lets through only users whose role holds ``right``; refusals are audited."""

    def dependency(user: CurrentUser, rt: RuntimeDep, request: Request) -> Principal:
        if not has_right(user.role, right):
            with rt.db.session() as session:
                record_event(
                    session,
                    actor=user.name,
                    action="access.denied",
                    details={"right": right.value, "path": request.url.path, "method": request.method},
                )
            raise PermissionDenied(f"role {user.role.value!r} lacks the right {right.value!r}", code="forbidden")
        return user

    return dependency
