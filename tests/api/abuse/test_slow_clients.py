"""Slow clients are closed by the server's timeouts instead of holding connections forever.

Against a real server with a 2 s head timeout and a 2 s body-progress timeout (see conftest):
500 connections, some sending nothing, some their headers a byte a second, some (signed in) their
body a byte a second. All are closed within a few seconds, and the service keeps answering.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time

import httpx

from tests.api.abuse.conftest import Server

SLOW = 500
_HEAD = b"POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


def _open(server: Server, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = server.connect()
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def test_five_hundred_slow_connections_are_closed_by_the_timeouts(server: Server) -> None:
    silent = _open(server, SLOW // 5)  # connect and send nothing
    heads = _open(server, SLOW * 2 // 5)  # the request head, a byte a second
    bodies = _open(server, SLOW - len(silent) - len(heads))  # a complete head, then the body a byte a second
    body_head = _HEAD + f"Authorization: Bearer {server.token}\r\nContent-Length: 100000\r\n\r\n".encode()
    for sock in bodies:
        sock.sendall(body_head)
    closed: set[socket.socket] = set()
    selector = selectors.DefaultSelector()
    for sock in silent + heads + bodies:
        selector.register(sock, selectors.EVENT_READ)
    began = time.monotonic()
    sent = 0
    answered_meanwhile = False
    while len(closed) < SLOW and time.monotonic() - began < 15:
        # One more byte a second on every slow connection still open.
        for sock in heads:
            if sock not in closed:
                _send(sock, _HEAD[sent : sent + 1] if sent < len(_HEAD) else b"X")
        for sock in bodies:
            if sock not in closed:
                _send(sock, b" ")
        sent += 1
        until = time.monotonic() + 1
        while (left := until - time.monotonic()) > 0:
            for key, _ in selector.select(timeout=left):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if _drained(sock):
                    closed.add(sock)
                    selector.unregister(sock)
        if not answered_meanwhile:
            # The service still answers others while the slow connections are open.
            answered_meanwhile = httpx.get(server.url + "/healthz", timeout=5).status_code == 200
    elapsed = time.monotonic() - began
    for sock in silent + heads + bodies:
        sock.close()
    assert answered_meanwhile
    still_open = SLOW - len(closed)
    assert still_open == 0, f"{still_open} of {SLOW} slow connections still open after {elapsed:.1f} s"
    assert elapsed < 10, f"closing took {elapsed:.1f} s"


def _send(sock: socket.socket, data: bytes) -> None:
    # A connection the server closed meanwhile is found closed by the reading loop.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, BlockingIOError):
        sock.send(data)


def _drained(sock: socket.socket) -> bool:
    """Read what the server sent; True once it has closed the connection."""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
