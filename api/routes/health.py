"""Open probes: liveness, and readiness of everything a document needs on its way to the archive."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sohoa.api.deps import RuntimeDep
from sohoa.api.schemas import ReadinessPublic
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import signer_readiness

__all__ = ["router"]

router = APIRouter(tags=["health"])

_BROKER_PORTS = {"redis": 6379, "rediss": 6380, "amqp": 5672, "amqps": 5671, "pyamqp": 5672}


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _probe_queue(rt: Runtime) -> str:
    url = rt.settings.broker_url
    if not url:
        return "ok"  # in-process queue: it lives and dies with this process
    parts = urlsplit(url)
    port = parts.port or _BROKER_PORTS.get(parts.scheme.split("+")[0])
    if not parts.hostname or port is None:
        return f"error: cannot tell the broker's address from a {parts.scheme or 'schemeless'} URL"
    try:
        with socket.create_connection((parts.hostname, port), timeout=2.0):
            return "ok"
    except OSError as exc:
        return f"error: broker {parts.hostname}:{port} unreachable ({exc.strerror or exc})"


def _probe(probe: Any) -> str:
    try:
        probe()
    except Exception as exc:  # report, do not raise: readiness is an answer, not an error
        return f"error: {exc}"
    return "ok"


@router.get(
    "/readyz",
    summary="Readiness: catalogue, object store, queue and signing certificate",
    response_model=ReadinessPublic,
    responses={503: {"model": ReadinessPublic, "description": "something a document needs is not available"}},
)
def readyz(rt: RuntimeDep) -> JSONResponse:
    checks = {
        "database": _probe(rt.db.check),
        "object_store": _probe(rt.store.check),
        "queue": _probe_queue(rt),
    }
    # A real test signature with the configured key, level and TSA, cached for a few minutes.
    signer = signer_readiness(rt)
    fatal = [w for w in signer["warnings"] if w["fatal"]]
    checks["signer"] = "ok" if not fatal else "error: " + "; ".join(f"{w['code']}: {w['message']}" for w in fatal)
    ready = all(v == "ok" for v in checks.values())
    body = ReadinessPublic(ready=ready, checks=checks, certificate_days_left=signer["days_left"])
    return JSONResponse(status_code=200 if ready else 503, content=body.model_dump(mode="json"))
