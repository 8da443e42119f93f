"""The S3 object store (MinIO or any S3 server) over the ``minio`` client.

The sha256 travels as user metadata, so it must be known before the upload starts:
a file is hashed in a first pass, a stream is spooled to a temporary file while hashed.
Either way the upload re-hashes what it sends, so a source that changed in between is
caught. Memory stays at about one multipart part.

The bucket is made with object lock (which turns versioning on). With a retention policy,
each archived object is stored with a COMPLIANCE retention: the server then refuses to
delete any of its versions until that date, whoever asks. Object lock alone does not stop a
plain overwrite (it adds a version) or a delete without a version id (it adds a delete
marker): this store refuses both for archived keys itself, so sohoa never does either.
"""

from __future__ import annotations

import base64
import logging
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import DictType, check_bucket_name
from minio.retention import Retention
from minio.versioningconfig import VersioningConfig

from sohoa.core.clock import utcnow
from sohoa.core.errors import ConfigurationError, IntegrityError, ObjectNotFound, StorageError
from sohoa.storage.metacodec import decode_metadata, encode_metadata
from sohoa.storage.objectrules import (
    RETENTION_MODE,
    HashingReader,
    ObjectLock,
    RetentionPolicy,
    check_archive_retry,
    copy_hashing,
    is_archived,
    receive_file,
    refuse_archive_delete,
    refuse_unarchived_hold,
    validate_key,
    validate_prefix,
)
from sohoa.storage.objectstore import OCTET_STREAM, NewObject, ObjectInfo, ObjectStore

__all__ = ["S3Store", "split_endpoint"]

logger = logging.getLogger(__name__)

DEFAULT_PART_SIZE = 16 * 1024 * 1024
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchVersion"})
_DENIED_CODES = frozenset({"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"})
_EXISTING_BUCKET_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
_LOCK_MODE = "x-amz-object-lock-mode"
_LOCK_UNTIL = "x-amz-object-lock-retain-until-date"
_LOCK_HOLD = "x-amz-object-lock-legal-hold"


def split_endpoint(endpoint: str, secure: bool = False) -> tuple[str, bool]:
    """``host:port`` or ``http(s)://host:port`` -> (``host:port``, secure)."""
    if "://" not in endpoint:
        return endpoint, secure
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
        raise ConfigurationError(f"S3 endpoint must be host:port or http(s)://host:port, not {endpoint!r}")
    if secure and parts.scheme == "http":
        raise ConfigurationError(f"S3 endpoint {endpoint!r} is plain http but secure is set")
    return parts.netloc, parts.scheme == "https"


