from __future__ import annotations

import socket

from fastapi.testclient import TestClient

from sohoa.api.app import create_app
from sohoa.pipeline.runtime import Runtime


def test_health_is_open(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["checks"] == {"database": "ok", "object_store": "ok", "queue": "ok", "signer": "ok"}
    # The development CA's certificate: valid for years.
    assert 300 < body["certificate_days_left"] <= 3660


def test_unreachable_broker_makes_the_service_not_ready(runtime: Runtime) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    runtime.settings.broker_url = f"redis://127.0.0.1:{port}/0"
    with TestClient(create_app(runtime=runtime)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False and body["checks"]["queue"].startswith("error: broker 127.0.0.1")
    assert body["checks"]["database"] == "ok"


def test_unavailable_signer_makes_the_service_not_ready(runtime: Runtime, tmp_path) -> None:
    runtime.settings.pkcs12_path = tmp_path / "missing.p12"
    with TestClient(create_app(runtime=runtime)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["signer"].startswith("error: signer_unavailable")
