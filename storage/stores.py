"""Choose the object store the settings describe."""

from __future__ import annotations

from sohoa.core.settings import Settings
from sohoa.storage.localstore import LocalStore
from sohoa.storage.objectrules import retention_policy
from sohoa.storage.objectstore import ObjectStore
from sohoa.storage.s3store import S3Store

__all__ = ["open_object_store"]


def open_object_store(settings: Settings) -> ObjectStore:
    """S3 when ``s3_endpoint`` is set, else the folder store under the data dir.

    Nothing is contacted here: the S3 bucket is checked (and created) on first use.
    """
    retention = retention_policy(settings)
    if not settings.s3_endpoint:
        return LocalStore(settings.store_dir, retention=retention)
    secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key is not None else None
    return S3Store(
        settings.s3_endpoint,
        settings.s3_access_key,
        secret,
        settings.s3_bucket,
        secure=settings.s3_secure,
        region=settings.s3_region,
        timeout=settings.s3_timeout,
        retention=retention,
    )
