"""Fixtures of the pipeline tests: a scan, a runtime whose documents stay where intake leaves them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.core.settings import Settings
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from tests.support.pdfs import make_text_image

LINES = [
    "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH",
    "Số: 15/QĐ-SVHTTDL",
    "Đồng Nai, ngày 15 tháng 01 năm 2025",
    "QUYẾT ĐỊNH",
    "Về việc cấp giấy phép kinh doanh dịch vụ karaoke",
]


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    return make_text_image(tmp_path / "quyet-dinh.png", LINES)


@pytest.fixture
def quiet_runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime with no workers: documents stay where intake leaves them."""
    rt = open_runtime(settings, with_queue=False)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def kept_umask() -> Iterator[None]:
    """A served app sets the process's umask (private files); the rest of the suite keeps its own."""
    old = os.umask(0o022)
    os.umask(old)
    try:
        yield
    finally:
        os.umask(old)
