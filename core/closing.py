"""Objects that hold something to release, used in a ``with`` block."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

__all__ = ["Closing"]


class Closing(ABC):
    """``with obj:`` closes ``obj`` on the way out, whatever happened inside (``contextlib.closing`` as a
    base class, so the object itself is the context manager)."""

    @abstractmethod
    def close(self) -> None:
        """Release what the object holds; closing twice is harmless."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
