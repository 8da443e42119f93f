"""document parts: the files of a document uploaded as several, in page order

Revision ID: 0010
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_parts",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "position"),
    )
    with op.batch_alter_table("document_parts") as batch_op:
        batch_op.create_index(batch_op.f("ix_document_parts_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document_parts") as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_parts_sha256"))
    op.drop_table("document_parts")
