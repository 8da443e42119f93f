"""initial catalogue

Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sohoa.storage.migrations import columns as col

revision, down_revision = "0001", None

_EVENT_INDEXES = ("action", "actor", "at", "batch_id", "document_id")
_DOCUMENT_INDEXES = ("batch_id", "dossier_code", "original_sha256", "procedure_code", "received_at", "state")


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        col.moment("created_at"),
        col.actor("created_by"),
        col.code("procedure_code", nullable=True),
        col.code("dossier_code", nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "events",
        col.serial_id(),
        col.moment("at"),
        col.actor("actor"),
        sa.Column("action", sa.String(length=64), nullable=False),
        col.document_id(nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    col.index_columns("events", *_EVENT_INDEXES)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        col.moment("locked_until", nullable=True),
        col.moment("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        col.sha256("token_hash"),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        col.moment("created_at"),
        col.moment("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    col.index_columns("api_tokens", "user_id")

    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("filename", sa.String(length=512), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("reason_message", sa.Text(), nullable=True),
        col.code("procedure_code", nullable=True),
        col.code("dossier_code", nullable=True),
        col.sha256("original_sha256"),
        col.object_key("original_key", nullable=True),
        sa.Column("original_kind", sa.String(length=8), nullable=True),
        sa.Column("original_size", sa.BigInteger(), nullable=False),
        col.sha256("container_sha256", nullable=True),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("kept_signature", sa.Boolean(), nullable=False),
        sa.Column("mean_confidence", sa.Float(), nullable=True),
        sa.Column("metadata_json", sa.JSON(), nullable=True),
        sa.Column("review_reasons", sa.JSON(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=True),
        col.object_key("archive_key", nullable=True),
        col.sha256("archive_sha256", nullable=True),
        sa.Column("signer_subject", sa.String(length=512), nullable=True),
        col.sha256("signer_fingerprint", nullable=True),
        sa.Column("signature_level", sa.String(length=8), nullable=True),
        col.moment("signed_at", nullable=True),
        col.moment("received_at"),
        col.moment("updated_at"),
        col.moment("archived_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        col.actor("created_by"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("archive_key"),
    )
    col.index_columns("documents", *_DOCUMENT_INDEXES)
    op.create_index("ix_documents_procedure_state", "documents", ["procedure_code", "state"], unique=False)

    op.create_table(
        "originals",
        col.sha256(),
        col.document_id(),
        col.moment("created_at"),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "pages",
        col.document_id(),
        sa.Column("page_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("document_id", "page_index"),
    )


def downgrade() -> None:
    op.drop_table("pages")
    op.drop_table("originals")
    op.drop_index("ix_documents_procedure_state", table_name="documents")
    col.drop_column_indexes("documents", *_DOCUMENT_INDEXES)
    op.drop_table("documents")
    col.drop_column_indexes("api_tokens", "user_id")
    op.drop_table("api_tokens")
    op.drop_table("users")
    col.drop_column_indexes("events", *_EVENT_INDEXES)
    op.drop_table("events")
    op.drop_table("batches")
