"""Free space on the data dir's filesystem: uploads stop before the disk is full, not after.

What is accepted must still be processed (OCR pages, assembled and signed PDFs, the archive
copy), so intake refuses new files below ``SOHOA_MIN_FREE_MB`` with ``insufficient_storage``
(507, retryable) while there is still room for the documents already in the pipeline.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sohoa.core.errors import InsufficientStorage
from sohoa.core.settings import Settings

__all__ = ["check_free_space", "disk_metrics_text", "free_mb", "has_free_space"]

_MB = 1024 * 1024


def _existing(path: Path) -> Path:
    # The data dir may not exist yet on a first start; its filesystem is the nearest existing parent's.
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_mb(settings: Settings) -> int:
    """MiB free to this user on the filesystem of the data dir (work area, SQLite, local store)."""
    return shutil.disk_usage(_existing(settings.data_dir)).free // _MB


def has_free_space(settings: Settings) -> bool:
    return settings.min_free_mb == 0 or free_mb(settings) >= settings.min_free_mb


def check_free_space(settings: Settings) -> None:
    """Raise ``InsufficientStorage`` when the data dir's filesystem is below the floor."""
    if settings.min_free_mb == 0:
        return
    free = free_mb(settings)
    if free < settings.min_free_mb:
        raise InsufficientStorage(
            f"only {free} MB free on {settings.data_dir}, below the floor of {settings.min_free_mb} MB "
            "(SOHOA_MIN_FREE_MB): uploads are refused until space is freed",
            details={"free_mb": free, "min_free_mb": settings.min_free_mb},
        )


def disk_metrics_text(settings: Settings) -> bytes:
    """Free space and its floor as Prometheus gauges, to append to ``/metrics``."""
    free = shutil.disk_usage(_existing(settings.data_dir)).free
    return (
        "# HELP sohoa_data_dir_free_bytes Bytes free on the data dir's filesystem.\n"
        "# TYPE sohoa_data_dir_free_bytes gauge\n"
        f"sohoa_data_dir_free_bytes {free}\n"
        "# HELP sohoa_data_dir_min_free_bytes Below this, uploads are refused (SOHOA_MIN_FREE_MB).\n"
        "# TYPE sohoa_data_dir_min_free_bytes gauge\n"
        f"sohoa_data_dir_min_free_bytes {settings.min_free_mb * _MB}\n"
    ).encode()
