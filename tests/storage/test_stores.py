"""The settings pick the object store."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from sohoa.core.errors import ConfigurationError
from sohoa.core.settings import Settings
from sohoa.storage.localstore import LocalStore
from sohoa.storage.s3store import S3Store
from sohoa.storage.stores import open_object_store


def test_folder_store_without_s3_endpoint(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, s3_endpoint=None)
    store = open_object_store(settings)
    assert isinstance(store, LocalStore)
    assert store.root == settings.store_dir


@pytest.mark.parametrize(
    ("endpoint", "secure", "host", "expect_secure"),
    [
        ("minio.local:9000", False, "minio.local:9000", False),
        ("minio.local:9000", True, "minio.local:9000", True),
        ("http://minio.local:9000", False, "minio.local:9000", False),
        ("https://minio.local:9443", False, "minio.local:9443", True),
    ],
)
def test_s3_store_from_endpoint(tmp_path: Path, endpoint: str, secure: bool, host: str, expect_secure: bool) -> None:
    settings = Settings(
        data_dir=tmp_path,
        s3_endpoint=endpoint,
        s3_secure=secure,
        s3_access_key="sohoa",
        s3_secret_key=SecretStr("secret"),
        s3_bucket="records",
    )
    store = open_object_store(settings)  # contacts nothing yet
    assert isinstance(store, S3Store)
    assert (store.endpoint, store.secure, store.bucket) == (host, expect_secure, "records")


def test_s3_key_without_secret_is_a_configuration_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, s3_endpoint="minio:9000", s3_access_key="sohoa", s3_secret_key=None)
    with pytest.raises(ConfigurationError):
        open_object_store(settings)
