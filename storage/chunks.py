"""Asking the catalogue about many values at once, a bounded ``IN (...)`` at a time.

One query per value would be thousands; one for all of them can carry more parameters than a
statement may (SQLite's limit is the lowest).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

__all__ = ["CHUNK", "chunked", "present"]

CHUNK = 500  # values per IN (...): well under every engine's bound-parameter limit

T = TypeVar("T")


def chunked(values: Collection[T]) -> Iterator[list[T]]:
    """``values`` in lists of at most ``CHUNK``, in their order."""
    wanted = list(values)
    for start in range(0, len(wanted), CHUNK):
        yield wanted[start : start + CHUNK]


def present(
    session: Session, column: InstrumentedAttribute[T], values: Collection[T], *where: ColumnElement[Any]
) -> set[T]:
    """Those of ``values`` that ``column`` holds in some row (that also meets ``where``)."""
    found: set[T] = set()
    for chunk in chunked(values):
        found.update(session.scalars(select(column).where(column.in_(chunk), *where)))
    return found
