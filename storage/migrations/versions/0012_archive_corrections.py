"""documents list the corrections stored beside their archived PDF, with their digests

Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0012", "0011"


def upgrade() -> None:
    # Nullable: a document never corrected lists none, nor does one corrected before this release
    # (fixity still checks those against the digests the store recorded).
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("archive_corrections", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("archive_corrections")
