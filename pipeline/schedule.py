"""Work repeated in the background of a process: the signer's check, the fixity audit, the sweep.

One small loop for all three (a daemon thread per job, stopped by an event), instead of a copy of
it in each; what each does when it runs stays in its own module.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["repeat"]

log = logging.getLogger(__name__)


def repeat(name: str, interval: float, action: Callable[[], object], *, now: bool = False) -> threading.Event:
    """Run ``action`` every ``interval`` seconds (first right away when ``now``); set the event to stop.

    A failing run is logged and the next one still comes: a database or store blip must not end it."""
    stop = threading.Event()

    def loop() -> None:
        if now:
            _run(name, action)
        while not stop.wait(interval):
            _run(name, action)

    threading.Thread(target=loop, name=f"sohoa-{name}", daemon=True).start()
    return stop


def _run(name: str, action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:
        log.warning("%s failed", name, exc_info=True)
