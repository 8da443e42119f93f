"""initial catalogue

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("dossier_code", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_document_id"), ["document_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("filename", sa.String(length=512), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("reason_message", sa.Text(), nullable=True),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("dossier_code", sa.String(length=64), nullable=True),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("original_key", sa.String(length=256), nullable=True),
        sa.Column("original_kind", sa.String(length=8), nullable=True),
        sa.Column("original_size", sa.BigInteger(), nullable=False),
        sa.Column("container_sha256", sa.String(length=64), nullable=True),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("kept_signature", sa.Boolean(), nullable=False),
        sa.Column("mean_confidence", sa.Float(), nullable=True),
        sa.Column("metadata_json", sa.JSON(), nullable=True),
        sa.Column("review_reasons", sa.JSON(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=True),
        sa.Column("archive_key", sa.String(length=256), nullable=True),
        sa.Column("archive_sha256", sa.String(length=64), nullable=True),
        sa.Column("signer_subject", sa.String(length=512), nullable=True),
        sa.Column("signer_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("signature_level", sa.String(length=8), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("archive_key"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_dossier_code"), ["dossier_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_original_sha256"), ["original_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_procedure_code"), ["procedure_code"], unique=False)
        batch_op.create_index("ix_documents_procedure_state", ["procedure_code", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_state"), ["state"], unique=False)

    op.create_table(
        "originals",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "pages",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("page_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "page_index"),
    )


def downgrade() -> None:
    op.drop_table("pages")
    op.drop_table("originals")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_state"))
        batch_op.drop_index(batch_op.f("ix_documents_received_at"))
        batch_op.drop_index("ix_documents_procedure_state")
        batch_op.drop_index(batch_op.f("ix_documents_procedure_code"))
        batch_op.drop_index(batch_op.f("ix_documents_original_sha256"))
        batch_op.drop_index(batch_op.f("ix_documents_dossier_code"))
        batch_op.drop_index(batch_op.f("ix_documents_batch_id"))

    op.drop_table("documents")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_document_id"))
        batch_op.drop_index(batch_op.f("ix_events_batch_id"))
        batch_op.drop_index(batch_op.f("ix_events_at"))
        batch_op.drop_index(batch_op.f("ix_events_actor"))
        batch_op.drop_index(batch_op.f("ix_events_action"))

    op.drop_table("events")
    op.drop_table("batches")
