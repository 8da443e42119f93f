"""A service process keeps the data it writes to its own user (see ``storage.permissions``)."""

from __future__ import annotations

from pathlib import Path

from sohoa.core.settings import Settings
from sohoa.storage.permissions import restrict_umask, warn_loose_permissions

__all__ = ["make_process_private"]


def make_process_private(settings: Settings) -> list[Path]:
    """Set a private umask (0077) for everything this process creates from now on, and warn about
    existing data folders other accounts can reach; those folders. Call it first thing in a
    service process (``sohoa serve``, ``ingest``, ``worker``), before anything is written."""
    restrict_umask()
    folders = [settings.data_dir, settings.work_dir]
    if settings.embedded_store:
        folders.append(settings.store_dir)
    return warn_loose_permissions(folders)
