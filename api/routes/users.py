"""Accounts, for administrators: users, roles, passwords and API tokens (auditors may read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from sohoa.api.deps import RuntimeDep, UserManager, UserReader
from sohoa.api.schemas import PasswordSet, TokenPublic, TokensRevokedPublic, UserCreate, UserPublic, UserUpdate, errors
from sohoa.pipeline.actions import accounts

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/users", tags=["users"])

UserName = Annotated[str, Path(min_length=1, max_length=128)]


@router.get("", response_model=list[UserPublic], responses=errors(401, 403))
def list_all(rt: RuntimeDep, _user: UserReader) -> list[UserPublic]:
    return [UserPublic.from_record(u) for u in accounts.users(rt)]


@router.post("", response_model=TokenPublic, status_code=201, responses=errors(401, 403, 409, 422))
def create(body: UserCreate, rt: RuntimeDep, admin: UserManager) -> TokenPublic:
    user, token = accounts.add_user(
        rt, body.name, body.role, actor=admin.name, password=body.password, token=body.token
    )
    return TokenPublic(user=UserPublic.from_record(user), token=token)


@router.get("/{name}", response_model=UserPublic, responses=errors(401, 403, 404, 422))
def read(name: UserName, rt: RuntimeDep, _user: UserReader) -> UserPublic:
    return UserPublic.from_record(accounts.user(rt, name))


@router.patch("/{name}", response_model=UserPublic, responses=errors(401, 403, 404, 409, 422))
def update(name: UserName, body: UserUpdate, rt: RuntimeDep, admin: UserManager) -> UserPublic:
    """Change the role, or disable the account (its browser sessions end; its tokens stop working)."""
    user = accounts.update_user(rt, name, actor=admin.name, actor_id=admin.id, role=body.role, disabled=body.disabled)
    return UserPublic.from_record(user)


@router.put("/{name}/password", response_model=UserPublic, responses=errors(401, 403, 404, 422))
def change_password(name: UserName, body: PasswordSet, rt: RuntimeDep, admin: UserManager) -> UserPublic:
    """Set the password; it unlocks the account and ends its browser sessions."""
    return UserPublic.from_record(accounts.change_password(rt, name, body.password, actor=admin.name))


@router.post("/{name}/tokens", response_model=TokenPublic, status_code=201, responses=errors(401, 403, 404, 422))
def issue_token(name: UserName, rt: RuntimeDep, admin: UserManager) -> TokenPublic:
    user, token = accounts.issue_token(rt, name, actor=admin.name)
    return TokenPublic(user=UserPublic.from_record(user), token=token)


@router.delete("/{name}/tokens", response_model=TokensRevokedPublic, responses=errors(401, 403, 404, 422))
def revoke(name: UserName, rt: RuntimeDep, admin: UserManager) -> TokensRevokedPublic:
    return TokensRevokedPublic(revoked=accounts.revoke_user_tokens(rt, name, actor=admin.name))
