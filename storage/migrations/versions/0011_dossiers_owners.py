"""dossiers and owners: owners, dossiers, documents in dossiers by role, document facts, re-submissions

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sohoa.storage.migrations import columns as col

revision, down_revision = "0011", "0004"


def upgrade() -> None:
    op.create_table(
        "owners",
        *col.owner_identity("", nullable=False),
        col.moment("created_at"),
        col.moment("updated_at"),
        sa.PrimaryKeyConstraint("id_type", "id_number"),
    )
    op.create_table(
        "dossiers",
        col.code("code"),
        col.code("procedure_code", nullable=True),
        *col.owner_identity(),
        sa.Column("received_date", sa.Date(), nullable=True),
        sa.Column("resolved_date", sa.Date(), nullable=True),
        sa.Column("result_type", sa.String(length=16), nullable=True),
        col.moment("closed_at", nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        col.actor("created_by"),
        col.moment("created_at"),
        col.moment("updated_at"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_dossiers_owner", "dossiers", ["owner_id_type", "owner_id_number"])
    col.index_columns("dossiers", "received_date")
    op.create_table(
        "dossier_documents",
        col.code("dossier_code"),
        col.document_id(),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("component", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        col.actor("linked_by"),
        col.moment("linked_at"),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("dossier_code", "document_id"),
    )
    col.index_columns("dossier_documents", "document_id")
    op.create_table(
        "document_facts",
        col.document_id(),
        *col.owner_identity(),
        sa.Column("owner_source", sa.String(length=16), nullable=True),
        sa.Column("printed_owners", sa.JSON(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("validity_source", sa.String(length=16), nullable=True),
        col.document_id("same_as", nullable=True),
        col.moment("updated_at"),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_index("ix_document_facts_owner", "document_facts", ["owner_id_type", "owner_id_number"])
    op.create_table(
        "resubmissions",
        col.serial_id(),
        col.code("dossier_code"),
        col.document_id(nullable=True),
        col.document_id("archived_id"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("component", sa.Text(), nullable=True),
        col.actor("actor"),
        col.moment("at"),
        sa.PrimaryKeyConstraint("id"),
    )
    col.index_columns("resubmissions", "dossier_code")


def downgrade() -> None:
    op.drop_table("resubmissions")
    op.drop_table("document_facts")
    op.drop_table("dossier_documents")
    op.drop_table("dossiers")
    op.drop_table("owners")
