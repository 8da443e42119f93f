"""document parts: the files of a document uploaded as several, in page order

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sohoa.storage.migrations import columns as col

revision, down_revision = "0010", "0002"


def upgrade() -> None:
    op.create_table(
        "document_parts",
        col.document_id(),
        sa.Column("position", sa.Integer(), nullable=False),
        col.sha256(),
        sa.Column("filename", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("document_id", "position"),
    )
    col.index_columns("document_parts", "sha256")


def downgrade() -> None:
    col.drop_column_indexes("document_parts", "sha256")
    op.drop_table("document_parts")
