"""registry: procedure catalogue, register of resolved dossiers, dossier links

Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sohoa.storage.migrations import columns as col

revision, down_revision = "0004", "0002"


def upgrade() -> None:
    op.create_table(
        "procedures",
        col.code("code"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=True),
        sa.Column("agency", sa.String(length=255), nullable=True),
        sa.Column("search_key", sa.Text(), nullable=False),
        col.moment("imported_at"),
        col.moment("updated_at"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "register_entries",
        col.code("dossier_code"),
        col.code("procedure_code"),
        sa.Column("procedure_name", sa.Text(), nullable=True),
        sa.Column("field", sa.String(length=255), nullable=True),
        sa.Column("received_date", sa.Date(), nullable=True),
        sa.Column("resolved_date", sa.Date(), nullable=False),
        sa.Column("result_type", sa.String(length=16), nullable=False),
        col.moment("imported_at"),
        col.moment("updated_at"),
        sa.PrimaryKeyConstraint("dossier_code"),
    )
    col.index_columns("register_entries", "procedure_code", "resolved_date")
    op.create_index("ix_register_entries_resolved_result", "register_entries", ["resolved_date", "result_type"])
    op.create_table(
        "dossier_links",
        col.document_id(),
        col.code("dossier_code"),
        col.actor("linked_by"),
        col.moment("linked_at"),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("document_id"),
    )
    col.index_columns("dossier_links", "dossier_code")


def downgrade() -> None:
    col.drop_column_indexes("dossier_links", "dossier_code")
    op.drop_table("dossier_links")
    op.drop_index("ix_register_entries_resolved_result", table_name="register_entries")
    col.drop_column_indexes("register_entries", "procedure_code", "resolved_date")
    op.drop_table("register_entries")
    op.drop_table("procedures")
