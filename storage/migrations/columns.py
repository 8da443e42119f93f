"""The column kinds and index steps the migrations share, so each width is written once.

They are part of the history: a migration built with them must build the same schema forever. A
column that needs another type or width gets a new helper; an existing helper is never changed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

__all__ = [
    "actor",
    "code",
    "document_cascade",
    "document_id",
    "drop_column_indexes",
    "index_columns",
    "moment",
    "object_key",
    "owner_identity",
    "serial_id",
    "sha256",
]


def serial_id() -> sa.Column[int]:
    """A 64-bit surrogate key ``id``; on SQLite INTEGER, the only type its rowid alias accepts."""
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def document_id(name: str = "document_id", *, nullable: bool = False) -> sa.Column[str]:
    """A document's UUID in text."""
    return sa.Column(name, sa.String(length=36), nullable=nullable)


def document_cascade(name: str = "document_id") -> sa.ForeignKeyConstraint:
    """The row belongs to its document and goes with it."""
    return sa.ForeignKeyConstraint([name], ["documents.id"], ondelete="CASCADE")


def sha256(name: str = "sha256", *, nullable: bool = False) -> sa.Column[str]:
    """A SHA-256 digest in hex."""
    return sa.Column(name, sa.String(length=64), nullable=nullable)


def code(name: str, *, nullable: bool = False) -> sa.Column[str]:
    """A procedure or dossier code."""
    return sa.Column(name, sa.String(length=64), nullable=nullable)


def actor(name: str, *, nullable: bool = False) -> sa.Column[str]:
    """Who did it: a user name or a system actor."""
    return sa.Column(name, sa.String(length=128), nullable=nullable)


def object_key(name: str, *, nullable: bool = False) -> sa.Column[str]:
    """A key in the object store."""
    return sa.Column(name, sa.String(length=256), nullable=nullable)


def moment(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    """A point in time, with its zone."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def owner_identity(prefix: str = "owner_", *, nullable: bool = True) -> tuple[sa.Column[str], ...]:
    """Whose papers these are: the kind of id, its number, and the name as written (may be unknown)."""
    return (
        sa.Column(f"{prefix}id_type", sa.String(length=16), nullable=nullable),
        sa.Column(f"{prefix}id_number", sa.String(length=32), nullable=nullable),
        sa.Column(f"{prefix}name", sa.Text(), nullable=True),
    )


def index_columns(table: str, *columns: str) -> None:
    """One index per column, named as the models' ``index=True`` names it."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def drop_column_indexes(table: str, *columns: str) -> None:
    """Undo ``index_columns``."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
