"""Server processes the tests start: a free loopback port, waiting until one answers, stopping one."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx

__all__ = ["free_port", "stop_process", "tail", "wait_healthy"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the kernel's pick), for a server about to start."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def tail(log: Path, size: int = 6000) -> str:
    """The end of a server's log, for a failure message."""
    return log.read_text(errors="replace")[-size:] if log.exists() else "(no log)"


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60.0) -> None:
    """Return once the server at ``url`` answers ``/healthz`` with 200; fail with the end of its log
    when it stops first or does not answer within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped (exit {process.returncode}):\n{tail(log)}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.1)
    raise AssertionError(f"the server did not answer within {seconds} s:\n{tail(log)}")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Ask ``process`` to stop (SIGTERM); kill it when it has not within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
