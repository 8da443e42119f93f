"""A real ``sohoa serve`` on a free loopback port, for what only a server shows: timeouts, memory, connections.

One server per module (starting one takes a few seconds); its data dir is the module's own, and
nothing of the test's environment's ``SOHOA_*`` leaks in. The short head and body timeouts keep the
slow-client tests to seconds.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import free_port, stop_process, wait_healthy

REPO = Path(__file__).resolve().parents[3]
_TOKEN = re.compile(r"admin token: (\S+)")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    token: str
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def memory_mb(self, field: str = "VmHWM") -> float:
        """Resident memory of the server process from /proc: ``VmHWM`` is the peak since it started."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        raise AssertionError(f"no {field} in /proc/{self.process.pid}/status")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


SETTINGS = {
    "SOHOA_OCR_ENGINE": "fake",
    "SOHOA_OCR_PROCESSES": "1",
    "SOHOA_SWEEP_INTERVAL": "0",
    "SOHOA_MIN_FREE_MB": "0",
    "SOHOA_HEADER_TIMEOUT": "2",
    "SOHOA_BODY_TIMEOUT": "2",
    "SOHOA_MAX_CONNECTIONS": "2000",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("abuse")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(SETTINGS)
    env.update({"SOHOA_DATA_DIR": str(base / "var"), "PYTHONPATH": str(REPO)})
    log = base / "server.log"
    command = [sys.executable, "-c", "from sohoa.cli.main import main; main()", "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=base, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        found = _TOKEN.search(log.read_text(errors="replace"))
        assert found, log.read_text(errors="replace")
        yield Server(process, port, found.group(1), log)
    finally:
        stop_process(process)


def read_answer(sock: socket.socket, timeout: float) -> bytes:
    """What the server sent until it closed the connection or ``timeout`` passed (b"" when nothing)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and _complete(data):
                break
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    found = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
    return found is not None and len(body) >= int(found.group(1))


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer.split(b" ", 2)[1])
