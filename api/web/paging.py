"""Listing pages cut into pages: the ``?page=`` asked for, and what the pager (``_macros.html``) shows.

Not ``from __future__ import annotations``: the dependency's ``page`` parameter is annotated with the
bound of its own listing, which FastAPI must read as an object, not as text to resolve later.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query

__all__ = ["Paging", "paged"]


@dataclass(frozen=True)
class Paging:
    """Page ``number`` (from 1) of a listing of ``size`` rows a page."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.size))

    def at_most(self, total: int) -> "Paging":
        """This page, or the last one when ``total`` rows do not reach it."""
        return Paging(min(self.number, self.pages(total)), self.size)

    def shown(self, total: int, listing: str, kept: Mapping[str, str | None] | None = None) -> dict[str, int | str]:
        """The pager's part of a page's context: the row count, this page, how many there are, and
        ``pages_base``: the address of the ``listing`` up to where ``page=`` goes, with the filters
        ``kept`` (the empty ones left out), so that every page of a filtered listing stays filtered."""
        query = urlencode({key: value for key, value in (kept or {}).items() if value})
        base = f"{listing}?{query}&" if query else f"{listing}?"
        return {"total": total, "page": self.number, "pages": self.pages(total), "pages_base": base}


def paged(size: int, most: int = 100_000) -> Callable[[int], Paging]:
    """A dependency reading ``?page=`` (1 to ``most``, else refused) for a listing of ``size`` rows a page."""

    def paging(page: Annotated[int, Query(ge=1, le=most)] = 1) -> Paging:
        return Paging(page, size)

    return paging
