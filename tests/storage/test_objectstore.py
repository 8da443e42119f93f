"""The object store contract, run against both stores: the local folder and S3 (moto)."""

from __future__ import annotations

import hashlib
import io
import random
import tracemalloc
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sohoa.core.errors import InputRejected, IntegrityError, ObjectExists, ObjectNotFound, PermissionDenied
from sohoa.storage.localstore import LocalStore
from sohoa.storage.objectstore import ObjectStore, archive_key, original_key
from sohoa.storage.s3store import S3Store
from tests.storage.conftest import S3Bucket

MiB = 1024 * 1024
PART_SIZE = 5 * MiB  # the smallest S3 allows: a 40 MiB object takes eight parts
BIG = 40 * MiB
AGENCY = "Sở Văn hóa, Thể thao và Du lịch"


@dataclass(frozen=True)
class StoreCase:
    store: ObjectStore
    tamper: Callable[[str, bytes], None]  # replace an object's bytes behind the store's back
    memory_budget: int  # peak Python allocations allowed while moving a BIG object


def _local_case(root: Path) -> StoreCase:
    def tamper(key: str, data: bytes) -> None:
        path = root / key
        path.chmod(0o644)
        path.write_bytes(data)

    return StoreCase(LocalStore(root), tamper, memory_budget=4 * MiB)


def _s3_case(bucket: S3Bucket) -> StoreCase:
    store = S3Store(
        bucket.endpoint.endpoint,
        bucket.endpoint.access_key,
        bucket.endpoint.secret_key,
        bucket.name,
        secure=bucket.endpoint.secure,
        part_size=PART_SIZE,
        timeout=30,
    )

    def tamper(key: str, data: bytes) -> None:
        # Keep the recorded sha256: bit rot or an intruder would not update it either.
        kept: dict[str, str | list[str] | tuple[str]] = {
            name: value
            for name, value in (bucket.raw.stat_object(bucket.name, key).metadata or {}).items()
            if name.lower().startswith("x-amz-meta-")
        }
        bucket.raw.put_object(bucket.name, key, io.BytesIO(data), len(data), metadata=kept)

    # minio holds the part being sent while it reads the next one.
    return StoreCase(store, tamper, memory_budget=3 * PART_SIZE)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> StoreCase:
    if request.param == "local":
        return _local_case(tmp_path / "store")
    return _s3_case(request.getfixturevalue("s3_bucket"))


def _chunks(size: int, seed: int, chunk: int = MiB) -> Iterator[bytes]:
    rng = random.Random(seed)
    while size > 0:
        yield rng.randbytes(min(chunk, size))
        size -= chunk


def _write_file(path: Path, size: int, seed: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for block in _chunks(size, seed):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(MiB):
            digest.update(block)
    return digest.hexdigest()


class _TrickleStream(io.RawIOBase):
    """Unknown length, not seekable, short reads: what a socket or a pipe hands over."""

    def __init__(self, size: int, seed: int) -> None:
        self._blocks = _chunks(size, seed, chunk=65_537)
        self._pending = b""
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._pending:
            self._pending = next(self._blocks, b"")
            self.digest.update(self._pending)
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def test_large_file_round_trip_in_bounded_memory(case: StoreCase, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    expected = _write_file(source, BIG, seed=1)
    tracemalloc.start()
    try:
        info = case.store.put_file("originals/big", source, content_type="application/pdf")
        fetched = case.store.get_file("originals/big", tmp_path / "out" / "big.bin")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (info.size, info.sha256, info.content_type) == (BIG, expected, "application/pdf")
    assert fetched == case.store.stat("originals/big") == info
    assert _file_sha256(tmp_path / "out" / "big.bin") == expected
    assert peak < case.memory_budget, f"peak {peak / MiB:.1f} MiB for a {BIG / MiB:.0f} MiB object"


def test_stream_of_unknown_length_round_trip(case: StoreCase, tmp_path: Path) -> None:
    stream = _TrickleStream(BIG + 3, seed=2)
    tracemalloc.start()
    try:
        info = case.store.put_stream("quarantine/streamed", stream)  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (info.size, info.sha256) == (BIG + 3, stream.digest.hexdigest())
    assert peak < case.memory_budget
    case.store.get_file("quarantine/streamed", tmp_path / "streamed.bin")
    assert _file_sha256(tmp_path / "streamed.bin") == info.sha256
    with case.store.open("quarantine/streamed") as opened:
        digest = hashlib.sha256()
        while block := opened.read(MiB):
            digest.update(block)
    assert digest.hexdigest() == info.sha256


def test_stat_exists_list_delete(case: StoreCase) -> None:
    keys = ["work/ab", "originals/aa", "work/a/b", "quarantine/q1", "originals/ab", "work/a-b/c"]
    for number, key in enumerate(keys):
        case.store.put_stream(key, io.BytesIO(f"object {number}".encode()), content_type="text/plain")
    assert list(case.store.list()) == sorted(keys)
    # Whole-key order: '-' sorts before '/', whatever folders the keys live in.
    assert list(case.store.list("work/a")) == ["work/a-b/c", "work/a/b", "work/ab"]
    assert list(case.store.list("originals/")) == ["originals/aa", "originals/ab"]
    assert list(case.store.list("nothing/")) == []
    info = case.store.stat("work/a/b")
    assert (info.size, info.content_type) == (len(b"object 2"), "text/plain")
    assert info.sha256 == hashlib.sha256(b"object 2").hexdigest()
    assert case.store.exists("work/a/b") and not case.store.exists("work/a")
    case.store.delete("work/a/b")
    case.store.delete("work/a/b")  # deleting twice is a retry, not an error
    assert not case.store.exists("work/a/b")
    with pytest.raises(ObjectNotFound):
        case.store.stat("work/a/b")
    assert "work/a/b" not in list(case.store.list())


def test_unarchived_keys_may_be_overwritten(case: StoreCase, tmp_path: Path) -> None:
    case.store.put_stream("work/draft", io.BytesIO(b"first"), metadata={"round": "1"})
    second = case.store.put_stream("work/draft", io.BytesIO(b"second draft"), metadata={"round": "2"})
    assert case.store.stat("work/draft") == second
    case.store.get_file("work/draft", tmp_path / "draft")
    assert (tmp_path / "draft").read_bytes() == b"second draft"


def test_vietnamese_metadata_round_trips_in_nfc(case: StoreCase, tmp_path: Path) -> None:
    title = "Giấy phép tổ chức biểu diễn nghệ thuật"
    metadata = {
        "agency": AGENCY,
        "title": unicodedata.normalize("NFD", title),  # as some scanners and keyboards send it
        "note": "  khoảng trắng ở hai đầu  ",
        "procedure_code": "1.001234",
        "looks-encoded": "=?UTF-8?B?Zm9v?=",
        "empty": "",
    }
    expected = {key: unicodedata.normalize("NFC", value) for key, value in metadata.items()}
    assert expected["title"] == title
    info = case.store.put_stream("originals/meta", io.BytesIO(b"%PDF-1.7"), metadata=metadata)
    assert dict(info.metadata) == expected
    assert dict(case.store.stat("originals/meta").metadata) == expected
    assert dict(case.store.get_file("originals/meta", tmp_path / "m.pdf").metadata) == expected


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ({"Agency": "x"}, "invalid_metadata"),  # S3 lower-cases names: upper case cannot round-trip
        ({"tên": "x"}, "invalid_metadata"),
        ({"sha256": "0" * 64}, "invalid_metadata"),  # the store's own field
        ({"agency": AGENCY * 40}, "metadata_too_large"),
    ],
)
def test_metadata_rules(case: StoreCase, metadata: dict[str, str], code: str) -> None:
    with pytest.raises(InputRejected) as refused:
        case.store.put_stream("originals/refused", io.BytesIO(b"x"), metadata=metadata)
    assert refused.value.code == code
    assert not case.store.exists("originals/refused")


