from __future__ import annotations

import shutil
import socket

from fastapi.testclient import TestClient

from sohoa.api.app import create_app
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.accounts import create_token, create_user


def _token(runtime: Runtime) -> dict[str, str]:
    """A bearer token of the least-privileged role: any signed-in caller reads the reasons."""
    with runtime.db.session() as session:
        user = create_user(session, "prometheus", "metrics", actor="test")
        return {"Authorization": f"Bearer {create_token(session, user, actor='test')}"}


def test_health_is_open(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    free = body["checks"].pop("disk_free_mb")
    assert int(free) > 0
    assert body["checks"] == {"database": "ok", "object_store": "ok", "queue": "ok", "signer": "ok", "disk": "ok"}
    # The development CA's certificate: valid for years.
    assert 300 < body["certificate_days_left"] <= 3660


def test_unreachable_broker_makes_the_service_not_ready(runtime: Runtime) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    runtime.settings.broker_url = f"redis://127.0.0.1:{port}/0"
    with TestClient(create_app(runtime=runtime)) as client:
        ready = client.get("/readyz", headers=_token(runtime))
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False and body["checks"]["queue"].startswith("error: broker 127.0.0.1")
    assert body["checks"]["database"] == "ok"


def test_unavailable_signer_makes_the_service_not_ready(runtime: Runtime, tmp_path) -> None:
    runtime.settings.pkcs12_path = tmp_path / "missing.p12"
    with TestClient(create_app(runtime=runtime)) as client:
        ready = client.get("/readyz", headers=_token(runtime))
    assert ready.status_code == 503 and ready.json()["checks"]["signer"].startswith("error: signer_unavailable")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_signer_that_cannot_make_a_signature_is_not_ready(runtime: Runtime) -> None:
    """The certificate is fine, but the TSA that B-T needs does not answer: no document could be signed."""
    runtime.settings.signing_level = "B-T"
    runtime.settings.tsa_url = f"http://127.0.0.1:{_closed_port()}/tsa"
    with TestClient(create_app(runtime=runtime)) as client:
        ready = client.get("/readyz", headers=_token(runtime))
    assert ready.status_code == 503
    assert ready.json()["checks"]["signer"].startswith("error: test_signature_failed"), ready.json()


def test_a_missing_runtime_library_makes_the_signer_not_ready(runtime: Runtime, monkeypatch) -> None:
    """pyHanko imports requests only when it timestamps; an install without it must show at readiness."""
    import sys

    for name in [m for m in sys.modules if m == "requests" or m.startswith("requests.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in [m for m in sys.modules if m.startswith("pyhanko.sign.timestamps") or m == "sohoa.signing.pades"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "requests", None)  # what `import requests` meets when it is not installed
    runtime.settings.signing_level = "B-T"
    runtime.settings.tsa_url = f"http://127.0.0.1:{_closed_port()}/tsa"
    with TestClient(create_app(runtime=runtime)) as client:
        ready = client.get("/readyz", headers=_token(runtime))
    assert ready.status_code == 503
    assert "requests" in ready.json()["checks"]["signer"], ready.json()


def test_free_space_below_the_floor_makes_the_service_not_ready(runtime: Runtime) -> None:
    """With 3 MB left the service must say so before accepted documents fail with ENOSPC."""
    free = shutil.disk_usage(runtime.settings.data_dir).free // 2**20
    runtime.settings.min_free_mb = free + 10_000
    with TestClient(create_app(runtime=runtime)) as client:
        ready = client.get("/readyz", headers=_token(runtime))
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["disk"].startswith("error: only ") and "SOHOA_MIN_FREE_MB" in checks["disk"]
    assert abs(int(checks["disk_free_mb"]) - free) < 1000
    assert checks["database"] == "ok"
    with TestClient(create_app(runtime=runtime)) as client:
        anonymous = client.get("/readyz").json()["checks"]
    assert anonymous["disk"] == f"error: only {checks['disk_free_mb']} MB free"
    assert str(runtime.settings.data_dir) not in str(anonymous)
