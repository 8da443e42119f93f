from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from sohoa.api.app import create_app
from sohoa.api.routes import metrics
from sohoa.core.domain import DocumentState
from sohoa.pipeline.runtime import Runtime
from tests.api.conftest import auth
from tests.registry.builders import add_document


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """The app with /metrics, whether or not create_app includes it yet."""
    app = create_app(runtime=runtime)
    if "/metrics" not in {getattr(route, "path", None) for route in app.routes}:
        app.include_router(metrics.router)
    with TestClient(app) as test_client:
        yield test_client


def test_metrics_need_a_metrics_token(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.get("/metrics").status_code == 401
    denied = client.get("/metrics", headers=auth(tokens["archivist"]))
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"


def test_metrics_parse_as_prometheus_text(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    with runtime.db.session() as session:
        add_document(session, dossier=None, state=DocumentState.RECEIVED)
        add_document(session, dossier=None, state=DocumentState.FAILED, reason_code="storage_error")
    answer = client.get("/metrics", headers=auth(tokens["metrics"]))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert {
        "sohoa_documents",
        "sohoa_queue_depth",
        "sohoa_stage_duration_seconds",
        "sohoa_ocr_pages",
        "sohoa_signatures",
        "sohoa_failures",
        "sohoa_coverage_dossiers",
    } <= set(families)
    by_state = {s.labels["state"]: s.value for s in families["sohoa_documents"].samples}
    assert by_state["received"] == 1 and by_state["failed"] == 1
    failing = {s.labels["reason"]: s.value for s in families["sohoa_documents_failing"].samples}
    assert failing == {"storage_error": 1}
    # The embedded signer is the development CA: its certificate has days left.
    days = families["sohoa_signing_certificate_days_left"].samples[0].value
    assert 0 < days <= 3660
