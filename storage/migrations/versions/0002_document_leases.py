"""document leases: one worker at a time per document

Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

from sohoa.storage.migrations import columns as col

revision, down_revision = "0002", "0001"


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(col.actor("lease_owner", nullable=True))
        batch_op.add_column(col.moment("lease_expires", nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("lease_expires")
        batch_op.drop_column("lease_owner")
