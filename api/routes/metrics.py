"""``/metrics``: operator metrics in Prometheus' text format, for a ``metrics`` user's bearer token."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST

from sohoa.api.deps import Principal, RuntimeDep, require
from sohoa.api.rights import Right
from sohoa.api.schemas import ErrorPublic
from sohoa.pipeline.runtime import Runtime
from sohoa.registry.metrics import render_metrics

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["metrics"])


def _certificate_not_after(rt: Runtime) -> datetime | None:
    """The signing certificate's end of validity, or None when the signer cannot be opened now."""
    try:
        moment = rt.signer().certificate.not_valid_after
    except Exception:  # a scrape must answer even when the key is unavailable; the metric is just absent
        log.debug("signing certificate unavailable for /metrics", exc_info=True)
        return None
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@router.get(
    "/metrics",
    responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}, 200: {"content": {"text/plain": {}}}},
)
def metrics(rt: RuntimeDep, _user: Annotated[Principal, Depends(require(Right.METRICS))]) -> Response:
    not_after = _certificate_not_after(rt)
    with rt.db.session() as session:
        body = render_metrics(session, certificate_not_after=not_after)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
