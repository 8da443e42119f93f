"""Worker commands: Celery workers for the scaled mode, and the sweeper."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from sohoa.cli.common import fail, handle_errors, settings_or_exit

__all__ = ["register"]


def worker(
    queues: Annotated[str, typer.Option(help="comma-separated queues: ocr, sign")] = "ocr,sign",
    concurrency: Annotated[int | None, typer.Option(help="worker processes (default: CPU count)")] = None,
    loglevel: Annotated[str, typer.Option(help="log level")] = "INFO",
) -> None:
    """Run a Celery worker (scaled mode: SOHOA_BROKER_URL must be set); it also sweeps stuck documents."""
    settings = settings_or_exit()
    if not settings.broker_url:
        raise fail(
            "configuration_error: SOHOA_BROKER_URL is not set; the embedded mode runs workers inside "
            "'sohoa serve' and 'sohoa ingest'",
            6,
        )
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = set(wanted) - {"ocr", "sign"}
    if unknown or not wanted:
        raise fail(f"invalid_queues: unknown queue(s) {sorted(unknown)}; use ocr, sign", 2)
    from sohoa.pipeline.privacy import make_process_private
    from sohoa.pipeline.sweeper import start_sweeping
    from sohoa.pipeline.wiring import open_runtime, worker_app

    make_process_private(settings)
    app = worker_app(settings)
    stop = None
    if settings.sweep_interval > 0:
        stop = start_sweeping(
            open_runtime(settings),
            interval=settings.sweep_interval,
            stuck_after=timedelta(seconds=settings.stuck_after),
        )
    argv = [
        "worker",
        "-Q",
        ",".join(wanted),
        f"--loglevel={loglevel}",
        "-P",
        "prefork",
        "-n",
        f"sohoa-{'-'.join(wanted)}@%h",
    ]
    if concurrency:
        argv += ["-c", str(concurrency)]
    try:
        app.worker_main(argv=argv)
    finally:
        if stop is not None:
            stop.set()


def sweep(
    stuck_after: Annotated[int | None, typer.Option(help="seconds unchanged before a document is re-enqueued")] = None,
) -> None:
    """Re-enqueue documents stuck in a processing state once (safe on several machines at once)."""
    from sohoa.pipeline.sweeper import sweep as run_sweep
    from sohoa.pipeline.wiring import open_runtime

    settings = settings_or_exit()
    rt = open_runtime(settings)
    try:
        jobs = run_sweep(
            rt, stuck_after=timedelta(seconds=settings.stuck_after if stuck_after is None else stuck_after)
        )
        join = getattr(rt.queue, "join", None)
        if join is not None:
            join()
    finally:
        rt.close()
    typer.echo(f"{len(jobs)} document(s) re-enqueued")


def register(app: typer.Typer) -> None:
    app.command()(handle_errors(worker))
    app.command()(handle_errors(sweep))
