"""Open probes: liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: catalogue and object store reachable")
def readyz(rt: RuntimeDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    ok = True
    for name, probe in (("database", rt.db.check), ("object_store", rt.store.check)):
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # report, do not raise: readiness is an answer, not an error
            checks[name] = f"error: {exc}"
            ok = False
    return JSONResponse(status_code=200 if ok else 503, content={"ready": ok, "checks": checks})
