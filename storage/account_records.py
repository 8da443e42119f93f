"""Tables of accounts beyond ``storage.records``: signed-in browser sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sohoa.core.clock import utcnow
from sohoa.storage.records import Base

__all__ = ["WebSessionRecord"]


class WebSessionRecord(Base):
    """One signed-in browser. Only hashes are stored: a copied table cannot be replayed as cookies."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # sha256 of a 256-bit random cookie value, like API tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # sha256 of the CSRF cookie issued with the session: a token planted by another site does not match.
    csrf_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
