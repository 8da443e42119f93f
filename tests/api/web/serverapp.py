"""The app the browser tests serve with uvicorn: ``uvicorn --factory tests.api.web.serverapp:build``.

Exactly what ``sohoa serve`` runs; only the settings come from the test's environment.
"""

from __future__ import annotations

from fastapi import FastAPI

from sohoa.api.app import create_app

__all__ = ["build"]


def build() -> FastAPI:
    return create_app()
