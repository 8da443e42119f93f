"""``/metrics``: operator metrics in Prometheus' text format, for a ``metrics`` user's bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from sohoa.api.deps import MetricsReader, RuntimeDep
from sohoa.api.schemas import errors
from sohoa.pipeline.actions.reports import metrics_text

__all__ = ["router"]

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    responses={**errors(401, 403), 200: {"content": {"text/plain": {}}}},
)
def metrics(rt: RuntimeDep, _user: MetricsReader) -> Response:
    return Response(metrics_text(rt), media_type=CONTENT_TYPE_LATEST)
