"""The one object store interface, with its keys.

Two implementations: ``storage.localstore.LocalStore`` (a folder, the embedded default)
and ``storage.s3store.S3Store`` (MinIO or any S3 server, through the ``minio`` client).
Both stream: no object is ever held whole in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, TypedDict, Unpack

from sohoa.storage.objectrules import normalize_metadata, open_source, validate_content_type, validate_key

__all__ = [
    "OCTET_STREAM",
    "NewObject",
    "ObjectInfo",
    "ObjectStore",
    "PutOptions",
    "archive_key",
    "original_key",
    "quarantine_key",
]

OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str  # hex; recorded at put time, verified on read
    content_type: str = OCTET_STREAM
    metadata: Mapping[str, str] = field(default_factory=dict)  # user metadata, Unicode values


class PutOptions(TypedDict, total=False):
    """What a put may say of an object besides its bytes; unsaid: ``OCTET_STREAM`` and no metadata."""

    content_type: str
    metadata: Mapping[str, str] | None


@dataclass(frozen=True)
class NewObject:
    """An object about to be written, its key, content type and metadata already checked."""

    key: str
    content_type: str
    metadata: Mapping[str, str]

    @classmethod
    def checked(cls, key: str, options: PutOptions) -> NewObject:
        return cls(
            validate_key(key),
            validate_content_type(options.get("content_type", OCTET_STREAM)),
            normalize_metadata(options.get("metadata")),
        )

    def stored(self, sha256: str, size: int) -> ObjectInfo:
        return ObjectInfo(self.key, size, sha256, self.content_type, self.metadata)


class ObjectStore(ABC):
    """Streaming object storage. Metadata values may be any Unicode (Vietnamese) text.

    Both puts check the key, content type and metadata here, so a store only writes bytes.
    """

    def put_file(self, key: str, path: Path, **options: Unpack[PutOptions]) -> ObjectInfo:
        """Store the file under ``key`` whole or not at all; returns what was stored."""
        new = NewObject.checked(key, options)
        with open_source(path) as source:
            return self._put_file(new, source)

    def put_stream(self, key: str, stream: BinaryIO, **options: Unpack[PutOptions]) -> ObjectInfo:
        """Like put_file, from a readable binary stream of unknown length."""
        return self._put_stream(NewObject.checked(key, options), stream)

    @abstractmethod
    def _put_stream(self, new: NewObject, stream: BinaryIO) -> ObjectInfo:
        """Write the stream's bytes as ``new``, whole or not at all."""

    def _put_file(self, new: NewObject, source: BinaryIO) -> ObjectInfo:
        """``source`` is an open file, so it can be read twice; a store that gains by that overrides this."""
        return self._put_stream(new, source)

    @abstractmethod
    def get_file(self, key: str, dest: Path, *, verify: bool = True) -> ObjectInfo:
        """Write the object to ``dest`` (atomically); with verify, raise IntegrityError on a bad sha256."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object's bytes; the caller closes it."""

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Raise ObjectNotFound when the key does not exist."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under the key."""

    @abstractmethod
    def modified_at(self, key: str) -> datetime:
        """When the object was last written (UTC); raise ObjectNotFound when the key does not exist."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object (an archived one never)."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under the prefix, in lexical order."""

    @abstractmethod
    def check(self) -> None:
        """Raise StorageError when the store cannot be reached (for /readyz)."""


def original_key(sha256: str) -> str:
    return f"originals/{sha256}"


def quarantine_key(sha256: str) -> str:
    return f"quarantine/{sha256}"


def archive_key(procedure_code: str, year: int, document_id: str) -> str:
    return f"archive/{procedure_code}/{year:04d}/{document_id}.pdf"
