"""Zip expansion: safe entries extracted, unsafe ones refused, bombs and huge archives refused whole."""

from __future__ import annotations

import os
import stat
import struct
import unicodedata
import warnings
import zipfile
from pathlib import Path

import pytest

from sohoa.core.errors import InputRejected
from sohoa.ingest.archive_zip import expand_zip, read_zip_directory

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"


def _write_zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]], *, deflate: bool = True) -> Path:
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are written on purpose
        with zipfile.ZipFile(path, "w", method) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return path


def _patch_headers(path: Path, name: bytes, *, set_flags: int = 0, clear_flags: int = 0) -> None:
    """Rewrite the general-purpose flags of one entry in both its local and central headers."""
    data = bytearray(path.read_bytes())
    patched = 0
    for signature, flags_at, name_at in ((_LOCAL, 6, 30), (_CENTRAL, 8, 46)):
        start = 0
        while (found := data.find(signature, start)) >= 0:
            start = found + 4
            if data[found + name_at : found + name_at + len(name)] != name:
                continue
            (flags,) = struct.unpack_from("<H", data, found + flags_at)
            struct.pack_into("<H", data, found + flags_at, (flags | set_flags) & ~clear_flags)
            patched += 1
    assert patched == 2, "the entry must be found in both headers"
    path.write_bytes(bytes(data))


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The work area: the zip and the extraction folder both live inside it."""
    area = tmp_path / "work"
    area.mkdir()
    return area


def test_nested_folders_and_vietnamese_names_are_extracted(work: Path) -> None:
    nfd_name = unicodedata.normalize("NFD", "hồ sơ/Giấy phép số 12.pdf")
    archive = _write_zip(
        work / "good.zip",
        [
            ("hồ sơ/", b""),
            ("hồ sơ/Quyết định 01.pdf", b"%PDF-1.7 one"),
            (nfd_name, b"%PDF-1.7 two"),
            ("a/b/c/scan.png", b"\x89PNG three"),
        ],
    )
    result = expand_zip(archive, work / "out")
    assert result.rejected == ()
    names = [member.name for member in result.accepted]
    assert names == ["hồ sơ/Quyết định 01.pdf", "hồ sơ/Giấy phép số 12.pdf", "a/b/c/scan.png"]
    assert all(unicodedata.is_normalized("NFC", name) for name in names)
    for member, content in zip(result.accepted, (b"one", b"two", b"three"), strict=True):
        assert member.path == work / "out" / member.name
        assert member.path.read_bytes().endswith(content)


def test_utf8_names_without_the_flag_and_cp437_names_decode(work: Path) -> None:
    archive = _write_zip(work / "legacy.zip", [("Công văn.pdf", b"%PDF-1.4 x"), ("cafe.txt", b"cafe")])
    _patch_headers(archive, "Công văn.pdf".encode(), clear_flags=0x800)  # UTF-8 bytes, no flag
    # A genuine cp437 name (0x82 is "é" there), same length as the ASCII placeholder.
    archive.write_bytes(archive.read_bytes().replace(b"cafe.txt", b"caf\x82.txt"))
    result = expand_zip(archive, work / "out")
    assert [m.name for m in result.accepted] == ["Công văn.pdf", "café.txt"]
    assert (work / "out" / "Công văn.pdf").read_bytes() == b"%PDF-1.4 x"
    assert (work / "out" / "café.txt").read_bytes() == b"cafe"


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "a/../../evil.txt", "/etc/evil.txt", "..\\evil.txt", "C:\\evil.txt", "bad\x01name.txt"],
)
def test_unsafe_paths_are_refused_individually(work: Path, name: str) -> None:
    archive = _write_zip(work / "unsafe.zip", [(name, b"evil"), ("ok.pdf", b"%PDF-1.7")])
    out = work / "deep" / "out"
    result = expand_zip(archive, out)
    assert [m.name for m in result.accepted] == ["ok.pdf"]
    assert [(r.code, r.name) for r in result.rejected] == [("zip_unsafe_entry", name)]
    assert _tree(work) == sorted(["deep", "deep/out", "deep/out/ok.pdf", "unsafe.zip"])


def test_symlinks_and_special_files_are_refused(work: Path) -> None:
    link = zipfile.ZipInfo("link.pdf")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    fifo = zipfile.ZipInfo("pipe")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    archive = _write_zip(work / "links.zip", [(link, b"/etc/passwd"), (fifo, b""), ("real.pdf", b"%PDF")])
    result = expand_zip(archive, work / "out")
    assert [m.name for m in result.accepted] == ["real.pdf"]
    assert {(r.name, r.code) for r in result.rejected} == {
        ("link.pdf", "zip_unsafe_entry"),
        ("pipe", "zip_unsafe_entry"),
    }
    assert not (work / "out" / "link.pdf").is_symlink()
    assert not (work / "out" / "link.pdf").exists()


def test_encrypted_entries_are_refused(work: Path) -> None:
    archive = _write_zip(work / "enc.zip", [("secret.pdf", b"%PDF-1.7 secret"), ("open.pdf", b"%PDF-1.7")])
    _patch_headers(archive, b"secret.pdf", set_flags=0x1)
    result = expand_zip(archive, work / "out")
    assert [m.name for m in result.accepted] == ["open.pdf"]
    assert [(r.name, r.code) for r in result.rejected] == [("secret.pdf", "zip_encrypted_entry")]
    assert not (work / "out" / "secret.pdf").exists()


def test_nested_zips_duplicates_and_damaged_entries_are_refused(work: Path) -> None:
    inner = _write_zip(work / "inner.zip", [("x.pdf", b"%PDF-1.7")])
    archive = _write_zip(
        work / "outer.zip",
        [
            ("inner.zip", inner.read_bytes()),
            ("disguised.pdf", inner.read_bytes()),
            ("a.pdf", b"%PDF-1.7 first"),
            ("a.pdf", b"%PDF-1.7 second"),
            ("crc.pdf", b"%PDF-1.7 " + b"z" * 200),
        ],
        deflate=False,
    )
    data = bytearray(archive.read_bytes())
    at = data.rfind(b"z" * 200)
    data[at] = ord("y")  # stored data changed after its CRC was written
    archive.write_bytes(bytes(data))
    result = expand_zip(archive, work / "out")
    assert [(m.name, m.path.read_bytes()) for m in result.accepted] == [("a.pdf", b"%PDF-1.7 first")]
    assert [(r.name, r.code) for r in result.rejected] == [
        ("inner.zip", "nested_zip"),
        ("disguised.pdf", "nested_zip"),
        ("a.pdf", "zip_unsafe_entry"),
        ("crc.pdf", "zip_damaged_entry"),
    ]
    assert _tree(work / "out") == ["a.pdf"]


def test_zip_bomb_is_refused_while_reading_and_cleaned_up(work: Path) -> None:
    archive = work / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("first.pdf", b"%PDF-1.7 fine")
        with handle.open("zeros.pdf", "w") as entry:
            block = bytes(1024 * 1024)
            for _ in range(64):
                entry.write(block)
    assert archive.stat().st_size < 200 * 1024
    with pytest.raises(InputRejected) as caught:
        expand_zip(archive, work / "out")
    assert caught.value.code == "zip_bomb"
    assert _tree(work / "out") == []  # first.pdf was extracted, then removed
    assert _tree(work) == ["bomb.zip", "out"]


def test_total_size_is_counted_from_decompressed_bytes(work: Path) -> None:
    payload = os.urandom(300_000)
    archive = _write_zip(work / "big.zip", [(f"dir/p{i}.pdf", payload) for i in range(4)], deflate=False)
    with pytest.raises(InputRejected) as caught:
        expand_zip(archive, work / "out", max_total_bytes=1_000_000)
    assert caught.value.code == "zip_bomb"
    assert _tree(work / "out") == []

    # Headers that understate sizes do not let more bytes through: reading stops at the
    # declared size and the entry fails its CRC check.
    liar = _write_zip(work / "liar.zip", [("big.pdf", b"%PDF" + bytes(2_000_000))])
    data = bytearray(liar.read_bytes())
    central = data.rfind(_CENTRAL)
    struct.pack_into("<L", data, central + 24, 100)  # uncompressed size in the central header
    liar.write_bytes(bytes(data))
    result = expand_zip(liar, work / "liar-out", max_total_bytes=1_000_000)
    assert [(r.name, r.code) for r in result.rejected] == [("big.pdf", "zip_damaged_entry")]
    assert _tree(work / "liar-out") == []


def test_declared_sizes_over_the_limit_refuse_before_extracting(work: Path) -> None:
    archive = _write_zip(work / "declared.zip", [("a.pdf", b"%PDF" + bytes(500_000)), ("b.pdf", b"%PDF")])
    with pytest.raises(InputRejected) as caught:
        expand_zip(archive, work / "out", max_total_bytes=100_000)
    assert caught.value.code == "zip_bomb"
    assert _tree(work / "out") == []


def test_fifty_thousand_entries_are_refused_from_the_central_directory(work: Path) -> None:
    archive = work / "many.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as handle:
        for index in range(50_000):
            handle.writestr(f"f{index}.txt", b"x")
    assert read_zip_directory(archive) == 50_000
    with pytest.raises(InputRejected) as caught:
        expand_zip(archive, work / "out")
    assert caught.value.code == "zip_too_many_entries"
    assert not (work / "out").exists() or _tree(work / "out") == []


def test_entry_count_is_checked_even_when_the_end_record_lies(work: Path) -> None:
    archive = _write_zip(work / "lying.zip", [(f"f{i}.pdf", b"%PDF") for i in range(20)])
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<2H", data, end + 8, 3, 3)  # entries on this disk, entries in total
    archive.write_bytes(bytes(data))
    with pytest.raises(InputRejected) as caught:
        expand_zip(archive, work / "out", max_entries=10)
    assert caught.value.code == "zip_too_many_entries"


def test_truncated_zip_is_refused(work: Path) -> None:
    archive = _write_zip(work / "cut.zip", [("a.pdf", b"%PDF-1.7" * 100)])
    archive.write_bytes(archive.read_bytes()[:-30])
    with pytest.raises(InputRejected) as caught:
        expand_zip(archive, work / "out")
    assert caught.value.code == "truncated_file"
