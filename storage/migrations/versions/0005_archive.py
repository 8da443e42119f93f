"""archive: supersessions, legal holds, retention dates, fixity runs

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "supersessions",
        sa.Column("new_document_id", sa.String(length=36), nullable=False),
        sa.Column("old_document_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lineage_key", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(["new_document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["old_document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("new_document_id"),
    )
    op.create_index("ix_supersessions_old_document_id", "supersessions", ["old_document_id"])
    op.create_table(
        "legal_holds",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("archive_key", sa.String(length=256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=128), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(length=128), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_holds_document_id", "legal_holds", ["document_id"])
    op.create_table(
        "archive_retentions",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("archive_key", sa.String(length=256), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=True),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_index("ix_archive_retentions_retain_until", "archive_retentions", ["retain_until"])
    op.create_table(
        "fixity_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("sample", sa.Integer(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("intact", sa.Integer(), nullable=False),
        sa.Column("mismatched", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("unreadable", sa.Integer(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fixity_runs_started_at", "fixity_runs", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_fixity_runs_started_at", table_name="fixity_runs")
    op.drop_table("fixity_runs")
    op.drop_index("ix_archive_retentions_retain_until", table_name="archive_retentions")
    op.drop_table("archive_retentions")
    op.drop_index("ix_legal_holds_document_id", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_index("ix_supersessions_old_document_id", table_name="supersessions")
    op.drop_table("supersessions")
