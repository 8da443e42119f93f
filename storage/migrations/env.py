from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from sohoa.storage.tables import include_object, metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")


def run() -> None:
    assert url is not None
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_object=include_object,
            compare_type=True,
            # SQLite cannot ALTER most things: batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
