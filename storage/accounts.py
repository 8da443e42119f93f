"""Users, roles, passwords, API tokens and browser sessions.

Secrets are stored as hashes only: passwords with Argon2id, API tokens and session cookies
(256 random bits each) with sha256. Every change to an account is an audit event.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.domain import Role
from sohoa.core.errors import Conflict, InputRejected, NotFound
from sohoa.storage.account_records import WebSessionRecord
from sohoa.storage.catalogue import record_event
from sohoa.storage.records import ApiTokenRecord, UserRecord

__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "LoginResult",
    "WebSession",
    "audit_name",
    "check_login",
    "close_web_session",
    "create_token",
    "create_user",
    "csrf_matches",
    "get_user",
    "list_users",
    "open_web_session",
    "revoke_tokens",
    "set_disabled",
    "set_password",
    "set_role",
    "unknown_name",
    "user_for_token",
    "user_for_web_session",
]

_TOKEN_PREFIX = "sohoa_"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
# One lane: a password check then keeps to one core (argon2 runs a thread per lane), so the few
# checks allowed at once (SOHOA_LOGIN_CONCURRENCY) leave the other cores to everything else. The
# work and memory per check are the default's; hashes made with more lanes are redone at sign-in.
_hasher = PasswordHasher(parallelism=1)
_NAME_KEY = secrets.token_bytes(32)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip()


def _check_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise InputRejected(
            f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}", code="invalid_role"
        ) from exc


def _check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputRejected(
            f"a password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long", code="weak_password"
        )
    if not password.strip():
        raise InputRejected("a password cannot be only white space", code="weak_password")
    return password


def create_user(
    session: Session, name: str, role: Role | str, *, actor: str, password: str | None = None
) -> UserRecord:
    name = _clean_name(name)
    if not name or len(name) > 128 or any(unicodedata.category(c).startswith("C") for c in name):
        raise InputRejected("user name must be 1-128 printable characters", code="invalid_user_name")
    chosen = _check_role(role)
    password_hash = _hasher.hash(_check_password(password)) if password is not None else None
    if session.scalar(select(UserRecord).where(UserRecord.name == name)) is not None:
        raise Conflict(f"user {name!r} already exists", code="user_exists")
    user = UserRecord(name=name, role=chosen.value, password_hash=password_hash, created_at=utcnow())
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="user.created",
        details={"user": name, "role": chosen.value, "password": password is not None},
    )
    return user


def get_user(session: Session, name: str) -> UserRecord:
    user = session.scalar(select(UserRecord).where(UserRecord.name == _clean_name(name)))
    if user is None:
        raise NotFound(f"user {name!r} not found", code="user_not_found")
    return user


def list_users(session: Session) -> Sequence[UserRecord]:
    return session.scalars(select(UserRecord).order_by(UserRecord.name)).all()


def _end_web_sessions(session: Session, user: UserRecord) -> None:
    session.execute(delete(WebSessionRecord).where(WebSessionRecord.user_id == user.id))


def set_password(
    session: Session, user: UserRecord, password: str, *, actor: str, revoke_all_tokens: bool = False
) -> None:
    """Set a new password; it unlocks the account and signs the user out of every browser.

    With ``revoke_all_tokens`` the user's API tokens stop too: a reset after a suspected compromise
    must not leave a token the intruder made working."""
    user.password_hash = _hasher.hash(_check_password(password))
    user.failed_logins = 0
    user.locked_until = None
    _end_web_sessions(session, user)
    record_event(
        session,
        actor=actor,
        action="user.password_set",
        details={"user": user.name, "tokens_revoked": revoke_all_tokens},
    )
    if revoke_all_tokens:
        revoke_tokens(session, user, actor=actor)


def set_role(session: Session, user: UserRecord, role: Role | str, *, actor: str) -> None:
    chosen = _check_role(role)
    if chosen.value == user.role:
        return
    previous = user.role
    user.role = chosen.value
    record_event(
        session, actor=actor, action="user.role_set", details={"user": user.name, "from": previous, "to": chosen.value}
    )


def set_disabled(session: Session, user: UserRecord, disabled: bool, *, actor: str) -> None:
    """Disable (or enable again) an account; disabling ends its browser sessions at once."""
    if user.disabled == disabled:
        return
    user.disabled = disabled
    if disabled:
        _end_web_sessions(session, user)
    record_event(
        session, actor=actor, action="user.disabled" if disabled else "user.enabled", details={"user": user.name}
    )


def create_token(session: Session, user: UserRecord, *, actor: str, lifetime: timedelta | None = None) -> str:
    """A new bearer token for the user; only its hash is stored, so it is shown once.

    With ``lifetime`` it stops working that long after now; without, it works until revoked."""
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + lifetime if lifetime else None
    session.add(
        ApiTokenRecord(
            user_id=user.id, token_hash=_sha256(token), prefix=token[:12], created_at=now, expires_at=expires_at
        )
    )
    details: dict[str, str] = {"user": user.name}
    if expires_at is not None:
        details["expires_at"] = expires_at.isoformat()
    record_event(session, actor=actor, action="token.created", details=details)
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
        .where(
            ApiTokenRecord.token_hash == _sha256(token),
            ApiTokenRecord.revoked_at.is_(None),
            or_(ApiTokenRecord.expires_at.is_(None), ApiTokenRecord.expires_at > utcnow()),
        )
    ).scalar_one_or_none()
    if row is None or row.disabled:
        return None
    return row


@dataclass(frozen=True)
class LoginResult:
    """The outcome of one sign-in attempt: a user, or the reason code of the refusal."""

    user: UserRecord | None
    code: str | None = None
    actor: str = "-"  # how the audit log named the attempt's user (see unknown_name)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _decoy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def unknown_name(name: str) -> str:
    """How the audit log names a sign-in name that is nobody's: a keyed hash, never the text.

    People type passwords into the name field; the log must not keep them. The key is random per
    process, so the hash correlates attempts of one flood without being a dictionary target."""
    return "unknown:" + hmac.new(_NAME_KEY, name.encode(), hashlib.sha256).hexdigest()[:16]


def audit_name(session: Session, name: str) -> str:
    """The actor of an attempt on ``name``: the name when it is a user's, else ``unknown_name``."""
    name = _clean_name(name)[:128]
    found = session.scalar(select(UserRecord.id).where(UserRecord.name == name))
    return name if found is not None else unknown_name(name)


