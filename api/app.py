"""``create_app(settings)`` builds the FastAPI application; nothing is built at import time."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from sohoa.api.access_log import install_access_log_filter
from sohoa.api.errors import install_error_handlers
from sohoa.api.middleware import close_limits, install_limits
from sohoa.api.routes import (
    archive,
    audit,
    auth,
    batches,
    coversheets,
    documents,
    dossiers,
    health,
    metrics,
    owners,
    procedures,
    register,
    reports,
    search,
    signing,
    uploads,
    users,
    verify,
)
from sohoa.api.web import install_web
from sohoa.core.settings import Settings, get_settings
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime

__all__ = ["create_app"]


def _start_background(rt: Runtime, settings: Settings) -> list[threading.Event]:
    """Work of the one API process: crash-leftover cleanup at start, certificate checks, fixity audits,
    and (embedded) sweeping."""
    from sohoa.pipeline.cleanup import clean_leftovers_quietly
    from sohoa.pipeline.fixity import start_fixity_schedule
    from sohoa.pipeline.signing_ops import start_certificate_checks

    stops = [start_certificate_checks(rt)]
    # What a killed predecessor left (spools, .tmp objects, unreferenced originals), off the start-up
    # path: listing a large store takes a while, and the service need not wait for it.
    threading.Thread(target=clean_leftovers_quietly, args=(rt,), name="leftover-cleanup", daemon=True).start()
    if settings.fixity_interval > 0:
        # In the API process only, so a cluster of workers does not audit the archive N times over.
        stops.append(start_fixity_schedule(rt, settings.fixity_interval))
    if not settings.broker_url and settings.sweep_interval > 0 and not settings.workers_paused:
        # Embedded mode: pick up documents left mid-way by a previous run, then keep sweeping.
        from sohoa.pipeline.sweeper import start_sweeping, sweep

        sweep(rt, stuck_after=timedelta(0))
        stops.append(
            start_sweeping(rt, interval=settings.sweep_interval, stuck_after=timedelta(seconds=settings.stuck_after))
        )
    return stops


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """The app; pass ``runtime`` to share one with the caller (tests), else it opens its own.

    ``settings`` default to the runtime's; the API's own (upload limits, sign-in, event streams) are
    read from them, so a test may pass the runtime's settings with a few of those changed."""
    settings = settings or (runtime.settings if runtime else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        if owned:
            # The service process: spools, work files and catalogue it creates are its user's alone.
            from sohoa.pipeline.privacy import make_process_private

            make_process_private(settings)
        app.state.runtime = runtime or open_runtime(settings, with_queue=not settings.workers_paused)
        stops = []
        if owned:
            stops = _start_background(app.state.runtime, settings)
        try:
            yield
        finally:
            for stop in stops:
                stop.set()
            close_limits(app)
            if owned:
                app.state.runtime.close()

    # Swagger UI's scripts and styles come from a pinned package, never a CDN: departments run sohoa
    # on networks that cannot reach the internet.
    app = FastAPIOffline(
        title="sohoa",
        version="0.1.0",
        summary="Số hóa: signed, searchable, archived results of administrative procedures",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if runtime is not None:
        app.state.runtime = runtime
    install_error_handlers(app)
    install_access_log_filter()  # owners' numbers in paths and queries never reach the access log whole
    install_limits(app, settings)
    for module in (
        health,
        auth,
        uploads,
        batches,
        documents,
        search,
        procedures,
        register,
        dossiers,
        owners,
        reports,
        coversheets,
        signing,
        verify,
        archive,
        users,
        audit,
        metrics,
    ):
        app.include_router(module.router)
    install_web(app)
    return app
