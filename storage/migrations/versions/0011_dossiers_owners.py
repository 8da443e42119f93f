"""dossiers and owners: owners, dossiers, documents in dossiers by role, document facts, re-submissions

Revision ID: 0011
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0004"
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "owners",
        sa.Column("id_type", sa.String(length=16), nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_type", "id_number"),
    )
    op.create_table(
        "dossiers",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("owner_id_type", sa.String(length=16), nullable=True),
        sa.Column("owner_id_number", sa.String(length=32), nullable=True),
        sa.Column("owner_name", sa.Text(), nullable=True),
        sa.Column("received_date", sa.Date(), nullable=True),
        sa.Column("resolved_date", sa.Date(), nullable=True),
        sa.Column("result_type", sa.String(length=16), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("dossiers") as batch_op:
        batch_op.create_index("ix_dossiers_owner", ["owner_id_type", "owner_id_number"], unique=False)
        batch_op.create_index("ix_dossiers_received_date", ["received_date"], unique=False)
    op.create_table(
        "dossier_documents",
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("component", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("linked_by", sa.String(length=128), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dossier_code", "document_id"),
    )
    with op.batch_alter_table("dossier_documents") as batch_op:
        batch_op.create_index("ix_dossier_documents_document_id", ["document_id"], unique=False)
    op.create_table(
        "document_facts",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id_type", sa.String(length=16), nullable=True),
        sa.Column("owner_id_number", sa.String(length=32), nullable=True),
        sa.Column("owner_name", sa.Text(), nullable=True),
        sa.Column("owner_source", sa.String(length=16), nullable=True),
        sa.Column("printed_owners", sa.JSON(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("validity_source", sa.String(length=16), nullable=True),
        sa.Column("same_as", sa.String(length=36), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id"),
    )
    with op.batch_alter_table("document_facts") as batch_op:
        batch_op.create_index("ix_document_facts_owner", ["owner_id_type", "owner_id_number"], unique=False)
    op.create_table(
        "resubmissions",
        sa.Column("id", _id(), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("archived_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("component", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resubmissions") as batch_op:
        batch_op.create_index("ix_resubmissions_dossier_code", ["dossier_code"], unique=False)


def downgrade() -> None:
    op.drop_table("resubmissions")
    op.drop_table("document_facts")
    op.drop_table("dossier_documents")
    op.drop_table("dossiers")
    op.drop_table("owners")
