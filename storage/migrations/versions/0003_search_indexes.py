"""search indexes: full text over search_text, code prefixes, metadata filters

Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

from sohoa.storage.search.schema import POSTGRES_DOWN, POSTGRES_UP, SQLITE_DOWN, SQLITE_UP, rebuild_sqlite_index

revision, down_revision = "0003", "0002"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in POSTGRES_UP:
            op.execute(statement)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)
        rebuild_sqlite_index(bind)  # documents that existed before this migration


def downgrade() -> None:
    for statement in POSTGRES_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
