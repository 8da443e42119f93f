"""archive: supersessions, legal holds, retention dates, fixity runs

Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sohoa.storage.migrations import columns as col

revision, down_revision = "0005", "0002"

_FIXITY_COUNTS = ("checked", "intact", "mismatched", "missing", "unreadable")


def upgrade() -> None:
    op.create_table(
        "supersessions",
        col.document_id("new_document_id"),
        col.document_id("old_document_id"),
        sa.Column("reason", sa.Text(), nullable=False),
        col.actor("actor"),
        col.moment("created_at"),
        col.object_key("lineage_key", nullable=True),
        col.document_cascade("new_document_id"),
        col.document_cascade("old_document_id"),
        sa.PrimaryKeyConstraint("new_document_id"),
    )
    col.index_columns("supersessions", "old_document_id")
    op.create_table(
        "legal_holds",
        col.serial_id(),
        col.document_id(),
        col.object_key("archive_key"),
        sa.Column("reason", sa.Text(), nullable=False),
        col.actor("placed_by"),
        col.moment("placed_at"),
        col.actor("released_by", nullable=True),
        col.moment("released_at", nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("id"),
    )
    col.index_columns("legal_holds", "document_id")
    op.create_table(
        "archive_retentions",
        col.document_id(),
        col.object_key("archive_key"),
        sa.Column("mode", sa.String(length=16), nullable=True),
        col.moment("retain_until", nullable=True),
        col.moment("recorded_at"),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("document_id"),
    )
    col.index_columns("archive_retentions", "retain_until")
    op.create_table(
        "fixity_runs",
        col.serial_id(),
        col.moment("started_at"),
        col.moment("finished_at", nullable=True),
        col.actor("actor"),
        sa.Column("sample", sa.Integer(), nullable=True),
        col.moment("since", nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _FIXITY_COUNTS),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    col.index_columns("fixity_runs", "started_at")


def downgrade() -> None:
    col.drop_column_indexes("fixity_runs", "started_at")
    op.drop_table("fixity_runs")
    col.drop_column_indexes("archive_retentions", "retain_until")
    op.drop_table("archive_retentions")
    col.drop_column_indexes("legal_holds", "document_id")
    op.drop_table("legal_holds")
    col.drop_column_indexes("supersessions", "old_document_id")
    op.drop_table("supersessions")
