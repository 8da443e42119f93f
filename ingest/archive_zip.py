"""Zip expansion for intake: each file of an uploaded zip becomes an input of its own.

Whole-archive refusals (``InputRejected``; whatever was extracted is deleted first):

``zip_too_many_entries``  more than ``max_entries`` entries, counted from the central directory
                          before anything is extracted (the declared count, then entry by entry).
``zip_bomb``              the declared sizes, or the bytes actually decompressed (counted while
                          reading, never trusting headers), exceed ``max_total_bytes``, or the
                          decompressed/compressed ratio exceeds ``max_ratio``.
``truncated_file``        no end-of-central-directory record (the archive was cut short).
``damaged_zip``           the central directory cannot be read.

Entry refusals (``ZipRejection``; the other entries are still extracted):

``zip_unsafe_entry``      absolute path, ``..``, control characters, symlink or other special
                          file, duplicate name, name too long or clashing with a folder.
``zip_encrypted_entry``   an encrypted entry.
``nested_zip``            an entry that is itself a zip (by content).
``zip_damaged_entry``     CRC mismatch, unsupported compression method, corrupt data.

Folder entries are skipped. Names are decoded as zip writers meant them (UTF-8 flag, Info-ZIP
Unicode path field, UTF-8 without the flag, else cp437) and NFC-normalized.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sohoa.core.errors import InputRejected, ProcessingError
from sohoa.core.text import nfc

__all__ = ["ZipExpansion", "ZipMember", "ZipRejection", "expand_zip", "read_zip_directory"]

_END_RECORD = struct.Struct("<4s4H2LH")
_END_RECORD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_END_RECORD_SIGNATURE = b"PK\x06\x06"
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_CENTRAL_HEADER_SIGNATURE = b"PK\x01\x02"
_MAX_COMMENT = 0xFFFF
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_UNICODE_PATH_FIELD = 0x7075
_FLAG_ENCRYPTED = 0x1
_FLAG_UTF8 = 0x800
_CHUNK = 1024 * 1024
_RATIO_FLOOR = 8 * 1024 * 1024  # below this many bytes a high ratio is harmless (e.g. a blank scan)
_DISK_CHECK_EVERY = 64 * 1024 * 1024
_DISK_RESERVE = 256 * 1024 * 1024
_MAX_NAME_BYTES = 255


@dataclass(frozen=True)
class ZipMember:
    name: str  # NFC path inside the zip
    path: Path  # the extracted file, under dest_dir


@dataclass(frozen=True)
class ZipRejection:
    name: str
    code: str
    message: str


@dataclass(frozen=True)
class ZipExpansion:
    accepted: tuple[ZipMember, ...]
    rejected: tuple[ZipRejection, ...]


@dataclass(frozen=True)
class _Directory:
    declared_entries: int
    start: int  # where the central directory really is (data may precede the archive)
    size: int


class _EntryRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def read_zip_directory(path: Path) -> int:
    """Validate the end-of-central-directory record; return the declared number of entries."""
    with path.open("rb") as fp:
        return _read_directory(fp, path.stat().st_size).declared_entries


def expand_zip(
    path: Path,
    dest_dir: Path,
    *,
    max_entries: int = 10_000,
    max_total_bytes: int = 4 * 1024**3,
    max_ratio: float = 200.0,
) -> ZipExpansion:
    """Extract the files of the zip at ``path`` under ``dest_dir``, refusing unsafe entries."""
    archive_size = path.stat().st_size
    with path.open("rb") as fp:
        directory = _read_directory(fp, archive_size)
        _count_entries(fp, directory, max_entries)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputRejected(f"the zip cannot be read: {exc}", code="damaged_zip") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > max_entries:
            raise _too_many_entries(len(infos), max_entries)
        declared = sum(info.file_size for info in infos)
        if declared > max_total_bytes:
            raise _bomb(f"the zip declares {declared} bytes once expanded; the limit is {max_total_bytes}")
        expansion = _Expansion(archive, dest_dir, archive_size, max_total_bytes, max_ratio)
        try:
            for info in infos:
                expansion.extract(info)
        except BaseException:
            expansion.discard()
            raise
    return ZipExpansion(accepted=tuple(expansion.accepted), rejected=tuple(expansion.rejected))


def _read_directory(fp: BinaryIO, size: int) -> _Directory:
    tail_size = min(size, _END_RECORD.size + _MAX_COMMENT)
    fp.seek(size - tail_size)
    tail = fp.read(tail_size)
    found = tail.rfind(_END_RECORD_SIGNATURE)
    if found < 0 or found + _END_RECORD.size > len(tail):
        raise InputRejected("the zip has no end-of-central-directory record (cut short?)", code="truncated_file")
    record_at = size - tail_size + found
    _, _, _, _, entries, cd_size, cd_offset, _ = _END_RECORD.unpack_from(tail, found)
    if entries == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        return _read_zip64_directory(fp, record_at)
    start = record_at - cd_size
    if start < 0:
        raise InputRejected("the zip central directory is out of bounds", code="damaged_zip")
    return _Directory(declared_entries=entries, start=start, size=cd_size)


def _read_zip64_directory(fp: BinaryIO, record_at: int) -> _Directory:
    locator_at = record_at - _ZIP64_LOCATOR.size
    if locator_at < 0:
        raise InputRejected("the zip64 locator is missing", code="damaged_zip")
    fp.seek(locator_at)
    signature, _, end_at, _ = _ZIP64_LOCATOR.unpack(fp.read(_ZIP64_LOCATOR.size))
    if signature != _ZIP64_LOCATOR_SIGNATURE:
        raise InputRejected("the zip64 locator is missing", code="damaged_zip")
    # Like zipfile: trust the record's position (just before the locator), not its stated offset.
    end_at = locator_at - _ZIP64_END_RECORD.size
    fp.seek(max(end_at, 0))
    raw = fp.read(_ZIP64_END_RECORD.size)
    if end_at < 0 or len(raw) < _ZIP64_END_RECORD.size:
        raise InputRejected("the zip64 end record is missing", code="damaged_zip")
    signature, *_, entries, cd_size, _ = _ZIP64_END_RECORD.unpack(raw)
    if signature != _ZIP64_END_RECORD_SIGNATURE or end_at - cd_size < 0:
        raise InputRejected("the zip64 end record is damaged", code="damaged_zip")
    return _Directory(declared_entries=entries, start=end_at - cd_size, size=cd_size)


def _count_entries(fp: BinaryIO, directory: _Directory, max_entries: int) -> None:
    """Count central-directory headers one by one, stopping past the limit: memory stays flat."""
    if directory.declared_entries > max_entries:
        raise _too_many_entries(directory.declared_entries, max_entries)
    fp.seek(directory.start)
    position, count = 0, 0
    while position + _CENTRAL_HEADER.size <= directory.size:
        header = fp.read(_CENTRAL_HEADER.size)
        if len(header) < _CENTRAL_HEADER.size or not header.startswith(_CENTRAL_HEADER_SIGNATURE):
            break
        fields = _CENTRAL_HEADER.unpack(header)
        name_length, extra_length, comment_length = fields[11], fields[12], fields[13]
        skip = name_length + extra_length + comment_length
        fp.seek(skip, os.SEEK_CUR)
        position += _CENTRAL_HEADER.size + skip
        count += 1
        if count > max_entries:
            raise _too_many_entries(None, max_entries)


def _too_many_entries(count: int | None, max_entries: int) -> InputRejected:
    shown = str(count) if count is not None else f"more than {max_entries}"
    return InputRejected(
        f"the zip has {shown} entries; the limit is {max_entries}",
        code="zip_too_many_entries",
        details={"max_entries": max_entries},
    )


def _bomb(message: str) -> InputRejected:
    return InputRejected(message, code="zip_bomb")


def _entry_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _FLAG_UTF8:
        return nfc(info.orig_filename)
    raw = info.orig_filename.encode("cp437")  # zipfile decoded the raw bytes as cp437
    unicode_path = _unicode_path_field(info.extra, raw)
    if unicode_path is not None:
        return nfc(unicode_path)
    try:
        # Many writers (macOS, old 7-Zip, Windows with UTF-8 locales) store UTF-8 without the
        # flag; cp437 text that also decodes as UTF-8 is vanishingly rare.
        return nfc(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return nfc(info.orig_filename)


def _unicode_path_field(extra: bytes, raw_name: bytes) -> str | None:
    position = 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, position)
        data = extra[position + 4 : position + 4 + length]
        position += 4 + length
        if tag != _UNICODE_PATH_FIELD or len(data) < 5 or data[0] != 1:
            continue
        if struct.unpack_from("<L", data, 1)[0] != zlib.crc32(raw_name):
            return None  # the field describes an older name: ignore it, as the spec says
        try:
            return data[5:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def _safe_parts(name: str) -> tuple[str, ...]:
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise _EntryRefused("zip_unsafe_entry", "the name contains control characters")
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) >= 2 and normalized[1] == ":"):
        raise _EntryRefused("zip_unsafe_entry", "absolute path")
    parts = tuple(part for part in normalized.split("/") if part not in ("", "."))
    if ".." in parts:
        raise _EntryRefused("zip_unsafe_entry", "the path climbs out of the archive (..)")
    if not parts:
        raise _EntryRefused("zip_unsafe_entry", "empty name")
    if any(len(part.encode("utf-8")) > _MAX_NAME_BYTES for part in parts):
        raise _EntryRefused("zip_unsafe_entry", "a name component is too long")
    return parts


def _file_type(info: zipfile.ZipInfo) -> int:
    """The Unix file type bits of the entry (0 when the writer recorded none)."""
    return stat.S_IFMT(info.external_attr >> 16)


class _Expansion:
    """The extraction in progress: what was written, so that a refusal can remove it all."""

    def __init__(
        self, archive: zipfile.ZipFile, dest_dir: Path, archive_size: int, max_total: int, max_ratio: float
    ) -> None:
        self.archive = archive
        self.archive_size = archive_size
        self.max_total = max_total
        self.max_ratio = max_ratio
        dest_dir.mkdir(parents=True, exist_ok=True)
        self.root = dest_dir.resolve()
        self.accepted: list[ZipMember] = []
        self.rejected: list[ZipRejection] = []
        self.names: set[str] = set()
        self.created_files: list[Path] = []
        self.created_dirs: list[Path] = []
        self.total = 0
        self.since_disk_check = 0

    def extract(self, info: zipfile.ZipInfo) -> None:
        name = _entry_name(info)
        if info.is_dir() or _file_type(info) == stat.S_IFDIR:
            return
        try:
            target = self._target(info, name)
            self._copy(info, target)
        except _EntryRefused as refused:
            self.rejected.append(ZipRejection(name=name, code=refused.code, message=refused.message))
            return
        self.accepted.append(ZipMember(name=name, path=target))

    def discard(self) -> None:
        for path in reversed(self.created_files):
            path.unlink(missing_ok=True)
        for directory in reversed(self.created_dirs):
            with contextlib.suppress(OSError):  # not empty: something else wrote there; leave it
                directory.rmdir()
        self.accepted.clear()

    def _target(self, info: zipfile.ZipInfo, name: str) -> Path:
        if info.flag_bits & _FLAG_ENCRYPTED:
            raise _EntryRefused("zip_encrypted_entry", "the entry is encrypted")
        file_type = _file_type(info)
        if file_type == stat.S_IFLNK:
            raise _EntryRefused("zip_unsafe_entry", "symbolic link")
        if file_type not in (0, stat.S_IFREG):
            raise _EntryRefused("zip_unsafe_entry", "special file (device, pipe or socket)")
        parts = _safe_parts(name)
        key = "/".join(parts)
        if key in self.names:
            raise _EntryRefused("zip_unsafe_entry", "duplicate name")
        self.names.add(key)
        parent = self.root
        for part in parts[:-1]:
            parent = parent / part
            if not parent.exists():
                try:
                    parent.mkdir()
                except OSError as exc:
                    raise _EntryRefused("zip_unsafe_entry", f"the folder cannot be made: {exc.strerror}") from exc
                self.created_dirs.append(parent)
            elif not parent.is_dir() or parent.is_symlink():
                raise _EntryRefused("zip_unsafe_entry", "the path clashes with a file of the archive")
        if not parent.resolve().is_relative_to(self.root):
            raise _EntryRefused("zip_unsafe_entry", "the path leaves the extraction folder")
        return parent / parts[-1]

    def _copy(self, info: zipfile.ZipInfo, target: Path) -> None:
        written = 0
        try:
            with self.archive.open(info) as source:
                chunk = source.read(_CHUNK)
                if chunk.startswith(_ZIP_MAGICS):
                    raise _EntryRefused("nested_zip", "a zip inside the zip (expand it first)")
                with target.open("xb") as out:
                    self.created_files.append(target)
                    while chunk:
                        written += len(chunk)
                        self._account(len(chunk), written, info)
                        out.write(chunk)
                        chunk = source.read(_CHUNK)
        except _EntryRefused:
            self._forget(target)
            raise
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, ValueError) as exc:
            self._forget(target)
            raise _EntryRefused("zip_damaged_entry", f"the entry cannot be decompressed: {exc}") from exc
        except FileExistsError as exc:
            raise _EntryRefused("zip_unsafe_entry", "the path clashes with another entry") from exc
        except OSError as exc:
            self._forget(target)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ProcessingError("no space left to expand the zip", code="disk_full") from exc
            raise _EntryRefused("zip_unsafe_entry", f"the entry cannot be written: {exc.strerror}") from exc

    def _forget(self, target: Path) -> None:
        if target in self.created_files:
            self.created_files.remove(target)
            target.unlink(missing_ok=True)

    def _account(self, size: int, written: int, info: zipfile.ZipInfo) -> None:
        """Enforce the limits on bytes actually decompressed so far (headers may lie)."""
        self.total += size
        if self.total > self.max_total:
            raise _bomb(f"the zip expands to more than {self.max_total} bytes")
        if written > _RATIO_FLOOR and written > self.max_ratio * max(info.compress_size, 1):
            raise _bomb(f"an entry expands more than {self.max_ratio:g} times its compressed size")
        if self.total > _RATIO_FLOOR and self.total > self.max_ratio * self.archive_size:
            raise _bomb(f"the zip expands more than {self.max_ratio:g} times its size")
        self.since_disk_check += size
        if self.since_disk_check >= _DISK_CHECK_EVERY:
            self.since_disk_check = 0
            if shutil.disk_usage(self.root).free < _DISK_RESERVE:
                raise ProcessingError("no space left to expand the zip", code="disk_full")
