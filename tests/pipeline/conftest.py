from __future__ import annotations

from pathlib import Path

import pytest

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
