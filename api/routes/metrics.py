"""``/metrics``: operator metrics in Prometheus' text format, for a ``metrics`` user's bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST

from sohoa.api.deps import Principal, RuntimeDep, require
from sohoa.api.rights import Right
from sohoa.api.schemas import ErrorPublic
from sohoa.pipeline.actions.reports import metrics_text

__all__ = ["router"]

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}, 200: {"content": {"text/plain": {}}}},
)
def metrics(rt: RuntimeDep, _user: Annotated[Principal, Depends(require(Right.METRICS))]) -> Response:
    return Response(metrics_text(rt), media_type=CONTENT_TYPE_LATEST)
