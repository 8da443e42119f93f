"""The folder object store: one file per object, metadata in hidden JSON sidecars.

Layout under ``root``: ``<key>`` holds the bytes, ``.meta/<key>.json`` the size, sha256,
content type, user metadata and, for archived objects, the retention date; a legal hold is
a marker file ``.holds/<key>.json`` (present: held). Writers take an exclusive ``flock`` on ``root/.lock`` only
while swapping files into place; readers take it shared while pairing a file with its
sidecar, so nobody sees new bytes with an old sidecar (or the reverse).

Crash safety: the bytes are fsynced under a temporary name, then the sidecar is renamed
into place, then the object. A crash in between leaves either no object (a stray sidecar
is harmless) or a complete object with its sha256, never bytes without their checksum.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sohoa.core.clock import utcnow
from sohoa.core.errors import IntegrityError, ObjectExists, ObjectNotFound, StorageError, insufficient_storage
from sohoa.storage.objectrules import (
    RETENTION_MODE,
    ObjectLock,
    RetentionPolicy,
    check_archive_retry,
    copy_hashing,
    fsync_dir,
    is_archived,
    receive_file,
    refuse_archive_delete,
    refuse_unarchived_hold,
    temp_path,
    validate_key,
    validate_prefix,
)
from sohoa.storage.objectstore import NewObject, ObjectInfo, ObjectStore
from sohoa.storage.permissions import (
    PRIVATE_FILE,
    PRIVATE_READ_ONLY,
    create_private,
    private_mkdir,
    warn_loose_permissions,
)

__all__ = ["LocalStore"]

_READ_ONLY = PRIVATE_READ_ONLY


class LocalStore(ObjectStore):
    """Objects as files under ``root``; archived objects are made read-only.

    With a ``retention`` policy, each archived object's sidecar records until when it must be
    kept. The folder itself cannot enforce it against someone with the files' owner rights;
    sohoa never deletes nor overwrites an archived object, whatever its dates.
    """

    def __init__(self, root: Path, *, retention: RetentionPolicy | None = None) -> None:
        self.root = Path(root).expanduser().absolute()
        self._meta_root = self.root / ".meta"
        self._hold_root = self.root / ".holds"
        self.retention = retention
        warn_loose_permissions([self.root, self._meta_root])

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _put_stream(self, new: NewObject, stream: BinaryIO) -> ObjectInfo:
        key = new.key
        target = self._object_path(key)
        with self._io_errors(key):
            self._make_parent(key, target)
            tmp = temp_path(target.parent, target.name)
            try:
                with create_private(tmp) as out:
                    sha256, size = copy_hashing(stream, out)
                    out.flush()
                    os.fsync(out.fileno())
                return self._install(tmp, target, new.stored(sha256, size))
            finally:
                tmp.unlink(missing_ok=True)

    def get_file(self, key: str, dest: Path, *, verify: bool = True) -> ObjectInfo:
        key = validate_key(key)
        with self._io_errors(key):
            with self._locked(exclusive=False):
                source = self._open_object(key)
                try:
                    info = self._recorded(key)
                except BaseException:
                    source.close()
                    raise
            # The open file keeps these bytes even if a writer replaces the key meanwhile.
            with source:
                receive_file(source, Path(dest), key=key, expected=info if verify else None)
            return info

    def open(self, key: str) -> BinaryIO:
        key = validate_key(key)
        with self._io_errors(key), self._locked(exclusive=False):
            return self._open_object(key)

    def stat(self, key: str) -> ObjectInfo:
        key = validate_key(key)
        with self._io_errors(key), self._locked(exclusive=False):
            if not self._object_path(key).is_file():
                raise ObjectNotFound(f"no object {key}", details={"key": key})
            return self._recorded(key)

    def exists(self, key: str) -> bool:
        key = validate_key(key)
        return self._object_path(key).is_file()

    def modified_at(self, key: str) -> datetime:
        key = validate_key(key)
        try:
            return datetime.fromtimestamp(self._object_path(key).stat().st_mtime, UTC)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"no object {key}", details={"key": key}) from exc

    def remove_stale_temporaries(self, before: datetime) -> int:
        """Delete the temporary files writers left when they died (``.<name>.<hex>.tmp``, under the
        objects, sidecars and holds alike) last touched before ``before``; how many went."""
        removed = 0
        cutoff = before.timestamp()
        with self._io_errors(""):
            for dirpath, _dirnames, filenames in os.walk(self.root):
                for name in filenames:
                    if not (name.startswith(".") and name.endswith(".tmp")):
                        continue
                    path = Path(dirpath) / name
                    with contextlib.suppress(FileNotFoundError):  # its writer finished meanwhile
                        if path.lstat().st_mtime < cutoff:
                            path.unlink()
                            removed += 1
        return removed

    def delete(self, key: str) -> None:
        key = validate_key(key)
        refuse_archive_delete(key)
        target = self._object_path(key)
        with self._io_errors(key), self._locked(exclusive=True):
            if target.is_file():
                # Object first: a crash then leaves a stray sidecar, never an unchecked object.
                target.unlink()
                fsync_dir(target.parent)
            self._sidecar_path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[str]:
        prefix = validate_prefix(prefix)
        directory = prefix.rpartition("/")[0]
        start = self.root / directory if directory else self.root
        keys: list[str] = []
        with self._io_errors(prefix):
            for dirpath, dirnames, filenames in os.walk(start):
                # Hidden entries are sidecars, temp files and the lock: never keys.
                dirnames[:] = [name for name in dirnames if not name.startswith(".")]
                relative = Path(dirpath).relative_to(self.root).as_posix()
                for name in filenames:
                    key = name if relative == "." else f"{relative}/{name}"
                    if not name.startswith(".") and key.startswith(prefix):
                        keys.append(key)
        # Whole-key order (as S3 lists), not directory-walk order: "a-b/c" < "a/b".
        return iter(sorted(keys))

    def lock_status(self, key: str) -> ObjectLock:
        key = validate_key(key)
        with self._io_errors(key), self._locked(exclusive=False):
            target = self._object_path(key)
            if not target.is_file():
                raise ObjectNotFound(f"no object {key}", details={"key": key})
            retention = self._sidecar_record(key).get("retention") or {}
            until = retention.get("retain_until")
            return ObjectLock(
                key=key,
                mode=retention.get("mode"),
                retain_until=datetime.fromisoformat(until) if until else None,
                legal_hold=self._hold_path(key).is_file(),
                stored_at=datetime.fromtimestamp(target.stat().st_mtime, UTC),
            )

    def set_legal_hold(self, key: str, on: bool) -> ObjectLock:
        key = validate_key(key)
        refuse_unarchived_hold(key)
        marker = self._hold_path(key)
        with self._io_errors(key):
            with self._locked(exclusive=True):
                if not self._object_path(key).is_file():
                    raise ObjectNotFound(f"no object {key}", details={"key": key})
                if on and not marker.is_file():
                    private_mkdir(marker.parent)
                    tmp = temp_path(marker.parent, marker.name)
                    try:
                        with create_private(tmp, "x", encoding="utf-8") as out:
                            out.write(json.dumps({"key": key, "since": utcnow().isoformat()}))
                        os.replace(tmp, marker)
                    finally:
                        tmp.unlink(missing_ok=True)
                    fsync_dir(marker.parent)
                elif not on and marker.is_file():
                    marker.unlink()
                    fsync_dir(marker.parent)
            return self.lock_status(key)

    def check(self) -> None:
        with self._io_errors("", code="storage_unavailable"):
            private_mkdir(self.root)
            probe = temp_path(self.root, "check")
            probe.write_bytes(b"")
            probe.unlink()

    def _object_path(self, key: str) -> Path:
        return self.root / key

    def _sidecar_path(self, key: str) -> Path:
        return self._meta_root / f"{key}.json"

    def _hold_path(self, key: str) -> Path:
        return self._hold_root / f"{key}.json"

    def _make_parent(self, key: str, target: Path) -> None:
        try:
            private_mkdir(target.parent)
        except (FileExistsError, NotADirectoryError) as exc:
            raise self._key_conflict(key) from exc

    def _install(self, tmp: Path, target: Path, info: ObjectInfo) -> ObjectInfo:
        archived = is_archived(info.key)
        with self._locked(exclusive=True):
            if target.is_dir():
                raise self._key_conflict(info.key)
            if target.exists():
                if archived:
                    return check_archive_retry(self._recorded(info.key), info.sha256)
                # Gone before the new sidecar lands, so a crash cannot pair old bytes
                # with the new checksum.
                target.unlink()
            self._write_sidecar(info, read_only=archived, retain_until=self._retain_until(info.key))
            if archived:
                os.chmod(tmp, _READ_ONLY)
            os.replace(tmp, target)
            fsync_dir(target.parent)
        return info

    def _retain_until(self, key: str) -> datetime | None:
        return self.retention.retain_until(key, utcnow()) if self.retention is not None else None

    def _write_sidecar(self, info: ObjectInfo, *, read_only: bool, retain_until: datetime | None) -> None:
        sidecar = self._sidecar_path(info.key)
        private_mkdir(sidecar.parent)
        record: dict[str, Any] = {
            "key": info.key,
            "size": info.size,
            "sha256": info.sha256,
            "content_type": info.content_type,
            "metadata": dict(info.metadata),
        }
        if retain_until is not None:
            record["retention"] = {"mode": RETENTION_MODE, "retain_until": retain_until.isoformat()}
        tmp = temp_path(sidecar.parent, sidecar.name)
        try:
            with create_private(tmp, "x", encoding="utf-8") as out:
                json.dump(record, out, ensure_ascii=False, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            if read_only:
                os.chmod(tmp, _READ_ONLY)
            os.replace(tmp, sidecar)
            fsync_dir(sidecar.parent)
        finally:
            tmp.unlink(missing_ok=True)

    def _sidecar_record(self, key: str) -> dict[str, Any]:
        try:
            record = json.loads(self._sidecar_path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError) as exc:
            raise IntegrityError(
                f"object {key} has no readable metadata record",
                code="missing_checksum",
                details={"key": key},
            ) from exc
        if not isinstance(record, dict):
            raise IntegrityError(
                f"object {key} has no readable metadata record", code="missing_checksum", details={"key": key}
            )
        return record

    def _recorded(self, key: str) -> ObjectInfo:
        record = self._sidecar_record(key)
        try:
            return ObjectInfo(
                key=key,
                size=int(record["size"]),
                sha256=str(record["sha256"]),
                content_type=str(record["content_type"]),
                metadata={str(k): str(v) for k, v in record["metadata"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IntegrityError(
                f"object {key} has no readable metadata record",
                code="missing_checksum",
                details={"key": key},
            ) from exc

    def _open_object(self, key: str) -> BinaryIO:
        try:
            return open(self._object_path(key), "rb")  # the caller closes it
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"no object {key}", details={"key": key}) from exc

    @staticmethod
    def _key_conflict(key: str) -> ObjectExists:
        # A folder cannot hold both "a" and "a/b"; S3 can, so this is the one place the
        # stores differ.
        return ObjectExists(
            f"key {key} collides with an existing object or prefix", code="key_conflict", details={"key": key}
        )

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        private_mkdir(self.root)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def _io_errors(self, key: str, *, code: str = "storage_io_error") -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            full = insufficient_storage(exc, str(self.root))
            if full is not None:
                full.details["key"] = key
                raise full from exc
            raise StorageError(
                f"object store {self.root}: {exc}", code=code, details={"key": key, "errno": exc.errno}
            ) from exc