class S3Store(ObjectStore):
    """Objects in one bucket, created on first use (with object lock when the server allows)."""

    def __init__(
        self,
        endpoint: str,
        access_key: str | None,
        secret_key: str | None,
        bucket: str,
        secure: bool = False,
        region: str = "us-east-1",
        *,
        part_size: int = DEFAULT_PART_SIZE,
        timeout: float = 60.0,
        spool_dir: Path | None = None,
        retention: RetentionPolicy | None = None,
    ) -> None:
        host, secure = split_endpoint(endpoint, secure)
        if (access_key is None) != (secret_key is None):
            raise ConfigurationError("S3 access key and secret key must be given together")
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE"),  # None: the system's CA store
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        try:
            check_bucket_name(bucket, strict=True)
            self._client = Minio(
                host, access_key=access_key, secret_key=secret_key, secure=secure, region=region, http_client=http
            )
        except ValueError as exc:
            raise ConfigurationError(f"invalid S3 settings: {exc}") from exc
        self.endpoint = host
        self.secure = secure
        self.bucket = bucket
        self.region = region
        self._part_size = part_size
        self._spool_dir = spool_dir
        self.retention = retention
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()
        self._object_lock = False  # whether the bucket has object lock; known once the bucket is ready

    def __repr__(self) -> str:
        return f"S3Store({self.endpoint!r}, bucket={self.bucket!r})"

    def _put_file(self, new: NewObject, source: BinaryIO) -> ObjectInfo:
        # A file can be read twice: hash it in place rather than spool a copy.
        with self._errors(new.key):
            sha256, size = copy_hashing(source)
            source.seek(0)
        return self._upload(new.stored(sha256, size), source)

    def _put_stream(self, new: NewObject, stream: BinaryIO) -> ObjectInfo:
        with self._errors(new.key):
            spool = tempfile.TemporaryFile(dir=self._spool_dir)  # noqa: SIM115 - closed just below
        with spool:
            with self._errors(new.key):
                sha256, size = copy_hashing(stream, cast(BinaryIO, spool))
                spool.seek(0)
            return self._upload(new.stored(sha256, size), spool)

    def get_file(self, key: str, dest: Path, *, verify: bool = True) -> ObjectInfo:
        key = validate_key(key)
        self._ensure_bucket()
        with self._errors(key):
            response = self._client.get_object(self.bucket, key)
            try:
                headers = response.headers
                info = self._info(key, int(headers.get("content-length", "0")), headers)
                if verify and not info.sha256:
                    raise IntegrityError(
                        f"object {key} has no recorded sha256", code="missing_checksum", details={"key": key}
                    )
                receive_file(response, Path(dest), key=key, expected=info if verify else None)
                return info
            finally:
                response.close()
                response.release_conn()

    def open(self, key: str) -> BinaryIO:
        key = validate_key(key)
        self._ensure_bucket()
        with self._errors(key):
            return cast(BinaryIO, self._client.get_object(self.bucket, key))

    def stat(self, key: str) -> ObjectInfo:
        key = validate_key(key)
        self._ensure_bucket()
        with self._errors(key):
            found = self._client.stat_object(self.bucket, key)
        return self._info(key, found.size or 0, found.metadata or {})

    def modified_at(self, key: str) -> datetime:
        key = validate_key(key)
        self._ensure_bucket()
        with self._errors(key):
            found = self._client.stat_object(self.bucket, key)
        assert found.last_modified is not None  # S3 always sends Last-Modified
        return found.last_modified.astimezone(UTC)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        key = validate_key(key)
        refuse_archive_delete(key)
        self._ensure_bucket()
        with self._errors(key):
            # The bucket is versioned: a plain delete would only hide the bytes behind a
            # delete marker. Work files and originals carry no retention, so every version goes.
            versions = [
                found.version_id
                for found in self._client.list_objects(self.bucket, prefix=key, include_version=True)
                if found.object_name == key
            ]
            for version_id in versions or [None]:
                self._client.remove_object(self.bucket, key, version_id=version_id)

    def lock_status(self, key: str) -> ObjectLock:
        """Retention and legal hold from the object's headers (GetObjectRetention is not needed)."""
        key = validate_key(key)
        self._ensure_bucket()
        with self._errors(key):
            found = self._client.stat_object(self.bucket, key)
        headers = {name.lower(): value for name, value in (found.metadata or {}).items()}
        until = headers.get(_LOCK_UNTIL)
        return ObjectLock(
            key=key,
            mode=headers.get(_LOCK_MODE) or None,
            retain_until=datetime.fromisoformat(until) if until else None,
            legal_hold=headers.get(_LOCK_HOLD, "").upper() == "ON",
            version_id=found.version_id,
            stored_at=found.last_modified,
        )

    def set_legal_hold(self, key: str, on: bool) -> ObjectLock:
        key = validate_key(key)
        refuse_unarchived_hold(key)
        self._ensure_bucket()
        if not self._object_lock:
            refused = StorageError(
                f"bucket {self.bucket} has no object lock: a legal hold cannot be placed",
                code="object_lock_unavailable",
                details={"key": key},
            )
            refused.retryable = False  # the bucket will not grow a lock by waiting
            raise refused
        with self._errors(key):
            if on:
                self._client.enable_object_legal_hold(self.bucket, key)
            else:
                self._client.disable_object_legal_hold(self.bucket, key)
        return self.lock_status(key)

    def list(self, prefix: str = "") -> Iterator[str]:
        prefix = validate_prefix(prefix)
        self._ensure_bucket()
        return self._list(prefix)

    def check(self) -> None:
        with self._errors(""):
            present = self._client.bucket_exists(self.bucket)
        if not present:
            self._bucket_ready = False
            self._ensure_bucket()

    def _list(self, prefix: str) -> Iterator[str]:
        with self._errors(prefix):
            for found in self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True):
                if found.object_name is not None:
                    yield found.object_name

    def _upload(self, info: ObjectInfo, source: BinaryIO) -> ObjectInfo:
        self._ensure_bucket()
        retention = self._retention_for(info.key)
        if is_archived(info.key):
            try:
                existing = check_archive_retry(self.stat(info.key), info.sha256)
            except ObjectNotFound:
                pass
            else:
                if retention is not None:  # a retry after a crash between upload and retention
                    self._ensure_retention(info.key, retention)
                return existing
        headers: dict[str, str] = encode_metadata({**info.metadata, "sha256": info.sha256})
        if retention is not None and info.size <= self._part_size:
            # S3 wants an integrity check with every locked upload; the sha256 we already know
            # serves, and the server verifies the bytes against it.
            headers["x-amz-sdk-checksum-algorithm"] = "SHA256"
            headers["x-amz-checksum-sha256"] = base64.b64encode(bytes.fromhex(info.sha256)).decode("ascii")
        reader = HashingReader(source)
        with self._errors(info.key):
            self._client.put_object(
                self.bucket,
                info.key,
                cast(BinaryIO, reader),
                info.size,
                content_type=info.content_type,
                metadata=cast(DictType, headers),
                part_size=self._part_size,
                # One part in flight: memory stays at one part, whatever the object size.
                num_parallel_uploads=1,
                retention=retention,
            )
        if (reader.hexdigest(), reader.size) != (info.sha256, info.size):
            with self._errors(info.key):
                self._client.remove_object(self.bucket, info.key)
            raise IntegrityError(
                f"source of {info.key} changed while it was uploaded",
                code="source_changed",
                details={"key": info.key},
            )
        if retention is not None:
            # Some servers ignore lock headers on multipart uploads: read back, set when missing.
            self._ensure_retention(info.key, retention)
        return info

    def _retention_for(self, key: str) -> Retention | None:
        if self.retention is None or not self._object_lock:
            return None
        until = self.retention.retain_until(key, utcnow())
        return Retention(COMPLIANCE, until) if until is not None else None

    def _ensure_retention(self, key: str, retention: Retention) -> None:
        status = self.lock_status(key)
        if status.mode == RETENTION_MODE and status.retain_until is not None:
            return  # already retained; COMPLIANCE dates can only grow, never be set back
        with self._errors(key):
            self._client.set_object_retention(self.bucket, key, retention)
        status = self.lock_status(key)
        if status.mode != RETENTION_MODE:
            raise StorageError(
                f"S3 server kept {key} without retention", code="retention_not_applied", details={"key": key}
            )

    def _info(self, key: str, size: int, headers: Mapping[str, str]) -> ObjectInfo:
        user_metadata = decode_metadata(headers.items())
        sha256 = user_metadata.pop("sha256", "")
        content_type = headers.get("content-type") or OCTET_STREAM
        return ObjectInfo(key, size, sha256, content_type, user_metadata)

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock, self._errors(""):
            if self._bucket_ready:
                return
            if not self._client.bucket_exists(self.bucket):
                self._make_bucket()
            self._object_lock = self._has_object_lock()
            if self.retention is not None and not self._object_lock:
                logger.warning("bucket %s has no object lock: archived objects get no retention", self.bucket)
            self._bucket_ready = True

    def _has_object_lock(self) -> bool:
        try:
            self._client.get_object_lock_config(self.bucket)
        except S3Error as exc:
            if exc.code in _DENIED_CODES or exc.code == "NoSuchBucket":
                raise
            return False  # ObjectLockConfigurationNotFoundError and kin
        return True

    def _make_bucket(self) -> None:
        try:
            self._client.make_bucket(self.bucket, location=self.region, object_lock=True)
            return
        except S3Error as exc:
            if exc.code in _EXISTING_BUCKET_CODES:
                return
            # Some servers (MinIO in filesystem mode, plain S3 clones) refuse object
            # lock; archives then rely on this store's own refusal to overwrite.
            logger.warning("bucket %s created without object lock: %s", self.bucket, exc.code)
        try:
            self._client.make_bucket(self.bucket, location=self.region)
        except S3Error as exc:
            if exc.code not in _EXISTING_BUCKET_CODES:
                raise
        try:
            # Without lock, versions at least keep what an overwrite would have replaced.
            self._client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
        except S3Error as exc:
            logger.warning("bucket %s left without versioning: %s", self.bucket, exc.code)

    @contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        try:
            yield
        except S3Error as exc:
            raise self._translate(exc, key) from exc
        except (ServerError, InvalidResponseError) as exc:
            raise StorageError(
                f"S3 server {self.endpoint} failed: {exc}", code="storage_unavailable", details={"key": key}
            ) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise StorageError(
                f"S3 server {self.endpoint} unreachable: {exc}",
                code="storage_unavailable",
                details={"key": key},
            ) from exc
        except OSError as exc:  # local side: spool, source or destination file
            raise StorageError(
                f"I/O error during S3 transfer of {key}: {exc}", code="storage_io_error", details={"key": key}
            ) from exc

    def _translate(self, exc: S3Error, key: str) -> StorageError:
        details = {"key": key, "s3_code": exc.code}
        if exc.code in _MISSING_CODES:
            return ObjectNotFound(f"no object {key}", details=details)
        if exc.code == "NoSuchBucket":
            self._bucket_ready = False  # deleted behind our back: recreate on next use
            return StorageError(f"bucket {self.bucket} does not exist", code="bucket_missing", details=details)
        error = StorageError(f"S3 refused {key or 'the request'}: {exc.code}", details=details)
        if exc.code in _DENIED_CODES:
            error.code = "storage_access_denied"
            error.retryable = False
        return error
