"""``create_app(settings)`` builds the FastAPI application; nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import (
    batches,
    coversheets,
    documents,
    health,
    metrics,
    procedures,
    register,
    reports,
    uploads,
)
from core.settings import Settings, get_settings
from pipeline.runtime import Runtime, open_runtime

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """The app; pass ``runtime`` to share one with the caller (tests), else it opens its own."""
    settings = settings or (runtime.settings if runtime else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        app.state.runtime = runtime or open_runtime(settings)
        stop = None
        if owned and not settings.broker_url and settings.sweep_interval > 0:
            # Embedded mode: pick up documents left mid-way by a previous run, then keep sweeping.
            from pipeline.sweeper import start_sweeping, sweep

            stuck = timedelta(seconds=settings.stuck_after)
            sweep(app.state.runtime, stuck_after=timedelta(0))
            stop = start_sweeping(app.state.runtime, interval=settings.sweep_interval, stuck_after=stuck)
        try:
            yield
        finally:
            if stop is not None:
                stop.set()
            if owned:
                app.state.runtime.close()

    app = FastAPI(
        title="sohoa",
        version="0.1.0",
        summary="Số hóa: signed, searchable, archived results of administrative procedures",
        lifespan=lifespan,
    )
    if runtime is not None:
        app.state.runtime = runtime
    install_error_handlers(app)
    for module in (health, uploads, batches, documents, procedures, register, reports, coversheets, metrics):
        app.include_router(module.router)
    return app
