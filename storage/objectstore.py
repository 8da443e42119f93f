"""The one object store interface, with its keys.

Two implementations: ``storage.localstore.LocalStore`` (a folder, the embedded default)
and ``storage.s3store.S3Store`` (MinIO or any S3 server, through the ``minio`` client).
Both stream: no object is ever held whole in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = ["ObjectInfo", "ObjectStore", "archive_key", "original_key", "quarantine_key"]


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str  # hex; recorded at put time, verified on read
    content_type: str = "application/octet-stream"
    metadata: Mapping[str, str] = field(default_factory=dict)  # user metadata, Unicode values


class ObjectStore(Protocol):
    """Streaming object storage. Metadata values may be any Unicode (Vietnamese) text."""

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Store the file under ``key`` whole or not at all; returns what was stored."""
        ...

    def put_stream(
        self,
        key: str,
        stream: BinaryIO,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Like put_file, from a readable binary stream of unknown length."""
        ...

    def get_file(self, key: str, dest: Path, *, verify: bool = True) -> ObjectInfo:
        """Write the object to ``dest`` (atomically); with verify, raise IntegrityError on a bad sha256."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object's bytes; the caller closes it."""
        ...

    def stat(self, key: str) -> ObjectInfo:
        """Raise ObjectNotFound when the key does not exist."""
        ...

    def exists(self, key: str) -> bool: ...

    def modified_at(self, key: str) -> datetime:
        """When the object was last written (UTC); raise ObjectNotFound when the key does not exist."""
        ...

    def delete(self, key: str) -> None: ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under the prefix, in lexical order."""
        ...

    def check(self) -> None:
        """Raise StorageError when the store cannot be reached (for /readyz)."""
        ...


def original_key(sha256: str) -> str:
    return f"originals/{sha256}"


def quarantine_key(sha256: str) -> str:
    return f"quarantine/{sha256}"


def archive_key(procedure_code: str, year: int, document_id: str) -> str:
    return f"archive/{procedure_code}/{year:04d}/{document_id}.pdf"
