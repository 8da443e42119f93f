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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

from sohoa.core.errors import ConfigurationError, InputRejected, IntegrityError, ObjectExists, PermissionDenied
from sohoa.core.settings import Settings
from sohoa.core.text import nfc
from sohoa.storage.metacodec import encode_value

if TYPE_CHECKING:  # the interface module imports these rules: its types only, never at run time
    from sohoa.storage.objectstore import ObjectInfo

__all__ = [
    "ARCHIVE_PREFIX",
    "CHUNK_SIZE",
    "RETENTION_MODE",
    "HashingReader",
    "LockingStore",
    "ObjectLock",
    "RetentionPolicy",
    "archived_procedure",
    "check_archive_retry",
    "copy_hashing",
    "fsync_dir",
    "is_archived",
    "normalize_metadata",
    "open_source",
    "parse_retention_overrides",
    "receive_file",
    "refuse_archive_delete",
    "refuse_unarchived_hold",
    "retention_policy",
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


# --- Retention and legal hold -------------------------------------------------------------
#
# Archived objects are kept at least a retention period counted from when they were stored
# (COMPLIANCE: nobody, not even an administrator, may shorten it), and may be put under a
# legal hold that keeps them beyond it until released. On S3 the server enforces both on the
# object's versions; the folder store records them beside the object.

RETENTION_MODE = "COMPLIANCE"
DEFAULT_RETENTION_YEARS = 10


def archived_procedure(key: str) -> str:
    """The procedure code of ``archive/{procedure}/{yyyy}/{name}``, or "" for any other key."""
    parts = key.split("/")
    return parts[1] if is_archived(key) and len(parts) >= 4 else ""


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        later = moment.replace(year=moment.year + years)
    except ValueError:  # 29 February: round up to 1 March, never shorten the period
        later = moment.replace(year=moment.year + years, month=3, day=1)
    # S3 dates carry whole seconds: round up, again so the period is never shorter.
    return later.replace(microsecond=0) + timedelta(seconds=1 if later.microsecond else 0)


@dataclass(frozen=True)
class RetentionPolicy:
    """Years to keep archived objects; ``overrides`` by procedure code, exact or by whole-segment prefix."""

    years: int = DEFAULT_RETENTION_YEARS
    overrides: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code, years in {"": self.years, **self.overrides}.items():
            if not isinstance(years, int) or years < 1:
                where = f" for {code}" if code else ""
                raise ConfigurationError(f"retention{where} must be a whole number of years >= 1, not {years!r}")

    def years_for(self, procedure_code: str) -> int:
        matches = [code for code in self.overrides if procedure_code == code or procedure_code.startswith(code + ".")]
        # The most specific override wins: "1.001029.000.00.00.H19" over "1.001029".
        return self.overrides[max(matches, key=len)] if matches else self.years

    def retain_until(self, key: str, stored_at: datetime) -> datetime | None:
        """When an object stored under ``key`` at ``stored_at`` may go; None for keys outside the archive."""
        if not is_archived(key):
            return None
        return _add_years(stored_at, self.years_for(archived_procedure(key)))


def parse_retention_overrides(text: str) -> dict[str, int]:
    """``"1.001029=20, 2.000123=5"`` -> ``{"1.001029": 20, "2.000123": 5}``."""
    overrides: dict[str, int] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        code, sep, years = item.partition("=")
        code = code.strip()
        if not sep or not code or not years.strip().isdigit():
            raise ConfigurationError(
                f"retention override {item.strip()!r} is not CODE=YEARS", code="invalid_retention_override"
            )
        overrides[code] = int(years)
    return overrides


def retention_policy(settings: Settings) -> RetentionPolicy:
    """The policy ``SOHOA_RETENTION_YEARS`` (default 10) and ``SOHOA_RETENTION_OVERRIDES`` describe."""
    return RetentionPolicy(settings.retention_years, parse_retention_overrides(settings.retention_overrides))


@dataclass(frozen=True)
class ObjectLock:
    """What protects one stored object: its retention and legal hold, as the store reports them."""

    key: str
    mode: str | None = None  # "COMPLIANCE", or None when the object has no retention
    retain_until: datetime | None = None
    legal_hold: bool = False
    version_id: str | None = None  # S3 only
    stored_at: datetime | None = None

    def retained(self, now: datetime) -> bool:
        return self.retain_until is not None and self.retain_until > now


@runtime_checkable
class LockingStore(Protocol):
    """An object store that can report retention and place or lift a legal hold (both stores can)."""

    def lock_status(self, key: str) -> ObjectLock:
        """Raise ObjectNotFound when the key does not exist."""
        ...

    def set_legal_hold(self, key: str, on: bool) -> ObjectLock: ...


def refuse_unarchived_hold(key: str) -> None:
    if not is_archived(key):
        raise InputRejected(
            f"only archived objects can be put under legal hold, not {key}",
            code="not_archived",
            details={"key": key},
        )
