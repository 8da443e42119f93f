"""Retention and legal hold of archived objects, and the refusals that keep them, on both stores."""

from __future__ import annotations

import io
import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error
from pydantic import ValidationError

from sohoa.core.errors import (
    ConfigurationError,
    InputRejected,
    ObjectExists,
    ObjectNotFound,
    PermissionDenied,
    StorageError,
)
from sohoa.core.settings import Settings
from sohoa.storage.localstore import LocalStore
from sohoa.storage.objectrules import (
    RETENTION_MODE,
    LockingStore,
    RetentionPolicy,
    archived_procedure,
    parse_retention_overrides,
    retention_policy,
)
from sohoa.storage.objectstore import archive_key
from sohoa.storage.s3store import S3Store
from tests.support.s3server import S3Endpoint

POLICY = RetentionPolicy(years=10, overrides={"1.001029": 20, "1.001029.000.00.00.H19": 25, "2.000123": 5})
MiB = 1024 * 1024


def _years_later(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)


def _assert_retained_for(until: datetime | None, years: int, stored_between: tuple[datetime, datetime]) -> None:
    assert until is not None
    start, end = stored_between
    # Rounded up to the whole second S3 dates carry.
    assert _years_later(start, years).replace(microsecond=0) <= until <= _years_later(end, years) + timedelta(seconds=1)


# --- the policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("procedure", "years"),
    [
        ("1.001029", 20),
        ("1.001029.000.00.00.H19", 25),  # the most specific override wins
        ("1.001029.000.00.00.H20", 20),
        ("1.0010291", 10),  # prefixes match whole segments only
        ("2.000123.000.00.00.H19", 5),
        ("1.001234", 10),
    ],
)
def test_overrides_match_by_whole_segments(procedure: str, years: int) -> None:
    assert POLICY.years_for(procedure) == years
    stored = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert POLICY.retain_until(archive_key(procedure, 2025, "d"), stored) == _years_later(stored, years)


def test_only_archived_keys_are_retained() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert POLICY.retain_until("originals/" + "a" * 64, now) is None
    assert POLICY.retain_until("work/d/signed.pdf", now) is None
    assert archived_procedure(archive_key("1.001029", 2025, "d")) == "1.001029"
    assert archived_procedure("work/1.001029/2025/d.pdf") == ""


def test_retention_never_ends_early() -> None:
    leap = datetime(2024, 2, 29, 12, 0, 0, 500_000, tzinfo=UTC)
    assert RetentionPolicy(years=1).retain_until(archive_key("1.001234", 2024, "d"), leap) == datetime(
        2025, 3, 1, 12, 0, 1, tzinfo=UTC
    )


def test_policy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SOHOA_RETENTION_YEARS", "SOHOA_RETENTION_OVERRIDES"):
        monkeypatch.delenv(name, raising=False)
    assert retention_policy(Settings()) == RetentionPolicy(10, {})
    monkeypatch.setenv("SOHOA_RETENTION_YEARS", "12")
    monkeypatch.setenv("SOHOA_RETENTION_OVERRIDES", " 1.001029=20 ,2.000123=5,")
    assert retention_policy(Settings()) == RetentionPolicy(12, {"1.001029": 20, "2.000123": 5})


