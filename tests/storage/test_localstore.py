"""What only the folder store does: its layout, read-only archives and crash ordering."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from sohoa.core.errors import IntegrityError, ObjectExists, ObjectNotFound, StorageError
from sohoa.storage.localstore import LocalStore
from sohoa.storage.objectstore import archive_key


def test_layout_sidecar_and_read_only_archive(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    key = archive_key("1.001234", 2025, "doc-7")
    info = store.put_stream(key, io.BytesIO(b"%PDF signed"), metadata={"agency": "Sở Văn hóa"})
    stored = tmp_path / "store" / key
    assert stored.read_bytes() == b"%PDF signed"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o400
    sidecar = json.loads((tmp_path / "store" / ".meta" / f"{key}.json").read_text(encoding="utf-8"))
    assert (sidecar["sha256"], sidecar["size"], sidecar["metadata"]) == (info.sha256, 11, {"agency": "Sở Văn hóa"})
    assert list(store.list()) == [key]  # no sidecar, lock or temp file among the keys


def test_unarchived_files_stay_writable(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_stream("work/page-1", io.BytesIO(b"draft"))
    assert os.access(tmp_path / "work" / "page-1", os.W_OK)


@pytest.mark.parametrize("existed", [False, True])
def test_crash_before_object_rename_leaves_no_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existed: bool
) -> None:
    store = LocalStore(tmp_path)
    if existed:
        store.put_stream("originals/x", io.BytesIO(b"old bytes"))
    real_replace = os.replace

    def crash_on_object(src: str | Path, dst: str | Path) -> None:
        if Path(dst) == tmp_path / "originals" / "x":
            raise OSError(5, "simulated crash")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_object)
    with pytest.raises(StorageError):
        store.put_stream("originals/x", io.BytesIO(b"new bytes"))
    # Never the old bytes under the new checksum: the object is simply absent.
    with pytest.raises(ObjectNotFound):
        store.stat("originals/x")
    assert list(store.list()) == []
    monkeypatch.undo()
    info = store.put_stream("originals/x", io.BytesIO(b"new bytes"))
    store.get_file("originals/x", tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"new bytes"
    assert store.stat("originals/x") == info


def test_lost_sidecar_is_an_integrity_failure(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_stream("originals/y", io.BytesIO(b"bytes"))
    (tmp_path / ".meta" / "originals" / "y.json").unlink()
    with pytest.raises(IntegrityError) as failed:
        store.stat("originals/y")
    assert failed.value.code == "missing_checksum"


def test_key_that_is_also_a_prefix_is_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_stream("work/a", io.BytesIO(b"file"))
    with pytest.raises(ObjectExists) as refused:
        store.put_stream("work/a/b", io.BytesIO(b"below a file"))
    assert refused.value.code == "key_conflict"
    store.put_stream("work/c/d", io.BytesIO(b"x"))
    with pytest.raises(ObjectExists):
        store.put_stream("work/c", io.BytesIO(b"over a folder"))
    assert list(store.list("work/")) == ["work/a", "work/c/d"]


def test_check_fails_when_root_cannot_be_used(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_bytes(b"")
    with pytest.raises(StorageError) as failed:
        LocalStore(tmp_path / "plain-file" / "store").check()
    assert failed.value.code == "storage_unavailable"
