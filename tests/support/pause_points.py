"""``sohoa serve`` that stops dead at one chosen point of the pipeline, so a test can kill -9 it there.

Run as ``python -m tests.support.pause_points serve --port N`` (the same Typer app as the ``sohoa``
command, in a process of its own). ``KILLTEST_PAUSE`` chooses the points (comma-separated: an upload
and a stage pause in different threads, so both can be reached before one kill); when the server
reaches one, it writes what it was doing to the file ``$KILLTEST_MARKER.<point>`` and that thread
waits until the process is killed, or until the test removes the file (then it carries on, and
that point pauses no more):

- ``intake:<filename>``: inside the transaction that claims the file's original and catalogues it,
  before it commits (the other files of the upload carry on);
- ``ocr``: in the OCR engine, on the first page read (``SOHOA_OCR_ENGINE`` must name ``PausingOcrEngine``);
- ``extract``, ``sign``, ``archive``: after the stage did its work (outputs in the store, the
  signature made, the archive object written), before the document's state moves;
- ``archived``: after the archive stage moved the state, before it clears the document's work.

Only this module reads those variables, and it lives under ``tests/`` (never installed): no
configuration of the product can reach a pause.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sohoa.core.domain import PageImage, PageText
from sohoa.ingest.ocr_engines import FakeOcrEngine

__all__ = ["MARKER_ENV", "PAUSE_ENV", "PausingOcrEngine", "main"]

PAUSE_ENV = "KILLTEST_PAUSE"
MARKER_ENV = "KILLTEST_MARKER"

_STAGE_MODULES = {
    "extract": "sohoa.pipeline.stages.metadata",
    "sign": "sohoa.pipeline.stages.signing",
    "archive": "sohoa.pipeline.stages.archive",
}


_passed: set[str] = set()
_lock = threading.Lock()


def _pause(point: str, what: str) -> None:
    with _lock:
        if point in _passed:
            return
        _passed.add(point)
    marker = Path(f"{os.environ[MARKER_ENV]}.{point}")
    tmp = marker.with_name(marker.name + ".part")
    tmp.write_text(what)
    tmp.replace(marker)  # whole or absent: the test reads it as soon as it exists
    while marker.exists():  # until SIGKILL, or released
        time.sleep(0.05)


def _pauses() -> list[str]:
    return [p.strip() for p in os.environ.get(PAUSE_ENV, "").split(",") if p.strip()]


@dataclass(frozen=True)
class PausingOcrEngine(FakeOcrEngine):
    """The fake engine, which stops on the first page it reads when the pause is ``ocr``."""

    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        if "ocr" in _pauses():
            _pause("ocr", f"ocr {work_dir}")
        return super().ocr_page(image, work_dir, languages=languages)


def _wrap(module: Any, name: str, before: Callable[..., None] | None, after: Callable[..., None] | None) -> None:
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if before is not None:
            before(*args, **kwargs)
        result = real(*args, **kwargs)
        if after is not None:
            after(*args, **kwargs)
        return result

    setattr(module, name, wrapper)


def _install(pause: str) -> None:
    import importlib

    if pause.startswith("intake:"):
        from sohoa.pipeline import intake

        filename = pause.partition(":")[2]

        def catalogued(_session: Any, _batch: Any, document_id: str, file: Any, *_a: Any, **_k: Any) -> None:
            if file.name == filename:
                _pause("intake", f"intake {file.name} {document_id}")

        _wrap(intake, "_add_document", None, catalogued)
    elif pause in _STAGE_MODULES:
        module = importlib.import_module(_STAGE_MODULES[pause])

        def moving(_session: Any, document_id: str, *_a: Any, **_k: Any) -> None:
            _pause(pause, f"{pause} {document_id}")

        # A stage moves its document through the shared stages.work.leave_stage, or transition itself.
        _wrap(module, "leave_stage" if hasattr(module, "leave_stage") else "transition", moving, None)
    elif pause == "archived":
        module = importlib.import_module(_STAGE_MODULES["archive"])

        def clearing(document_id: str, *_a: Any, **_k: Any) -> None:
            _pause("archived", f"archived {document_id}")

        # work_key is what the archive stage calls first once the state has moved
        _wrap(module, "work_key", clearing, None)
    elif pause != "ocr":
        raise SystemExit(f"unknown {PAUSE_ENV}: {pause!r}")


def main() -> None:
    for pause in _pauses():
        _install(pause)
    from sohoa.cli.main import app

    app(prog_name="sohoa")


if __name__ == "__main__":
    sys.exit(main())
