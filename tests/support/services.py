"""Reaching the real services tests need, with one rule: skip when missing, fail under CI=true."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

__all__ = ["need", "need_program", "port_open"]


def need(available: bool, what: str) -> None:
    """Skip with a visible reason when ``what`` is missing; under CI=true a missing service fails."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} not available")


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def need_program(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"program {name!r}")
    assert path is not None
    return path
