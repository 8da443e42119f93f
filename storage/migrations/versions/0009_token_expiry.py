"""accounts: API tokens may expire

Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from sohoa.storage.migrations import columns as col

revision, down_revision = "0009", "0006"


def upgrade() -> None:
    # Nullable: tokens issued before have no expiry, as SOHOA_TOKEN_DAYS=0 issues them.
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(col.moment("expires_at", nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
