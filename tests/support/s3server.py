"""An S3 server for tests: ``SOHOA_TEST_S3_URL`` when set, else a local ``moto_server``.

``SOHOA_TEST_S3_URL`` has the form ``http://key:secret@host:port`` (``https`` for TLS).

Moto keeps its objects in memory: :meth:`MotoServer.stop` then :meth:`MotoServer.start`
gives an empty server on the same port (clients get "connection refused" meanwhile);
:meth:`MotoServer.pause` / :meth:`MotoServer.resume` freeze the process instead and keep
the objects (clients connect but time out meanwhile).
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from tests.support.processes import free_port, stop_process

__all__ = ["MotoServer", "S3Endpoint", "S3Unavailable", "parse_s3_url", "s3_server"]

_MOTO_KEY = "testing"
_MOTO_SECRET = "testing"


class S3Unavailable(RuntimeError):
    """No S3 server could be provided (moto missing or failing to start)."""


@dataclass(frozen=True)
class S3Endpoint:
    endpoint: str  # host:port
    access_key: str
    secret_key: str
    secure: bool = False

    @property
    def url(self) -> str:
        scheme = "https" if self.secure else "http"
        return f"{scheme}://{self.endpoint}"


def parse_s3_url(url: str) -> S3Endpoint:
    """``http(s)://key:secret@host:port`` -> S3Endpoint."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.port:
        raise ValueError(f"expected http(s)://key:secret@host:port, got {url!r}")
    if parts.username is None or parts.password is None:
        raise ValueError("the S3 test URL needs key:secret@ credentials")
    return S3Endpoint(
        endpoint=f"{parts.hostname}:{parts.port}",
        access_key=unquote(parts.username),
        secret_key=unquote(parts.password),
        secure=parts.scheme == "https",
    )


class MotoServer:
    """A ``moto.server`` subprocess on a fixed loopback port, restartable on that port."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", start_timeout: float = 30.0) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log = Path(tempfile.gettempdir()) / f"sohoa-moto-{self.port}-{os.getpid()}.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoint(self) -> S3Endpoint:
        return S3Endpoint(f"{self.host}:{self.port}", _MOTO_KEY, _MOTO_SECRET)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
            raise S3Unavailable("moto[server] is not installed")
        command = [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.port)]
        with open(self._log, "wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)  # a paused server cannot act on SIGTERM
        stop_process(process, timeout=10)
        self._log.unlink(missing_ok=True)

    def pause(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise S3Unavailable(f"moto_server exited on start: {self._log_tail()}")
            if self._answers():
                return
            time.sleep(0.1)
        self.stop()
        raise S3Unavailable(f"moto_server did not answer on {self.url} within {self.start_timeout:.0f}s")

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=1.0)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            connection.close()

    def _log_tail(self) -> str:
        try:
            return self._log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"


@contextmanager
def s3_server() -> Iterator[S3Endpoint]:
    """The S3 server tests should use; raises S3Unavailable when there is none."""
    url = os.environ.get("SOHOA_TEST_S3_URL")
    if url:
        yield parse_s3_url(url)
        return
    with MotoServer() as server:
        yield server.endpoint
