"""Faults to put in the pipeline's way: a sign stage whose signing call fails until the key is "fixed"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sohoa.core.errors import SigningError
from sohoa.pipeline.stages import signing as signing_stage

__all__ = ["BrokenSigner", "broken_signer"]


class BrokenSigner:
    """The sign stage's signing call raises ``signing_failed`` while ``broken`` (a key the token refused)."""

    def __init__(self) -> None:
        self.broken = True
        self.calls = 0

    def wrap(self, real: Any) -> Any:
        def sign(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.broken:
                raise SigningError("the token refused the key", code="signing_failed")
            return real(*args, **kwargs)

        return sign


@pytest.fixture
def broken_signer(monkeypatch: pytest.MonkeyPatch) -> Iterator[BrokenSigner]:
    fault = BrokenSigner()
    monkeypatch.setattr(signing_stage, "sign_document", fault.wrap(signing_stage.sign_document))
    yield fault
