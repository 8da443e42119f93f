"""accounts: browser sessions

Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sohoa.storage.migrations import columns as col

revision, down_revision = "0006", "0002"


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        col.sha256("token_hash"),
        col.sha256("csrf_hash"),
        col.moment("created_at"),
        col.moment("expires_at"),
        col.moment("last_seen_at"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    col.index_columns("web_sessions", "user_id", "expires_at")


def downgrade() -> None:
    col.drop_column_indexes("web_sessions", "user_id", "expires_at")
    op.drop_table("web_sessions")
