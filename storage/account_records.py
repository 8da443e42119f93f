"""Tables of accounts beyond ``storage.records``: signed-in browser sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sohoa.core.clock import utcnow
from sohoa.storage.records import Base, UserSecretColumns

__all__ = ["WebSessionRecord"]


class WebSessionRecord(UserSecretColumns, Base):
    """One signed-in browser; ``token_hash`` is its cookie's."""

    __tablename__ = "web_sessions"

    # sha256 of the CSRF cookie issued with the session: a token planted by another site does not match.
    csrf_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
