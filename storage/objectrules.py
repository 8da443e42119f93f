"""Rules every object store follows: key syntax, archive immutability, metadata, hashing.

Both stores call these so a key, a metadata map or an archived record is accepted or
refused the same way whether it lands in a folder or in S3.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from core.errors import InputRejected, IntegrityError, ObjectExists, PermissionDenied
from core.text import nfc
from storage.metacodec import encode_value
from storage.objectstore import ObjectInfo

__all__ = [
    "ARCHIVE_PREFIX",
    "CHUNK_SIZE",
    "HashingReader",
    "check_archive_retry",
    "copy_hashing",
    "fsync_dir",
    "is_archived",
    "normalize_metadata",
    "open_source",
    "receive_file",
    "refuse_archive_delete",
    "temp_path",
    "validate_content_type",
    "validate_key",
    "validate_prefix",
]

CHUNK_SIZE = 1024 * 1024
ARCHIVE_PREFIX = "archive/"
MAX_KEY_BYTES = 1024
# S3 caps user metadata at 2 KiB; the folder store applies the same cap so a record
# that fits one store fits the other.
MAX_METADATA_BYTES = 2048
RESERVED_METADATA = frozenset({"sha256"})


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative path of non-hidden segments, else refuse it."""
    reason = _key_problem(key)
    if reason is not None:
        raise InputRejected(f"invalid object key {key!r}: {reason}", code="invalid_key", details={"key": key})
    return key


def _key_problem(key: object) -> str | None:
    if not isinstance(key, str) or not key:
        return "empty"
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        return f"longer than {MAX_KEY_BYTES} bytes"
    if key.startswith("/"):
        return "absolute"
    if "\\" in key or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        return "backslash or control character"
    if key != nfc(key):
        return "not NFC"
    for segment in key.split("/"):
        if not segment:
            return "empty segment"
        # Covers '.' and '..' and keeps the folder store's hidden sidecars and temp files
        # out of the key space.
        if segment.startswith("."):
            return "segment starts with '.'"
    return None


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key possibly ending with '/'."""
    if prefix:
        validate_key(prefix.removesuffix("/"))
    return prefix


def is_archived(key: str) -> bool:
    return key.startswith(ARCHIVE_PREFIX)


def refuse_archive_delete(key: str) -> None:
    if is_archived(key):
        raise PermissionDenied(
            f"archived object {key} cannot be deleted", code="archive_immutable", details={"key": key}
        )


def check_archive_retry(existing: ObjectInfo, sha256: str) -> ObjectInfo:
    """An archived key may be written again only with the same bytes (a retry)."""
    if existing.sha256 == sha256:
        return existing
    raise ObjectExists(
        f"archived object {existing.key} exists with different content",
        details={"key": existing.key, "sha256": existing.sha256, "refused_sha256": sha256},
    )


def normalize_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Validated user metadata with NFC values; keys are lower-case ASCII tokens."""
    normalized: dict[str, str] = {}
    encoded_size = len("sha256") + 64  # the store's own field shares the S3 limit
    for key, value in (metadata or {}).items():
        if not _is_metadata_key(key) or key in RESERVED_METADATA:
            raise InputRejected(f"invalid metadata key {key!r}", code="invalid_metadata")
        if not isinstance(value, str):
            raise InputRejected(f"metadata value for {key!r} is not text", code="invalid_metadata")
        normalized[key] = nfc(value)
        encoded_size += len(key) + len(encode_value(normalized[key]))
    if encoded_size > MAX_METADATA_BYTES:
        raise InputRejected(
            f"metadata takes {encoded_size} bytes, more than {MAX_METADATA_BYTES}",
            code="metadata_too_large",
        )
    return normalized


def _is_metadata_key(key: object) -> bool:
    # S3 lower-cases header names, so upper case could not round-trip.
    return (
        isinstance(key, str)
        and 0 < len(key) <= 128
        and key.isascii()
        and key[0].isalnum()
        and all(ch.isdigit() or "a" <= ch <= "z" or ch in "-_" for ch in key)
    )


def validate_content_type(content_type: str) -> str:
    if not content_type or not content_type.isascii() or not content_type.isprintable():
        raise InputRejected(f"invalid content type {content_type!r}", code="invalid_content_type")
    return content_type


@contextmanager
def open_source(path: Path) -> Iterator[BinaryIO]:
    try:
        source = open(path, "rb")  # noqa: SIM115 - closed below, after the caller is done
    except OSError as exc:
        raise InputRejected(f"cannot read {path}: {exc.strerror}", code="source_unreadable") from exc
    with source:
        yield source


def copy_hashing(source: _Readable, target: BinaryIO | None = None) -> tuple[str, int]:
    """Read ``source`` to its end in chunks (copying to ``target``); return (sha256, size)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest(), size


class HashingReader:
    """Wraps a readable stream and hashes what is read through it."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._source.read(size)
        self._digest.update(chunk)
        self.size += len(chunk)
        return chunk

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(directory: Path, name: str) -> Path:
    # Hidden, so listings skip it; random, so concurrent writers never share one.
    return directory / f".{name}.{secrets.token_hex(6)}.tmp"


def receive_file(source: _Readable, dest: Path, *, key: str, expected: ObjectInfo | None) -> None:
    """Write ``source`` to ``dest`` atomically; with ``expected``, refuse bytes that do not match it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(dest.parent, dest.name)
    try:
        with open(tmp, "xb") as out:
            sha256, size = copy_hashing(source, out)
            out.flush()
            os.fsync(out.fileno())
        if expected is not None and (sha256, size) != (expected.sha256, expected.size):
            raise IntegrityError(
                f"object {key} does not match its recorded sha256",
                details={"key": key, "expected": expected.sha256, "actual": sha256, "size": size},
            )
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    finally:
        tmp.unlink(missing_ok=True)
