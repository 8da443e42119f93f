"""Forty anonymous clients posting wrong passwords do not slow the service down for anybody else.

Against a real server: Argon2 runs in a small pool of its own, a flood from one address is
throttled (429 with ``Retry-After``) before any hash is computed, and an authenticated API call
keeps answering in under a second while the flood goes on. The flood runs in a process of its own,
so its threads do not slow the measuring client down instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from tests.api.abuse.conftest import Server

FLOOD_SECONDS = 6.0
_FLOOD = """
import json, sys, threading, time
import httpx
url, seconds = sys.argv[1], float(sys.argv[2])
stop = time.monotonic() + seconds
statuses, waits = [], []
def flood(k):
    with httpx.Client(base_url=url, timeout=30) as client:
        n = 0
        while time.monotonic() < stop:
            n += 1
            name = "admin" if n % 2 else f"nobody-{k}-{n}"
            answer = client.post("/auth/login", data={"username": name, "password": "wrong password, again"},
                                 headers={"Accept": "application/json"})
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                waits.append(answer.headers.get("retry-after", ""))
threads = [threading.Thread(target=flood, args=(k,)) for k in range(40)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps({"statuses": statuses, "waits": waits}))
"""


def test_an_authenticated_call_answers_in_under_a_second_during_a_sign_in_flood(server: Server) -> None:
    signed = {"Authorization": f"Bearer {server.token}"}
    # Warm: the first call of a fresh server loads what the route needs; the flood is what is measured.
    assert httpx.get(server.url + "/api/v1/users", headers=signed, timeout=30).status_code == 200
    flood = subprocess.Popen(
        [sys.executable, "-c", _FLOOD, server.url, str(FLOOD_SECONDS + 1)], stdout=subprocess.PIPE, text=True
    )
    times: list[float] = []
    try:
        time.sleep(1.0)  # the flood is on
        with httpx.Client(base_url=server.url, headers=signed) as api:
            deadline = time.monotonic() + FLOOD_SECONDS - 1
            while time.monotonic() < deadline:
                began = time.monotonic()
                answer = api.get("/api/v1/users", timeout=10)
                times.append(round(time.monotonic() - began, 3))
                assert answer.status_code == 200, answer.text
                time.sleep(0.1)
    finally:
        out, _ = flood.communicate(timeout=120)
    found = json.loads(out)
    statuses: list[int] = found["statuses"]
    assert len(times) >= 5
    assert max(times) < 1.0, f"authenticated calls during the flood took {times} s"
    # The flood was refused mostly unhashed: throttled, with the wait to respect.
    assert statuses.count(429) > statuses.count(401) > 0, {s: statuses.count(s) for s in set(statuses)}
    assert all(value.isdigit() and int(value) >= 1 for value in found["waits"])
    assert server.memory_mb() < 400, f"peak RSS {server.memory_mb():.0f} MB"
