"""Users, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.domain import Role
from core.errors import Conflict, InputRejected, NotFound
from storage.catalogue import record_event
from storage.records import ApiTokenRecord, UserRecord

__all__ = ["create_token", "create_user", "get_user", "revoke_tokens", "user_for_token"]

_TOKEN_PREFIX = "sohoa_"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, name: str, role: Role | str, *, actor: str) -> UserRecord:
    name = name.strip()
    if not name or len(name) > 128:
        raise InputRejected("user name must be 1-128 characters", code="invalid_user_name")
    try:
        role = Role(role)
    except ValueError as exc:
        raise InputRejected(
            f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}", code="invalid_role"
        ) from exc
    if session.scalar(select(UserRecord).where(UserRecord.name == name)) is not None:
        raise Conflict(f"user {name!r} already exists", code="user_exists")
    user = UserRecord(name=name, role=role.value, created_at=utcnow())
    session.add(user)
    session.flush()
    record_event(session, actor=actor, action="user.created", details={"user": name, "role": role.value})
    return user


def get_user(session: Session, name: str) -> UserRecord:
    user = session.scalar(select(UserRecord).where(UserRecord.name == name))
    if user is None:
        raise NotFound(f"user {name!r} not found", code="user_not_found")
    return user


def create_token(session: Session, user: UserRecord, *, actor: str) -> str:
    """A new bearer token for the user; only its hash is stored, so it is shown once."""
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiTokenRecord(user_id=user.id, token_hash=_hash_token(token), prefix=token[:12], created_at=utcnow()))
    record_event(session, actor=actor, action="token.created", details={"user": user.name})
    return token


def revoke_tokens(session: Session, user: UserRecord, *, actor: str) -> int:
    result = session.execute(
        update(ApiTokenRecord)
        .where(ApiTokenRecord.user_id == user.id, ApiTokenRecord.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    record_event(session, actor=actor, action="token.revoked", details={"user": user.name, "count": count})
    return count


def user_for_token(session: Session, token: str) -> UserRecord | None:
    if not token.startswith(_TOKEN_PREFIX):
        return None
    row = session.execute(
        select(UserRecord)
        .join(ApiTokenRecord, ApiTokenRecord.user_id == UserRecord.id)
        .where(ApiTokenRecord.token_hash == _hash_token(token), ApiTokenRecord.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None or row.disabled:
        return None
    return row
