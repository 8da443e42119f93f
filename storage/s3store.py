"""The S3 object store (MinIO or any S3 server) over the ``minio`` client.

The sha256 travels as user metadata, so it must be known before the upload starts:
a file is hashed in a first pass, a stream is spooled to a temporary file while hashed.
Either way the upload re-hashes what it sends, so a source that changed in between is
caught. Memory stays at about one multipart part.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import DictType, check_bucket_name

from core.errors import ConfigurationError, IntegrityError, ObjectNotFound, StorageError
from storage.metacodec import decode_metadata, encode_metadata
from storage.objectrules import (
    HashingReader,
    check_archive_retry,
    copy_hashing,
    is_archived,
    normalize_metadata,
    open_source,
    receive_file,
    refuse_archive_delete,
    validate_content_type,
    validate_key,
    validate_prefix,
)
from storage.objectstore import ObjectInfo

__all__ = ["S3Store", "split_endpoint"]

logger = logging.getLogger(__name__)

DEFAULT_PART_SIZE = 16 * 1024 * 1024
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchVersion"})
_DENIED_CODES = frozenset({"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"})
_EXISTING_BUCKET_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})


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


class S3Store:
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
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Store({self.endpoint!r}, bucket={self.bucket!r})"

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        key = validate_key(key)
        user_metadata = normalize_metadata(metadata)
        content_type = validate_content_type(content_type)
        with open_source(path) as source:
            with self._errors(key):
                sha256, size = copy_hashing(source)
                source.seek(0)
            return self._upload(ObjectInfo(key, size, sha256, content_type, user_metadata), source)

    def put_stream(
        self,
        key: str,
        stream: BinaryIO,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        key = validate_key(key)
        user_metadata = normalize_metadata(metadata)
        content_type = validate_content_type(content_type)
        with self._errors(key):
            spool = tempfile.TemporaryFile(dir=self._spool_dir)  # noqa: SIM115 - closed just below
        with spool:
            with self._errors(key):
                sha256, size = copy_hashing(stream, cast(BinaryIO, spool))
                spool.seek(0)
            return self._upload(ObjectInfo(key, size, sha256, content_type, user_metadata), spool)

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
            self._client.remove_object(self.bucket, key)

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
        if is_archived(info.key):
            try:
                return check_archive_retry(self.stat(info.key), info.sha256)
            except ObjectNotFound:
                pass
        reader = HashingReader(source)
        with self._errors(info.key):
            self._client.put_object(
                self.bucket,
                info.key,
                cast(BinaryIO, reader),
                info.size,
                content_type=info.content_type,
                metadata=cast(DictType, encode_metadata({**info.metadata, "sha256": info.sha256})),
                part_size=self._part_size,
                # One part in flight: memory stays at one part, whatever the object size.
                num_parallel_uploads=1,
            )
        if (reader.hexdigest(), reader.size) != (info.sha256, info.size):
            with self._errors(info.key):
                self._client.remove_object(self.bucket, info.key)
            raise IntegrityError(
                f"source of {info.key} changed while it was uploaded",
                code="source_changed",
                details={"key": info.key},
            )
        return info

    def _info(self, key: str, size: int, headers: Mapping[str, str]) -> ObjectInfo:
        user_metadata = decode_metadata(headers.items())
        sha256 = user_metadata.pop("sha256", "")
        content_type = headers.get("content-type") or "application/octet-stream"
        return ObjectInfo(key, size, sha256, content_type, user_metadata)

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock, self._errors(""):
            if not self._bucket_ready and not self._client.bucket_exists(self.bucket):
                self._make_bucket()
            self._bucket_ready = True

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
