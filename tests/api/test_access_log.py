from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from sohoa.api.access_log import OwnerNumberFilter, mask_owner_numbers


def test_owner_numbers_are_masked_in_paths_and_queries() -> None:
    assert (
        mask_owner_numbers("/api/v1/owners/cccd/001085012389/documents") == "/api/v1/owners/cccd/001*******89/documents"
    )
    assert mask_owner_numbers("/api/v1/owners?number=0312345678&name=An") == "/api/v1/owners?number=031*****78&name=An"
    assert (
        mask_owner_numbers("/api/v1/documents?procedure_code=1.001234") == "/api/v1/documents?procedure_code=1.001234"
    )


def test_the_access_log_line_carries_the_masked_number(client: TestClient) -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/owners/cccd/001085012389/documents", "1.1", 200), None,
    )  # fmt: skip
    access = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, OwnerNumberFilter) for f in access.filters)  # installed by the app
    assert access.filter(record)
    assert "001085012389" not in record.getMessage() and "001*******89" in record.getMessage()
