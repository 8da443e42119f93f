"""A real ``sohoa serve`` process on a free loopback port, to be killed with SIGKILL and started again.

The server is ``tests.support.pause_points`` (the ``sohoa`` command, with an optional pause: see
there) in a session of its own, so ``kill`` takes down the whole process group at once, as the
kernel's OOM killer or a power cut would. Its data dir, catalogue URL and settings come from the
test; nothing of the test's own environment's ``SOHOA_*`` leaks in.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.pause_points import MARKER_ENV, PAUSE_ENV
from tests.support.processes import free_port, tail, wait_healthy

__all__ = ["LiveServer", "live_server"]

REPO = Path(__file__).resolve().parents[2]
_TOKEN = re.compile(r"admin token: (\S+)")


@dataclass
class LiveServer:
    data_dir: Path
    env: dict[str, str]
    notes: Path  # where its logs and pause markers go (beside the data dir, not on it: it may be full)
    port: int = field(default_factory=free_port)
    token: str = ""
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def marker(self) -> Path:
        return self.notes / f"paused-{self.starts}"  # one file per point: paused-N.<point>

    @property
    def log(self) -> Path:
        return self.notes / f"server-{self.starts}.log"

    def start(self, pause: str = "", *, extra: Mapping[str, str] | None = None, timeout: float = 60.0) -> None:
        """Start the server (pausing where ``pause`` says) and wait until it answers."""
        assert self.process is None, "already running"
        self.starts += 1
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("SOHOA_", "KILLTEST_"))}
        environment.update(self.env)
        environment.update(extra or {})
        environment.update(
            {
                "SOHOA_DATA_DIR": str(self.data_dir),
                "PYTHONPATH": str(REPO),
                PAUSE_ENV: pause,
                MARKER_ENV: str(self.marker),
            }
        )
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.pause_points", "serve", "--port", str(self.port)],
                cwd=REPO,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_healthy(self.url, self.process, self.log, timeout)
        found = _TOKEN.search(self.log.read_text(errors="replace"))
        if found:
            self.token = found.group(1)
        assert self.token, "no admin token: the first start prints it"

    def tail(self) -> str:
        return tail(self.log)

    def wait_paused(self, point: str, timeout: float = 60.0) -> str:
        """What the server was doing when it reached ``point`` (``intake``, ``ocr``, ``sign``...);
        that thread of the server waits there until the process is killed."""
        marker = self.marker.with_name(f"{self.marker.name}.{point}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.exists():
                return marker.read_text()
            assert self.process is not None and self.process.poll() is None, f"the server died:\n{self.tail()}"
            time.sleep(0.05)
        raise AssertionError(f"the server never reached {point} within {timeout} s:\n{self.tail()}")

    def release(self, point: str) -> None:
        """Let the server carry on from ``point``, where it paused."""
        self.marker.with_name(f"{self.marker.name}.{point}").unlink()

    def kill(self) -> None:
        """SIGKILL to the server's process group: no handler, no clean-up, no flush."""
        assert self.process is not None
        with suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)
        self.process = None

    def stop(self) -> None:
        """Ask the server to stop (SIGTERM), as an operator would; kill it when it does not."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def upload(self, paths: list[Path], *, procedure_code: str, timeout: float = 60.0) -> httpx.Response:
        files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
        return httpx.post(
            self.url + "/api/v1/uploads",
            headers=self.headers(),
            data={"procedure_code": procedure_code},
            files=files,
            timeout=timeout,
        )

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, headers=self.headers(), timeout=30)


@contextmanager
def live_server(data_dir: Path, env: Mapping[str, str], *, notes: Path | None = None) -> Iterator[LiveServer]:
    """A server that is never left running, whatever the test did to it."""
    server = LiveServer(data_dir, dict(env), notes or data_dir.parent)
    try:
        yield server
    finally:
        if server.process is not None:
            server.kill()
