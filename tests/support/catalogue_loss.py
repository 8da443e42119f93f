"""What the archive tests do to a runtime's catalogue and store: lose the embedded catalogue, give
the store a retention policy, or point the settings at PostgreSQL and an S3 server."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from sohoa.core.settings import Settings
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.localstore import LocalStore
from sohoa.storage.objectrules import RetentionPolicy
from sohoa.storage.s3store import S3Store
from tests.support.s3server import S3Endpoint

__all__ = ["lose_sqlite_catalogue", "use_s3", "with_retention"]


def lose_sqlite_catalogue(settings: Settings) -> None:
    """Delete the embedded catalogue (and its WAL files): the archive is all that is left."""
    database = settings.data_dir / "sohoa.db"
    for path in (database, database.with_name("sohoa.db-wal"), database.with_name("sohoa.db-shm")):
        path.unlink(missing_ok=True)


def with_retention(rt: Runtime, policy: RetentionPolicy) -> Runtime:
    """``rt`` with its store (folder or S3) keeping archived objects under ``policy``."""
    if isinstance(rt.store, LocalStore):
        rt.store = LocalStore(rt.store.root, retention=policy)
    else:
        assert isinstance(rt.store, S3Store)
        rt.store.retention = policy
    return rt


def use_s3(settings: Settings, s3: S3Endpoint, prefix: str, tmp_path: Path, *, pg_url: str | None = None) -> None:
    """Point ``settings`` at the S3 server, in a bucket of the test's own (``prefix`` and its folder's
    name), and at PostgreSQL when ``pg_url`` is given."""
    if pg_url is not None:
        settings.database_url = pg_url
    settings.s3_endpoint = s3.endpoint
    settings.s3_access_key = s3.access_key
    settings.s3_secret_key = SecretStr(s3.secret_key)
    settings.s3_bucket = prefix + tmp_path.name.lower().replace("_", "-")[-20:]
