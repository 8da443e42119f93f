"""First start: make sure someone can sign in."""

from __future__ import annotations

from sqlalchemy import select

from sohoa.core.domain import Role
from sohoa.core.settings import Settings
from sohoa.storage.accounts import create_token, create_user
from sohoa.storage.database import Database
from sohoa.storage.records import UserRecord

__all__ = ["ensure_admin"]


def ensure_admin(settings: Settings, *, actor: str) -> str | None:
    """Create user ``admin`` with a token when the catalogue has no admin yet; return the token."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    try:
        with db.session() as session:
            if session.scalar(select(UserRecord).where(UserRecord.role == Role.ADMIN.value)) is not None:
                return None
            user = create_user(session, "admin", Role.ADMIN, actor=actor)
            return create_token(session, user, actor=actor)
    finally:
        db.dispose()