@pytest.mark.parametrize("text", ["1.001029", "1.001029=", "=5", "1.001029=x", "1.001029=-1"])
def test_malformed_overrides_are_configuration_errors(text: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_retention_overrides(text)


@pytest.mark.parametrize("years", ["ten", "0"])
def test_bad_retention_years_are_refused_on_start(years: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_RETENTION_YEARS", years)
    with pytest.raises(ValidationError):
        Settings()


# --- the folder store -----------------------------------------------------------------------


def test_local_archive_records_retention_and_refuses_change(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store", retention=POLICY)
    assert isinstance(store, LockingStore)
    key = archive_key("1.001029.000.00.00.H20", 2025, "doc-1")
    before = datetime.now(UTC)
    info = store.put_stream(key, io.BytesIO(b"%PDF signed"), content_type="application/pdf")
    after = datetime.now(UTC)
    lock = store.lock_status(key)
    assert lock.mode == RETENTION_MODE and not lock.legal_hold
    _assert_retained_for(lock.retain_until, 20, (before, after))
    # The retention date travels in the read-only sidecar with the checksum.
    sidecar = tmp_path / "store" / ".meta" / f"{key}.json"
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o400
    assert stat.S_IMODE((tmp_path / "store" / key).stat().st_mode) == 0o400

    with pytest.raises(ObjectExists):
        store.put_stream(key, io.BytesIO(b"%PDF changed"))
    with pytest.raises(PermissionDenied) as refused:
        store.delete(key)
    assert refused.value.code == "archive_immutable"
    assert store.put_stream(key, io.BytesIO(b"%PDF signed")) == info  # a retry with the same bytes
    assert store.lock_status(key).retain_until == lock.retain_until  # and the retry keeps the first date


def test_local_legal_hold_is_a_marker_beside_the_object(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, retention=POLICY)
    key = archive_key("1.001234", 2025, "held")
    store.put_stream(key, io.BytesIO(b"%PDF"))
    assert store.set_legal_hold(key, True).legal_hold
    assert store.lock_status(key).legal_hold
    assert (tmp_path / ".holds" / f"{key}.json").is_file()
    assert list(store.list()) == [key]  # the marker is not a key
    assert store.set_legal_hold(key, True).legal_hold  # placing twice is harmless
    assert not store.set_legal_hold(key, False).legal_hold
    assert not LocalStore(tmp_path).lock_status(key).legal_hold


def test_local_hold_only_on_archived_objects(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, retention=POLICY)
    store.put_stream("work/d/ocr.pdf", io.BytesIO(b"draft"))
    assert store.lock_status("work/d/ocr.pdf").mode is None
    with pytest.raises(InputRejected) as refused:
        store.set_legal_hold("work/d/ocr.pdf", True)
    assert refused.value.code == "not_archived"
    with pytest.raises(ObjectNotFound):
        store.set_legal_hold(archive_key("1.001234", 2025, "absent"), True)
    with pytest.raises(ObjectNotFound):
        store.lock_status(archive_key("1.001234", 2025, "absent"))


def test_local_store_without_policy_keeps_no_date(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    key = archive_key("1.001234", 2025, "d")
    store.put_stream(key, io.BytesIO(b"%PDF"))
    lock = store.lock_status(key)
    assert (lock.mode, lock.retain_until) == (None, None)
    with pytest.raises(PermissionDenied):
        store.delete(key)


# --- S3 (moto unless SOHOA_TEST_S3_URL) -------------------------------------------------------


def _raw(endpoint: S3Endpoint) -> Minio:
    return Minio(
        endpoint.endpoint, access_key=endpoint.access_key, secret_key=endpoint.secret_key, secure=endpoint.secure
    )


@pytest.fixture
def bucket(s3_endpoint: S3Endpoint) -> Iterator[str]:
    """A fresh bucket name. Locked versions outlive the test by design: the rest is removed."""
    name = f"sohoa-lock-{uuid.uuid4().hex[:16]}"
    yield name
    raw = _raw(s3_endpoint)
    if not raw.bucket_exists(name):
        return
    for found in raw.list_objects(name, recursive=True, include_version=True):
        with suppress(S3Error):  # retained: the server keeps it, which is the point
            raw.remove_object(name, str(found.object_name), version_id=found.version_id)


def _s3(endpoint: S3Endpoint, bucket: str, **options: object) -> S3Store:
    return S3Store(
        endpoint.endpoint,
        endpoint.access_key,
        endpoint.secret_key,
        bucket,
        secure=endpoint.secure,
        part_size=5 * MiB,
        timeout=30,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.s3
def test_bucket_is_versioned_with_object_lock(s3_endpoint: S3Endpoint, bucket: str) -> None:
    _s3(s3_endpoint, bucket, retention=POLICY).check()
    raw = _raw(s3_endpoint)
    assert raw.get_bucket_versioning(bucket).status == "Enabled"
    raw.get_object_lock_config(bucket)  # raises when the bucket has no object lock


@pytest.mark.s3
@pytest.mark.parametrize("size", [1024, 6 * MiB], ids=["single-part", "multipart"])
def test_s3_archive_gets_compliance_retention_at_put(s3_endpoint: S3Endpoint, bucket: str, size: int) -> None:
    store = _s3(s3_endpoint, bucket, retention=POLICY)
    key = archive_key("2.000123.000.00.00.H19", 2025, f"doc-{size}")
    before = datetime.now(UTC)
    store.put_stream(key, io.BytesIO(os.urandom(size)), content_type="application/pdf")
    after = datetime.now(UTC)
    # Read back from the object's own headers, as any S3 tool would see them.
    headers = {k.lower(): v for k, v in (_raw(s3_endpoint).stat_object(bucket, key).metadata or {}).items()}
    assert headers["x-amz-object-lock-mode"] == "COMPLIANCE"
    lock = store.lock_status(key)
    assert lock.mode == RETENTION_MODE and lock.version_id
    assert lock.retain_until == datetime.fromisoformat(headers["x-amz-object-lock-retain-until-date"])
    _assert_retained_for(lock.retain_until, 5, (before.replace(microsecond=0), after))


@pytest.mark.s3
def test_s3_refuses_to_delete_a_locked_version(s3_endpoint: S3Endpoint, bucket: str) -> None:
    store = _s3(s3_endpoint, bucket, retention=POLICY)
    key = archive_key("1.001234", 2025, "locked")
    store.put_stream(key, io.BytesIO(b"%PDF signed"))
    version = store.lock_status(key).version_id
    raw = _raw(s3_endpoint)
    with pytest.raises(S3Error) as refused:
        raw.remove_object(bucket, key, version_id=version)
    assert refused.value.code == "AccessDenied"
    # sohoa refuses what object lock would allow: a new version over it, or a delete marker.
    with pytest.raises(ObjectExists):
        store.put_stream(key, io.BytesIO(b"%PDF changed"))
    with pytest.raises(PermissionDenied):
        store.delete(key)
    # Behind sohoa's back a plain overwrite only adds a version: the locked one stays readable.
    raw.put_object(bucket, key, io.BytesIO(b"forged"), 6)
    versions = [v.version_id for v in raw.list_objects(bucket, prefix=key, include_version=True)]
    assert version in versions and len(versions) == 2
    kept = raw.get_object(bucket, key, version_id=version)
    try:
        assert kept.read() == b"%PDF signed"
    finally:
        kept.close()
        kept.release_conn()


@pytest.mark.s3
def test_s3_legal_hold_on_and_off(s3_endpoint: S3Endpoint, bucket: str) -> None:
    store = _s3(s3_endpoint, bucket, retention=POLICY)
    key = archive_key("1.001234", 2025, "held")
    store.put_stream(key, io.BytesIO(b"%PDF"))
    raw = _raw(s3_endpoint)
    assert store.set_legal_hold(key, True).legal_hold
    assert raw.is_object_legal_hold_enabled(bucket, key)
    assert not store.set_legal_hold(key, False).legal_hold
    assert not raw.is_object_legal_hold_enabled(bucket, key)
    with pytest.raises(InputRejected):
        store.set_legal_hold("work/d/x", True)


@pytest.mark.s3
def test_s3_deleting_work_files_removes_every_version(s3_endpoint: S3Endpoint, bucket: str) -> None:
    store = _s3(s3_endpoint, bucket, retention=POLICY)
    store.put_stream("work/d/ocr.pdf", io.BytesIO(b"one"))
    store.put_stream("work/d/ocr.pdf", io.BytesIO(b"two"))
    store.put_stream("work/d/ocr.pdf.keep", io.BytesIO(b"neighbour"))
    assert store.lock_status("work/d/ocr.pdf").mode is None
    store.delete("work/d/ocr.pdf")
    left = [
        (o.object_name, o.is_delete_marker)
        for o in _raw(s3_endpoint).list_objects(bucket, prefix="work/", recursive=True, include_version=True)
    ]
    assert left == [("work/d/ocr.pdf.keep", False)]


@pytest.mark.s3
def test_s3_without_object_lock_archives_without_retention(
    s3_endpoint: S3Endpoint, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    _raw(s3_endpoint).make_bucket(bucket)  # made by someone else, without lock
    store = _s3(s3_endpoint, bucket, retention=POLICY)
    key = archive_key("1.001234", 2025, "plain")
    store.put_stream(key, io.BytesIO(b"%PDF"))
    assert store.lock_status(key).mode is None
    assert "no object lock" in caplog.text
    with pytest.raises(StorageError) as refused:
        store.set_legal_hold(key, True)
    assert refused.value.code == "object_lock_unavailable"
    with pytest.raises(PermissionDenied):  # sohoa's own refusal still stands
        store.delete(key)
