"""Property-based robustness: schemathesis (4.32.5) sends what the OpenAPI spec allows (positive) and
what it does not (negative) to every operation, with an administrator's token. No answer may be a
server error, carry a status the spec does not list, or break the schema the spec gives for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sohoa.api.app import create_app
from sohoa.core.domain import Role
from sohoa.core.settings import Settings
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.accounts import create_token, create_user
from tests.api.conftest import auth

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 10  # per operation and mode: the whole file stays around a minute on two cores


def _settings(data_dir: Path) -> Settings:
    # Explicit values, not the environment: a developer's SOHOA_* must not point this at real services.
    return Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'sohoa.db'}",
        s3_endpoint=None,
        broker_url=None,
        pkcs12_path=None,
        review_policy="never",
        ocr_engine="fake",
        ocr_processes=1,
    )


def _cases() -> list[tuple[str, GenerationMode]]:
    """Every operation in both modes; negative only where there is input to get wrong."""
    # The spec needs no runtime: the app opens one only when it starts.
    spec = create_app(_settings(Path("/nonexistent"))).openapi()
    methods = {"get", "post", "put", "patch", "delete"}
    out = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in methods:
                continue
            label = f"{method.upper()} {path}"
            out.append((label, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                out.append((label, GenerationMode.NEGATIVE))
    return sorted(out)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    # No queue: uploads stay ``received``, so no pipeline work runs behind the requests.
    rt = open_runtime(_settings(tmp_path_factory.mktemp("schemathesis") / "var"), with_queue=False)
    try:
        with rt.db.session() as session:
            token = create_token(session, create_user(session, "quản trị", Role.ADMIN, actor="test"), actor="test")
        yield create_app(runtime=rt), token
    finally:
        rt.close()


@pytest.fixture(scope="module")
def schema(api: tuple[FastAPI, str]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", api[0])


@pytest.mark.slow
@pytest.mark.parametrize(("label", "mode"), _cases(), ids=lambda v: str(v))
def test_operation_survives_generated_requests(
    label: str, mode: GenerationMode, api: tuple[FastAPI, str], schema: Any
) -> None:
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = auth(api[1])

    @hypothesis.given(case=operation.as_strategy(mode))
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