def check_login(session: Session, name: str, password: str, *, client: dict[str, str] | None = None) -> LoginResult:
    """Check a user name and password; every attempt is audited, with ``client`` (address, agent).

    Returns rather than raises so the caller's transaction keeps the event. The actor of a failure
    is the user when the name is somebody's, else ``unknown_name``: the password is never recorded.
    Throttling and locks are the caller's (``api.limits``): kept per client address, so nobody
    can lock somebody else out.
    """
    name = _clean_name(name)[:128]
    user = session.scalar(select(UserRecord).where(UserRecord.name == name))
    # The hash is checked even for unknown users so that timing does not tell which names exist.
    matches = _password_matches(user.password_hash if user is not None else None, password)
    code: str | None = None
    if user is None or user.password_hash is None or not matches:
        code = "invalid_credentials"
    elif user.disabled:
        code = "account_disabled"
    if code is not None:
        actor = name if user is not None else unknown_name(name)
        record_event(session, actor=actor, action="auth.login_failed", details={"reason": code, **(client or {})})
        return LoginResult(None, code, actor)
    assert user is not None and user.password_hash is not None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    record_event(session, actor=name, action="auth.login", details={"role": user.role, **(client or {})})
    return LoginResult(user, None, name)


@dataclass(frozen=True)
class WebSession:
    """What a browser gets at sign-in: the session cookie and the CSRF token, both shown once."""

    cookie: str
    csrf: str
    expires_at: datetime


def open_web_session(session: Session, user: UserRecord, *, lifetime: timedelta) -> WebSession:
    now = utcnow()
    # Sign-in is rare enough to sweep expired sessions of everyone here, with no background job.
    session.execute(delete(WebSessionRecord).where(WebSessionRecord.expires_at < now))
    opened = WebSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now + lifetime)
    session.add(
        WebSessionRecord(
            user_id=user.id,
            token_hash=_sha256(opened.cookie),
            csrf_hash=_sha256(opened.csrf),
            created_at=now,
            expires_at=opened.expires_at,
            last_seen_at=now,
        )
    )
    return opened


def user_for_web_session(session: Session, cookie: str) -> tuple[UserRecord, str] | None:
    """The signed-in user of a session cookie and the hash of its CSRF token; None when not valid."""
    now = utcnow()
    row = session.execute(
        select(UserRecord, WebSessionRecord)
        .join(WebSessionRecord, WebSessionRecord.user_id == UserRecord.id)
        .where(WebSessionRecord.token_hash == _sha256(cookie), WebSessionRecord.expires_at > now)
    ).one_or_none()
    if row is None:
        return None
    user, web = row
    if user.disabled:
        return None
    if now - web.last_seen_at > timedelta(minutes=1):  # write at most once a minute per session
        web.last_seen_at = now
    return user, web.csrf_hash


def close_web_session(session: Session, cookie: str) -> str | None:
    """End one browser session; returns the user name it belonged to, if any."""
    web = session.scalar(select(WebSessionRecord).where(WebSessionRecord.token_hash == _sha256(cookie)))
    if web is None:
        return None
    user = session.get(UserRecord, web.user_id)
    session.delete(web)
    return user.name if user is not None else None


def csrf_matches(csrf_hash: str, token: str) -> bool:
    return secrets.compare_digest(csrf_hash, _sha256(token))
