"""Accounts, for administrators: users, roles, passwords and API tokens (auditors may read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from sohoa.api.deps import Principal, RuntimeDep, require
from sohoa.api.rights import Right
from sohoa.api.schemas import PasswordSet, TokenPublic, TokensRevokedPublic, UserCreate, UserPublic, UserUpdate, errors
from sohoa.core.errors import Conflict
from sohoa.storage.accounts import (
    create_token,
    create_user,
    get_user,
    list_users,
    revoke_tokens,
    set_disabled,
    set_password,
    set_role,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/users", tags=["users"])

Reader = Annotated[Principal, Depends(require(Right.READ_USERS))]
Admin = Annotated[Principal, Depends(require(Right.MANAGE_USERS))]
UserName = Annotated[str, Path(min_length=1, max_length=128)]


@router.get("", response_model=list[UserPublic], responses=errors(401, 403))
def list_all(rt: RuntimeDep, _user: Reader) -> list[UserPublic]:
    with rt.db.session() as session:
        return [UserPublic.from_record(u) for u in list_users(session)]


@router.post("", response_model=TokenPublic, status_code=201, responses=errors(401, 403, 409, 422))
def create(body: UserCreate, rt: RuntimeDep, admin: Admin) -> TokenPublic:
    with rt.db.session() as session:
        user = create_user(session, body.name, body.role, actor=admin.name, password=body.password)
        token = create_token(session, user, actor=admin.name) if body.token else None
        return TokenPublic(user=UserPublic.from_record(user), token=token)


@router.get("/{name}", response_model=UserPublic, responses=errors(401, 403, 404, 422))
def read(name: UserName, rt: RuntimeDep, _user: Reader) -> UserPublic:
    with rt.db.session() as session:
        return UserPublic.from_record(get_user(session, name))


@router.patch("/{name}", response_model=UserPublic, responses=errors(401, 403, 404, 409, 422))
def update(name: UserName, body: UserUpdate, rt: RuntimeDep, admin: Admin) -> UserPublic:
    """Change the role, or disable the account (its browser sessions end; its tokens stop working)."""
    with rt.db.session() as session:
        user = get_user(session, name)
        if user.id == admin.id and (body.disabled or (body.role is not None and body.role.value != user.role)):
            # An administrator locking themselves out leaves nobody to undo it.
            raise Conflict("administrators cannot disable or demote themselves", code="self_lockout")
        if body.role is not None:
            set_role(session, user, body.role, actor=admin.name)
        if body.disabled is not None:
            set_disabled(session, user, body.disabled, actor=admin.name)
        return UserPublic.from_record(user)


@router.put("/{name}/password", response_model=UserPublic, responses=errors(401, 403, 404, 422))
def change_password(name: UserName, body: PasswordSet, rt: RuntimeDep, admin: Admin) -> UserPublic:
    """Set the password; it unlocks the account and ends its browser sessions."""
    with rt.db.session() as session:
        user = get_user(session, name)
        set_password(session, user, body.password, actor=admin.name)
        return UserPublic.from_record(user)


@router.post("/{name}/tokens", response_model=TokenPublic, status_code=201, responses=errors(401, 403, 404, 422))
def issue_token(name: UserName, rt: RuntimeDep, admin: Admin) -> TokenPublic:
    with rt.db.session() as session:
        user = get_user(session, name)
        token = create_token(session, user, actor=admin.name)
        return TokenPublic(user=UserPublic.from_record(user), token=token)


@router.delete("/{name}/tokens", response_model=TokensRevokedPublic, responses=errors(401, 403, 404, 422))
def revoke(name: UserName, rt: RuntimeDep, admin: Admin) -> TokensRevokedPublic:
    with rt.db.session() as session:
        return TokensRevokedPublic(revoked=revoke_tokens(session, get_user(session, name), actor=admin.name))
