"""Large bodies are refused from the request head: nothing is read into memory or spooled first.

Against a real server (memory is the point): the server's peak resident memory stays under 400 MB
while clients push 300 MiB bodies, every refusal comes before the body was sent, and the server
stops reading (the connection closes) instead of draining what the client keeps sending.
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from tests.api.abuse.conftest import Server, read_answer, status_of

BIG = 300 * 1024**2
CHUNK = b"x" * (1024 * 1024)


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("method", "path", "media", "expected"),
    [
        ("POST", "/api/v1/users", "application/json", 413),  # over SOHOA_MAX_JSON_BYTES
        ("PATCH", "/api/v1/documents/0000", "application/json", 413),
        ("POST", "/api/v1/verify", "multipart/form-data; boundary=b", 413),  # over SOHOA_MAX_VERIFY_BYTES
        ("POST", "/api/v1/procedures/import", "multipart/form-data; boundary=b", 413),  # SOHOA_MAX_IMPORT_BYTES
        ("POST", "/auth/login", "application/x-www-form-urlencoded", 413),
        ("POST", "/api/v1/uploads", "multipart/form-data; boundary=b", 401),  # under its cap: nobody is known
        ("POST", "/api/v1/documents/0000/supersede", "multipart/form-data; boundary=b", 401),
    ],
)
def test_a_large_body_is_answered_before_it_is_sent(
    server: Server, method: str, path: str, media: str, expected: int
) -> None:
    with server.connect() as sock:
        sock.sendall(_head(method, path, {"Content-Type": media, "Content-Length": str(BIG)}))
        started = time.monotonic()
        answer = read_answer(sock, timeout=5)
    assert answer, f"{method} {path}: no answer while the body was withheld (the server waits to read it)"
    assert status_of(answer) == expected and time.monotonic() - started < 3
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["code"] == {413: "request_too_large", 401: "unauthenticated"}[expected]
    if expected == 413:
        assert body["details"]["max_bytes"] < BIG


def _push(server: Server, method: str, path: str, headers: dict[str, str], results: list[tuple[int, int]]) -> None:
    """Send the head then up to 300 MiB of body until the server answers or closes; (status, bytes sent).
    With ``Transfer-Encoding: chunked`` in ``headers`` the body goes as chunks."""
    sent = 0
    chunked = headers.get("Transfer-Encoding") == "chunked"
    frame = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n" if chunked else CHUNK
    with server.connect() as sock:
        sock.sendall(_head(method, path, headers))
        sock.settimeout(10)
        try:
            while sent < BIG:
                sock.sendall(frame)
                sent += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        answer = read_answer(sock, timeout=5)
    results.append((status_of(answer) if answer else 0, sent))


def test_three_clients_pushing_300_mib_each_cost_the_server_no_memory(server: Server) -> None:
    results: list[tuple[int, int]] = []
    anonymous = {"Content-Type": "application/json", "Content-Length": str(BIG)}
    # No length declared, a token that works: the cap is counted as the body streams in.
    streamed = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    signed = {**streamed, "Authorization": f"Bearer {server.token}"}
    pushers = [
        threading.Thread(target=_push, args=(server, "POST", "/api/v1/users", anonymous, results)),
        threading.Thread(target=_push, args=(server, "PATCH", "/api/v1/documents/0000", anonymous, results)),
        threading.Thread(target=_push, args=(server, "POST", "/api/v1/users", streamed, results)),
        threading.Thread(target=_push, args=(server, "POST", "/api/v1/users", signed, results)),
    ]
    for pusher in pushers:
        pusher.start()
    for pusher in pushers:
        pusher.join(timeout=60)
    assert len(results) == 4, results
    statuses = sorted(status for status, _ in results)
    assert statuses == [401, 413, 413, 413], results
    # The server stopped reading: what the clients got through is kernel buffers, not 300 MiB each.
    assert all(sent < 64 * 1024**2 for _, sent in results), results
    assert server.memory_mb() < 400, f"peak RSS {server.memory_mb():.0f} MB"


def test_the_refusals_are_audited_once_per_client_and_minute(server: Server) -> None:
    bad = {"Authorization": "Bearer sohoa_not-a-token"}
    for _ in range(5):
        assert httpx.post(server.url + "/api/v1/users", json={}, headers=bad).status_code == 401
    time.sleep(1.5)  # repeats are written to their event at most once a second
    admin = {"Authorization": f"Bearer {server.token}"}
    events = httpx.get(server.url + "/api/v1/audit", params={"action": "auth.refused"}, headers=admin).json()
    found = [e for e in events["events"] if e["details"]["path"] == "/api/v1/users"]
    assert len(found) == 1 and found[0]["details"]["count"] == 5, events
    assert found[0]["details"]["client"] == "127.0.0.1" and "python-httpx" in found[0]["details"]["user_agent"]


def test_an_upload_cut_off_mid_body_is_no_server_error(server: Server) -> None:
    # Office Wi-Fi drops: a sender that goes away halfway is refused like any incomplete body,
    # not logged as an unexpected error with a traceback (which alerts on server errors would page).
    before = server.log.stat().st_size
    part = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n\r\n%PDF-1.7\n' + b"x" * 50_000
    headers = {
        "Authorization": f"Bearer {server.token}",
        "Content-Type": "multipart/form-data; boundary=b",
        "Content-Length": str(200_000),
    }
    with server.connect() as sock:
        sock.sendall(_head("POST", "/api/v1/uploads", headers) + part)
        time.sleep(0.5)  # the server is reading the body now
    deadline = time.monotonic() + 10
    while "client disconnected" not in (logged := server.log.read_bytes()[before:].decode(errors="replace")):
        assert time.monotonic() < deadline, logged
        time.sleep(0.1)
    assert "Traceback" not in logged and "unexpected error" not in logged, logged
    assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
