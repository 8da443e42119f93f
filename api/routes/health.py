"""Open probes: liveness, and readiness of everything a document needs on its way to the archive.

``/readyz`` is open to load balancers, so its anonymous answer says only which check failed; the
reasons (a key file's path and why it cannot be opened, a broker's address) are for callers with
a token or a session, of any role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sohoa.api.deps import RuntimeDep, identify_request
from sohoa.api.schemas import ReadinessPublic
from sohoa.core.errors import AuthenticationFailed, SohoaError
from sohoa.pipeline.celery_queue import probe_queue
from sohoa.pipeline.diskspace import check_free_space, free_mb
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import signer_readiness

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _disk(rt: Runtime) -> str:
    """Below the free-space floor uploads are refused, so the service is not ready for them."""
    try:
        check_free_space(rt.settings)
    except SohoaError as exc:
        return f"error: {exc.message}"
    return "ok"


def _probe(probe: Any) -> str:
    try:
        probe()
    except Exception as exc:  # report, do not raise: readiness is an answer, not an error
        return f"error: {exc}"
    return "ok"


@router.get(
    "/readyz",
    summary="Readiness: catalogue, object store, queue, signing certificate and free disk space",
    response_model=ReadinessPublic,
    responses={503: {"model": ReadinessPublic, "description": "something a document needs is not available"}},
)
def readyz(request: Request, rt: RuntimeDep) -> JSONResponse:
    checks = {
        "database": _probe(rt.db.check),
        "object_store": _probe(rt.store.check),
        "queue": probe_queue(rt),
    }
    # A real test signature with the configured key, level and TSA, cached for a few minutes.
    signer = signer_readiness(rt)
    fatal = [w for w in signer["warnings"] if w["fatal"]]
    checks["signer"] = "ok" if not fatal else "error: " + "; ".join(f"{w['code']}: {w['message']}" for w in fatal)
    checks["disk"] = _disk(rt)
    ready = all(v == "ok" for v in checks.values())
    # Reported beside the checks, not as one: a number for dashboards, not a verdict.
    free = free_mb(rt.settings)
    checks["disk_free_mb"] = str(free)
    if not _signed_in(request, rt):
        checks = _without_reasons(checks, free)
    body = ReadinessPublic(ready=ready, checks=checks, certificate_days_left=signer["days_left"])
    return JSONResponse(status_code=200 if ready else 503, content=body.model_dump(mode="json"))


def _signed_in(request: Request, rt: Runtime) -> bool:
    try:
        identify_request(request, rt)
    except AuthenticationFailed:
        return False
    return True


def _without_reasons(checks: dict[str, str], free: int) -> dict[str, str]:
    """What an anonymous caller learns: which checks fail, and free space (no paths, no addresses)."""
    public = {name: "ok" if value == "ok" else "error" for name, value in checks.items()}
    if checks["disk"] != "ok":
        public["disk"] = f"error: only {free} MB free"
    public["disk_free_mb"] = checks["disk_free_mb"]
    return public
