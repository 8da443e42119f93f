"""signing: checks of archived copies, signatures found on inputs, renewed archive copies

Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sohoa.storage.migrations import columns as col

revision, down_revision = "0007", "0002"


def upgrade() -> None:
    op.create_table(
        "signature_checks",
        col.serial_id(),
        col.document_id(),
        col.object_key("archive_key"),
        col.sha256("archive_sha256"),
        col.moment("checked_at"),
        col.actor("checked_by"),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.String(length=128), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signature_checks") as batch_op:
        batch_op.create_index("ix_signature_checks_document", ["document_id", "checked_at"], unique=False)
    op.create_table(
        "existing_signatures",
        col.document_id(),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("field_name", sa.String(length=255), nullable=False),
        sa.Column("signer_subject", sa.String(length=512), nullable=True),
        col.sha256("certificate_sha256", nullable=True),
        col.moment("signing_time", nullable=True),
        sa.Column("intact", sa.Boolean(), nullable=False),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("revocation", sa.String(length=16), nullable=False),
        sa.Column("modification", sa.String(length=16), nullable=False),
        sa.Column("certification", sa.String(length=16), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        col.moment("recorded_at"),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("document_id", "position"),
    )
    op.create_table(
        "archive_renewals",
        col.document_id(),
        sa.Column("generation", sa.Integer(), nullable=False),
        col.object_key("archive_key"),
        col.object_key("previous_key"),
        col.sha256(),
        col.moment("previous_expiry"),
        col.moment("expires_at"),
        col.moment("renewed_at"),
        col.actor("renewed_by"),
        col.document_cascade(),
        sa.PrimaryKeyConstraint("document_id", "generation"),
        sa.UniqueConstraint("archive_key"),
    )


def downgrade() -> None:
    op.drop_table("archive_renewals")
    op.drop_table("existing_signatures")
    with op.batch_alter_table("signature_checks") as batch_op:
        batch_op.drop_index("ix_signature_checks_document")
    op.drop_table("signature_checks")
