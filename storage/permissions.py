"""The catalogue and the store are for the service's user alone: folders 0700, files 0600.

Scans of administrative results name citizens; other accounts on the machine have no business
reading them. sohoa creates what it writes private whatever the umask, sets a private umask in
the service process (``restrict_umask``), and warns at start about existing files and folders
other accounts can reach (it does not change them: an operator may have shared them on purpose).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "PRIVATE_READ_ONLY",
    "create_private",
    "loose_permissions",
    "private_mkdir",
    "restrict_umask",
    "warn_loose_permissions",
]

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
PRIVATE_READ_ONLY = 0o400
PRIVATE_UMASK = 0o077


def restrict_umask() -> int:
    """Make everything this process creates from now on private; the previous umask."""
    return os.umask(PRIVATE_UMASK)


def private_mkdir(path: Path) -> None:
    """``mkdir -p`` whose every new folder is 0700 (``Path.mkdir`` gives missing parents the umask's mode)."""
    missing = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # another thread made it meanwhile
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is masked by the umask; this is not
    if not path.is_dir():
        raise FileExistsError(f"{path} exists and is not a folder")


def create_private(path: Path, mode: str = "xb", **kwargs: Any) -> IO[Any]:
    """Open a new file (it must not exist) readable by its owner alone."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    return os.fdopen(fd, mode.replace("x", "w"), **kwargs)


def loose_permissions(paths: Iterable[Path]) -> list[Path]:
    """Those of ``paths`` that exist and that group or others may read, write or enter."""
    loose = []
    for path in paths:
        try:
            mode = path.stat().st_mode
        except OSError:  # missing, or under a file: whoever creates it makes it private
            continue
        if stat.S_IMODE(mode) & 0o077:
            loose.append(path)
    return loose


_warned: set[Path] = set()  # once per path and process: a runtime is opened more than once


def warn_loose_permissions(paths: Iterable[Path]) -> list[Path]:
    """Log a warning naming each of ``paths`` other accounts can reach; those paths."""
    loose = loose_permissions(paths)
    for path in loose:
        if path in _warned:
            continue
        _warned.add(path)
        log.warning(
            "%s is readable by other accounts (mode %o): sohoa's data should be private (chmod %s %s)",
            path,
            stat.S_IMODE(path.stat().st_mode),
            "700" if path.is_dir() else "600",
            path,
        )
    return loose
