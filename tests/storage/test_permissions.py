"""The catalogue and the store are private to the service's user, whatever the umask."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.core.settings import Settings
from sohoa.pipeline.privacy import make_process_private
from sohoa.storage.database import Database
from sohoa.storage.localstore import LocalStore


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (0022), which would make new files 0644 and folders 0755; restored afterwards."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_folder_store_writes_private_files_and_folders(tmp_path: Path, open_umask: None) -> None:
    store = LocalStore(tmp_path / "data" / "store")
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF-1.7 a citizen's result")
    store.put_file("originals/abc", source)
    store.put_file("archive/1.001234/2025/doc.pdf", source)
    root = store.root
    assert _mode(root.parent) == 0o700 and _mode(root) == 0o700
    assert _mode(root / "originals") == 0o700 and _mode(root / "archive" / "1.001234" / "2025") == 0o700
    assert _mode(root / "originals" / "abc") == 0o600
    assert _mode(root / ".meta" / "originals" / "abc.json") == 0o600
    assert _mode(root / "archive" / "1.001234" / "2025" / "doc.pdf") == 0o400  # archived: read-only, still private
    assert _mode(root / ".lock") == 0o600


def test_the_sqlite_catalogue_is_private(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "data" / "sohoa.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.check()
    finally:
        db.dispose()
    assert _mode(path.parent) == 0o700
    for name in ("sohoa.db", "sohoa.db-wal", "sohoa.db-shm"):
        if (path.parent / name).exists():
            assert _mode(path.parent / name) == 0o600, name


def test_existing_data_others_can_read_is_warned_about(
    tmp_path: Path, open_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "store"
    root.mkdir(mode=0o755)
    db_file = tmp_path / "sohoa.db"
    db_file.touch(mode=0o644)
    os.chmod(tmp_path, 0o700)
    with caplog.at_level(logging.WARNING, logger="sohoa.storage.permissions"):
        LocalStore(root)
        Database(f"sqlite:///{db_file}", migrate=False).dispose()
    warned = [r.getMessage() for r in caplog.records]
    assert any(str(root) in m and "755" in m for m in warned), warned
    assert any(str(db_file) in m and "644" in m for m in warned), warned
    caplog.clear()
    private_root = tmp_path / "private-store"
    private_root.mkdir(mode=0o700)
    private_db = tmp_path / "private.db"
    private_db.touch(mode=0o600)
    with caplog.at_level(logging.WARNING, logger="sohoa.storage.permissions"):
        LocalStore(private_root)
        Database(f"sqlite:///{private_db}", migrate=False).dispose()
    assert caplog.records == []


def test_a_service_process_sets_a_private_umask(settings: Settings, tmp_path: Path, open_umask: None) -> None:
    settings.data_dir.mkdir(mode=0o755)
    os.chmod(settings.data_dir, 0o755)
    assert make_process_private(settings) == [settings.data_dir]
    (tmp_path / "new").write_bytes(b"x")
    assert _mode(tmp_path / "new") == 0o600
