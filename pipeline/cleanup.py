"""Crash leftovers: what a killed process leaves that nothing will ever remove by itself.

- request spools (``work/requests/*``) and intake spools (``work/incoming/*``) of uploads that
  never finished;
- work areas (``work/{document_id}``) of documents that are no longer on their way (or never were);
- temporary files of the folder store (``.*.tmp``) whose writer died;
- ``originals/{sha256}`` objects no document names (stored, then the catalogue never committed),
  and ``originals`` claims whose document does not exist;
- stage outputs in the store (``work/{document_id}/...``) of documents archived or rejected (the
  archive stage clears them after the state moves: a kill in between leaves them) or unknown.

Only what is older than ``SOHOA_LEFTOVER_GRACE`` goes: a spool or object younger than that may
belong to an upload still in progress. Run at start by the API process (``api/app.py``), and
callable by any sweeper (``clean_leftovers``).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.errors import ObjectNotFound, SohoaError
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.chunks import chunked
from sohoa.storage.leftover_queries import (
    delete_orphan_claims,
    documents_in_flight,
    documents_needing_work,
    referenced_originals,
)
from sohoa.storage.localstore import LocalStore

__all__ = ["LeftoverCleanup", "clean_leftovers", "clean_leftovers_quietly"]

log = logging.getLogger(__name__)

_SPOOL_DIRS = ("requests", "incoming")
_ORIGINALS = "originals/"
_WORK = "work/"


@dataclass(frozen=True)
class LeftoverCleanup:
    spools: int = 0  # request and intake spool folders
    work_areas: int = 0
    temporaries: int = 0  # .tmp files of the folder store
    originals: int = 0  # original objects no document names
    claims: int = 0  # originals rows whose document does not exist
    work_objects: int = 0  # stage outputs in the store of documents that need them no more

    def to_dict(self) -> dict[str, Any]:
        return {
            "spools": self.spools,
            "work_areas": self.work_areas,
            "temporaries": self.temporaries,
            "originals": self.originals,
            "claims": self.claims,
            "work_objects": self.work_objects,
        }


def _last_touched(path: Path) -> float:
    """The newest mtime in a tree: a spool still being written is young even if its folder is old."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for dirpath, dirnames, filenames in os.walk(path):
            for name in (*dirnames, *filenames):
                try:
                    newest = max(newest, (Path(dirpath) / name).lstat().st_mtime)
                except FileNotFoundError:
                    continue
    return newest


def _old_entries(folder: Path, before: datetime) -> list[Path]:
    if not folder.is_dir():
        return []
    cutoff = before.timestamp()
    old = []
    for entry in folder.iterdir():
        try:
            if _last_touched(entry) < cutoff:
                old.append(entry)
        except FileNotFoundError:
            continue  # its owner removed it meanwhile
    return old


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _clean_work(rt: Runtime, before: datetime) -> tuple[int, int]:
    work = rt.settings.work_dir
    spools = 0
    for name in _SPOOL_DIRS:
        for entry in _old_entries(work / name, before):
            _remove(entry)
            spools += 1
    areas = [e for e in _old_entries(work, before) if e.name not in _SPOOL_DIRS]
    with rt.db.session() as session:
        in_flight = documents_in_flight(session, [e.name for e in areas])
    stale = [e for e in areas if e.name not in in_flight]
    for entry in stale:
        _remove(entry)
    return spools, len(stale)


def _unneeded(
    rt: Runtime, ids: Sequence[str], needed: Callable[[Session, Sequence[str]], Collection[str]]
) -> Iterator[str]:
    """The ``ids`` the catalogue needs no more, asked a chunk at a time: one query per id would be
    thousands, and one for all of them more parameters than a statement may carry."""
    for chunk in chunked(ids):
        with rt.db.session() as session:
            kept = needed(session, chunk)
        yield from (i for i in chunk if i not in kept)


def _delete_old(rt: Runtime, key: str, before: datetime) -> bool:
    """Delete ``key`` unless it was written since ``before``: a younger object may belong to an upload or
    a stage whose catalogue change has not committed yet."""
    try:
        if rt.store.modified_at(key) >= before:
            return False
        rt.store.delete(key)
    except ObjectNotFound:
        return False
    return True


def _clean_originals(rt: Runtime, before: datetime) -> int:
    unnamed = _unneeded(rt, list(rt.store.list(_ORIGINALS)), referenced_originals)
    return sum(_delete_old(rt, key, before) for key in unnamed)


def _clean_work_objects(rt: Runtime, before: datetime) -> int:
    by_document: dict[str, list[str]] = {}
    for key in rt.store.list(_WORK):
        by_document.setdefault(key.removeprefix(_WORK).partition("/")[0], []).append(key)
    done = _unneeded(rt, list(by_document), documents_needing_work)
    return sum(_delete_old(rt, key, before) for doc_id in done for key in by_document[doc_id])


def clean_leftovers(rt: Runtime, *, grace: timedelta | None = None) -> LeftoverCleanup:
    """Remove crash leftovers older than ``grace`` (default ``SOHOA_LEFTOVER_GRACE``); what went."""
    before = utcnow() - (grace if grace is not None else timedelta(seconds=rt.settings.leftover_grace))
    spools, areas = _clean_work(rt, before)
    temporaries = rt.store.remove_stale_temporaries(before) if isinstance(rt.store, LocalStore) else 0
    originals = _clean_originals(rt, before)
    with rt.db.session() as session:
        claims = delete_orphan_claims(session, before)
    work_objects = _clean_work_objects(rt, before)
    result = LeftoverCleanup(spools, areas, temporaries, originals, claims, work_objects)
    if any(result.to_dict().values()):
        log.info("removed crash leftovers: %s", result.to_dict())
    return result


def clean_leftovers_quietly(rt: Runtime) -> LeftoverCleanup | None:
    """``clean_leftovers`` for a background start: a failure is logged, never stops the service."""
    try:
        return clean_leftovers(rt)
    except (SohoaError, OSError):
        log.warning("crash-leftover cleanup failed", exc_info=True)
        return None
