"""What only the S3 store does: bucket setup, header encoding, endpoints and outages."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minio.error import S3Error

from sohoa.core.errors import ConfigurationError, IntegrityError, StorageError
from sohoa.storage.s3store import S3Store, split_endpoint
from tests.storage.conftest import S3Bucket
from tests.support.s3server import MotoServer, S3Unavailable
from tests.support.services import need


def _store(bucket: S3Bucket, **options: Any) -> S3Store:
    endpoint = bucket.endpoint
    return S3Store(
        endpoint.endpoint, endpoint.access_key, endpoint.secret_key, bucket.name, secure=endpoint.secure, **options
    )


@pytest.mark.s3
def test_bucket_is_created_with_object_lock(s3_bucket: S3Bucket) -> None:
    assert not s3_bucket.raw.bucket_exists(s3_bucket.name)
    _store(s3_bucket).check()
    assert s3_bucket.raw.bucket_exists(s3_bucket.name)
    s3_bucket.raw.get_object_lock_config(s3_bucket.name)  # raises when the bucket has no lock


@pytest.mark.s3
def test_bucket_without_object_lock_when_the_server_refuses(
    s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(s3_bucket)
    client = store._client
    real_make_bucket = client.make_bucket

    def refuse_lock(bucket_name: str, location: str | None = None, object_lock: bool = False) -> None:
        if object_lock:
            raise S3Error(None, "NotImplemented", "object lock unsupported", None, None, None)  # type: ignore[arg-type]
        real_make_bucket(bucket_name, location)

    monkeypatch.setattr(client, "make_bucket", refuse_lock)
    info = store.put_stream("originals/a", io.BytesIO(b"bytes"))
    assert store.stat("originals/a") == info
    with pytest.raises(S3Error):
        s3_bucket.raw.get_object_lock_config(s3_bucket.name)


@pytest.mark.s3
def test_vietnamese_metadata_travels_as_ascii_headers(s3_bucket: S3Bucket) -> None:
    store = _store(s3_bucket)
    store.put_stream("originals/v", io.BytesIO(b"x"), metadata={"agency": "Sở Văn hóa, Thể thao và Du lịch"})
    headers = s3_bucket.raw.stat_object(s3_bucket.name, "originals/v").metadata or {}
    assert all(value.isascii() for value in headers.values())
    assert headers["x-amz-meta-agency"].startswith("=?UTF-8?B?")
    assert store.stat("originals/v").metadata == {"agency": "Sở Văn hóa, Thể thao và Du lịch"}


@pytest.mark.s3
def test_object_without_recorded_sha256(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    store = _store(s3_bucket)
    store.check()
    s3_bucket.raw.put_object(s3_bucket.name, "originals/foreign", io.BytesIO(b"from elsewhere"), 14)
    assert store.stat("originals/foreign").sha256 == ""
    with pytest.raises(IntegrityError) as failed:
        store.get_file("originals/foreign", tmp_path / "f")
    assert failed.value.code == "missing_checksum"
    assert store.get_file("originals/foreign", tmp_path / "f", verify=False).size == 14
    assert (tmp_path / "f").read_bytes() == b"from elsewhere"


@pytest.mark.parametrize(
    ("endpoint", "secure", "expected"),
    [
        ("minio:9000", False, ("minio:9000", False)),
        ("minio:9000", True, ("minio:9000", True)),
        ("http://minio:9000", False, ("minio:9000", False)),
        ("https://minio:9000/", False, ("minio:9000", True)),
    ],
)
def test_split_endpoint(endpoint: str, secure: bool, expected: tuple[str, bool]) -> None:
    assert split_endpoint(endpoint, secure) == expected


@pytest.mark.parametrize(("endpoint", "secure"), [("http://minio:9000", True), ("ftp://minio:21", False)])
def test_contradictory_endpoint_is_a_configuration_error(endpoint: str, secure: bool) -> None:
    with pytest.raises(ConfigurationError):
        S3Store(endpoint, "key", "secret", "sohoa", secure=secure)


def test_invalid_bucket_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        S3Store("127.0.0.1:9", "key", "secret", "No_Such Bucket")


@pytest.fixture
def own_moto() -> Iterator[MotoServer]:
    """A moto server of this test's own, free to be stopped and paused."""
    server = MotoServer()
    try:
        server.start()
    except S3Unavailable as exc:
        need(False, f"moto server ({exc})")
    try:
        yield server
    finally:
        server.stop()


def test_unreachable_server_is_a_retryable_storage_error(own_moto: MotoServer) -> None:
    endpoint = own_moto.endpoint
    store = S3Store(endpoint.endpoint, endpoint.access_key, endpoint.secret_key, "outage-test", timeout=2)
    first = store.put_stream("originals/before", io.BytesIO(b"before"))
    own_moto.stop()
    started = time.monotonic()
    for call in (store.check, lambda: store.stat("originals/before"), lambda: store.exists("originals/x")):
        with pytest.raises(StorageError) as failed:
            call()
        assert (failed.value.code, failed.value.retryable) == ("storage_unavailable", True)
    assert time.monotonic() - started < 15
    own_moto.start()  # same port, empty again: moto keeps objects in memory only
    assert own_moto.endpoint == endpoint
    store.check()  # the readiness probe recreates the bucket that went with the old server
    assert store.put_stream("originals/after", io.BytesIO(b"after")).sha256 != first.sha256
    assert list(store.list()) == ["originals/after"]


def test_paused_server_times_out_and_keeps_its_objects(own_moto: MotoServer) -> None:
    endpoint = own_moto.endpoint
    store = S3Store(endpoint.endpoint, endpoint.access_key, endpoint.secret_key, "pause-test", timeout=0.5)
    info = store.put_stream("originals/kept", io.BytesIO(b"kept"))
    own_moto.pause()
    try:
        with pytest.raises(StorageError) as failed:
            store.stat("originals/kept")
        assert failed.value.retryable
    finally:
        own_moto.resume()
    assert store.stat("originals/kept") == info
