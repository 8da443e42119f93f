"""registry: procedure catalogue, register of resolved dossiers, dossier links

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "procedures",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=True),
        sa.Column("agency", sa.String(length=255), nullable=True),
        sa.Column("search_key", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "register_entries",
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=False),
        sa.Column("procedure_name", sa.Text(), nullable=True),
        sa.Column("field", sa.String(length=255), nullable=True),
        sa.Column("received_date", sa.Date(), nullable=True),
        sa.Column("resolved_date", sa.Date(), nullable=False),
        sa.Column("result_type", sa.String(length=16), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_code"),
    )
    with op.batch_alter_table("register_entries") as batch_op:
        batch_op.create_index("ix_register_entries_procedure_code", ["procedure_code"], unique=False)
        batch_op.create_index("ix_register_entries_resolved_date", ["resolved_date"], unique=False)
        batch_op.create_index("ix_register_entries_resolved_result", ["resolved_date", "result_type"], unique=False)
    op.create_table(
        "dossier_links",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("linked_by", sa.String(length=128), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id"),
    )
    with op.batch_alter_table("dossier_links") as batch_op:
        batch_op.create_index("ix_dossier_links_dossier_code", ["dossier_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dossier_links") as batch_op:
        batch_op.drop_index("ix_dossier_links_dossier_code")
    op.drop_table("dossier_links")
    with op.batch_alter_table("register_entries") as batch_op:
        batch_op.drop_index("ix_register_entries_resolved_result")
        batch_op.drop_index("ix_register_entries_resolved_date")
        batch_op.drop_index("ix_register_entries_procedure_code")
    op.drop_table("register_entries")
    op.drop_table("procedures")
