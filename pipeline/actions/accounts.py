"""Accounts: who may sign in, with which role, by password, token or browser session.

Each change is audited by the storage functions it calls; the rules that belong to the action
(an administrator cannot lock themselves out, a new sign-in starts a new session id) live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sohoa.core.domain import Role
from sohoa.core.errors import Conflict
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.accounts import (
    WebSession,
    audit_name,
    check_login,
    close_web_session,
    create_token,
    create_user,
    get_user,
    list_users,
    open_web_session,
    revoke_tokens,
    set_disabled,
    set_password,
    set_role,
    user_for_token,
    user_for_web_session,
)
from sohoa.storage.accounts import csrf_matches as _csrf_matches
from sohoa.storage.catalogue import record_event
from sohoa.storage.records import UserRecord

__all__ = [
    "SignIn",
    "add_user",
    "change_password",
    "csrf_matches",
    "ensure_admin",
    "identify_session",
    "identify_token",
    "issue_token",
    "revoke_user_tokens",
    "sign_in",
    "sign_in_actor",
    "sign_out",
    "update_user",
    "user",
    "users",
]


def users(rt: Runtime) -> list[UserRecord]:
    with rt.db.session() as session:
        return list(list_users(session))


def user(rt: Runtime, name: str) -> UserRecord:
    with rt.db.session() as session:
        return get_user(session, name)


def _token_lifetime(rt: Runtime) -> timedelta | None:
    days = rt.settings.token_days
    return timedelta(days=days) if days > 0 else None


def add_user(
    rt: Runtime, name: str, role: Role | str, *, actor: str, password: str | None = None, token: bool = True
) -> tuple[UserRecord, str | None]:
    """A new user, and a new API token for them unless ``token`` is false (shown once)."""
    with rt.db.session() as session:
        created = create_user(session, name, role, actor=actor, password=password)
        secret = create_token(session, created, actor=actor, lifetime=_token_lifetime(rt)) if token else None
        return created, secret


def update_user(
    rt: Runtime,
    name: str,
    *,
    actor: str,
    actor_id: str | None = None,
    role: Role | None = None,
    disabled: bool | None = None,
) -> UserRecord:
    """Change the role, or disable or enable the account (its browser sessions end; its tokens stop)."""
    with rt.db.session() as session:
        found = get_user(session, name)
        if found.id == actor_id and (disabled or (role is not None and role.value != found.role)):
            # An administrator locking themselves out leaves nobody to undo it.
            raise Conflict("administrators cannot disable or demote themselves", code="self_lockout")
        if role is not None:
            set_role(session, found, role, actor=actor)
        if disabled is not None:
            set_disabled(session, found, disabled, actor=actor)
        return found


def change_password(rt: Runtime, name: str, password: str, *, actor: str) -> UserRecord:
    """An administrator sets the password: the browser sessions end. When it replaces one (a reset,
    as after a suspected compromise) the user's API tokens are revoked too, unless
    ``SOHOA_PASSWORD_RESET_REVOKES_TOKENS`` is false; a first password leaves the token issued with
    the account working."""
    with rt.db.session() as session:
        found = get_user(session, name)
        revoke = rt.settings.password_reset_revokes_tokens and found.password_hash is not None
        set_password(session, found, password, actor=actor, revoke_all_tokens=revoke)
        return found


def issue_token(rt: Runtime, name: str, *, actor: str) -> tuple[UserRecord, str]:
    with rt.db.session() as session:
        found = get_user(session, name)
        return found, create_token(session, found, actor=actor, lifetime=_token_lifetime(rt))


def revoke_user_tokens(rt: Runtime, name: str, *, actor: str) -> int:
    with rt.db.session() as session:
        return revoke_tokens(session, get_user(session, name), actor=actor)


def ensure_admin(rt: Runtime, *, actor: str) -> str | None:
    """First start: create user ``admin`` with a token when nobody is an administrator; the token."""
    with rt.db.session() as session:
        if any(u.role == Role.ADMIN.value for u in list_users(session)):
            return None
        created = create_user(session, "admin", Role.ADMIN, actor=actor)
        return create_token(session, created, actor=actor, lifetime=_token_lifetime(rt))


# --- proving who one is ----------------------------------------------------------------------------


def identify_token(rt: Runtime, token: str) -> UserRecord | None:
    """The enabled user a bearer token belongs to, or None."""
    with rt.db.session() as session:
        return user_for_token(session, token)


def csrf_matches(csrf_hash: str, token: str) -> bool:
    """Whether ``token`` is the CSRF token whose hash the browser session keeps."""
    return _csrf_matches(csrf_hash, token)


def identify_session(rt: Runtime, cookie: str) -> tuple[UserRecord, str] | None:
    """The user of a live browser session and the hash of its CSRF token, or None."""
    with rt.db.session() as session:
        return user_for_web_session(session, cookie)


@dataclass(frozen=True)
class SignIn:
    """A sign-in's outcome: the user and the new session, or the refusal's reason code."""

    user: UserRecord | None
    session: WebSession | None
    code: str | None
    actor: str = "-"  # how the audit log names the attempt's user


def sign_in(
    rt: Runtime,
    name: str,
    password: str,
    *,
    lifetime: timedelta,
    previous: str | None = None,
    client: dict[str, str] | None = None,
) -> SignIn:
    """Check the password; on success end ``previous`` (a sign-in always starts a new session id).

    ``client`` (address and user agent) goes into the audit event of the attempt."""
    with rt.db.session() as session:
        result = check_login(session, name, password, client=client)
        if result.user is None:
            return SignIn(None, None, result.code or "invalid_credentials", result.actor)
        if previous:
            close_web_session(session, previous)
        return SignIn(result.user, open_web_session(session, result.user, lifetime=lifetime), None, result.actor)


def sign_in_actor(rt: Runtime, name: str) -> str:
    """How the audit log names the user of an attempt refused before its password was checked."""
    with rt.db.session() as session:
        return audit_name(session, name)


def sign_out(rt: Runtime, cookie: str, *, client: dict[str, str] | None = None) -> str | None:
    """End a browser session; the name of its user, or None when it had already ended."""
    with rt.db.session() as session:
        name = close_web_session(session, cookie)
        if name is not None:
            record_event(session, actor=name, action="auth.logout", details=client)
        return name
