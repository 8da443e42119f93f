"""What the crash-leftover cleanup needs from the stores: when an object was written, stale .tmp files."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sohoa.core.errors import ObjectNotFound
from sohoa.storage.localstore import LocalStore
from tests.storage.test_objectstore import StoreCase, case  # noqa: F401  (the fixture, local and S3)


def test_modified_at_is_when_the_object_was_written(case: StoreCase, tmp_path: Path) -> None:  # noqa: F811
    source = tmp_path / "x"
    source.write_bytes(b"x")
    before = datetime.now(UTC) - timedelta(seconds=5)
    case.store.put_file("originals/abc", source)
    written = case.store.modified_at("originals/abc")
    assert written.tzinfo is not None and before <= written <= datetime.now(UTC) + timedelta(seconds=5)
    with pytest.raises(ObjectNotFound):
        case.store.modified_at("originals/none")


def test_the_folder_store_removes_only_stale_temporaries(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    source = tmp_path / "x"
    source.write_bytes(b"x")
    store.put_file("originals/abc", source)
    stale = store.root / "originals" / ".abc.0123456789ab.tmp"
    fresh = store.root / ".meta" / "originals" / ".abc.json.ba9876543210.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"half")
    then = time.time() - 7200
    os.utime(stale, (then, then))
    assert store.remove_stale_temporaries(datetime.now(UTC) - timedelta(hours=1)) == 1
    assert not stale.exists() and fresh.exists()
    assert list(store.list("originals/")) == ["originals/abc"] and store.exists("originals/abc")