@pytest.mark.parametrize("key", [original_key("f" * 64), archive_key("1.001234", 2025, "tampered")])
def test_tampered_bytes_fail_verification(case: StoreCase, tmp_path: Path, key: str) -> None:
    data = random.Random(3).randbytes(2 * MiB)
    case.store.put_stream(key, io.BytesIO(data))
    damaged = bytearray(data)
    damaged[MiB] ^= 0xFF  # same size: only the checksum can tell
    case.tamper(key, bytes(damaged))
    dest = tmp_path / "fetched.pdf"
    with pytest.raises(IntegrityError):
        case.store.get_file(key, dest)
    assert not dest.exists()
    case.store.get_file(key, dest, verify=False)
    assert dest.read_bytes() == bytes(damaged)


def test_archived_objects_are_immutable(case: StoreCase, tmp_path: Path) -> None:
    key = archive_key("1.001234", 2025, "doc-1")
    signed = b"%PDF-1.7 signed record"
    first = case.store.put_stream(key, io.BytesIO(signed), content_type="application/pdf")
    retry_source = tmp_path / "retry.pdf"
    retry_source.write_bytes(signed)
    assert case.store.put_file(key, retry_source, content_type="application/pdf") == first
    with pytest.raises(ObjectExists):
        case.store.put_stream(key, io.BytesIO(b"%PDF-1.7 forged"), content_type="application/pdf")
    with pytest.raises(PermissionDenied) as refused:
        case.store.delete(key)
    assert refused.value.code == "archive_immutable"
    assert case.store.stat(key) == first
    case.store.get_file(key, tmp_path / "kept.pdf")
    assert (tmp_path / "kept.pdf").read_bytes() == signed


def test_missing_key(case: StoreCase, tmp_path: Path) -> None:
    dest = tmp_path / "never.bin"
    assert not case.store.exists("originals/none")
    for call in (
        lambda: case.store.stat("originals/none"),
        lambda: case.store.get_file("originals/none", dest),
        lambda: case.store.open("originals/none"),
    ):
        with pytest.raises(ObjectNotFound):
            call()
    assert not dest.exists()


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "a//b", "a/../b", "..", "./a", "a/", "a\\b", "a\x00b", ".meta/x", "archive/./x"]
)
def test_invalid_keys_are_refused(case: StoreCase, tmp_path: Path, key: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: case.store.put_stream(key, io.BytesIO(b"x")),
        lambda: case.store.stat(key),
        lambda: case.store.exists(key),
        lambda: case.store.get_file(key, tmp_path / "x"),
        lambda: case.store.delete(key),
    ]
    for call in calls:
        with pytest.raises(InputRejected) as refused:
            call()
        assert refused.value.code == "invalid_key"
    with pytest.raises(InputRejected):
        case.store.list("../")
    assert list(case.store.list()) == []


def test_check_passes_on_a_working_store(case: StoreCase) -> None:
    case.store.check()
    case.store.put_stream("work/after-check", io.BytesIO(b"ok"))
    assert list(case.store.list("work/")) == ["work/after-check"]
