"""In headless Chromium: three page images uploaded as one document ("gộp thành một văn bản").

The uploader picks the pages out of order, ticks the option, puts them right by dragging one row
and with one row's arrow, and sends them; the result is one archived, signed PDF of three pages
whose metadata comes from all three (the number from page 1, the signer from page 3).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from sohoa.core.domain import Role
from sohoa.signing.devca import ensure_dev_ca
from sohoa.signing.verify import verify_pdf
from tests.api.web.browser import PASSWORD, Server, expect, need_browser, running_server, shot, signed_in
from tests.api.web.scans import make_scan
from tests.support.codes import SECOND_PROCEDURE

pytestmark = pytest.mark.slow

USERS = {"lan": (Role.UPLOADER, PASSWORD), "minh": (Role.ARCHIVIST, PASSWORD)}
SCAN_TIMEOUT_MS = 90_000
PAGES = [
    [
        "UBND TỈNH ĐỒNG NAI",
        "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 21/QĐ-SVHTTDL",
        "Đồng Nai, ngày 21 tháng 03 năm 2025",
        "QUYẾT ĐỊNH",
        "Về việc cấp giấy phép tổ chức biểu diễn nghệ thuật",
        "GIÁM ĐỐC SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH",
        "Căn cứ Nghị định số 144/2020/NĐ-CP ngày 14 tháng 12 năm 2020;",
    ],
    [
        "QUYẾT ĐỊNH:",
        "Điều 1. Cấp giấy phép tổ chức biểu diễn nghệ thuật cho Nhà văn hóa tỉnh.",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
        "Điều 3. Chánh Văn phòng Sở và đơn vị có tên tại Điều 1 chịu trách nhiệm thi hành.",
    ],
    ["Nơi nhận:", "- Như Điều 3;", "- Lưu: VT.", "GIÁM ĐỐC", "Lê Thị Hồng"],
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_browser()
    with running_server(tmp_path_factory.mktemp("web-groups") / "var", USERS) as running:
        yield running


def _order(page: Any) -> list[str]:
    """The file names of the table's rows, top to bottom (without page labels and arrows)."""
    return page.locator("#file-table tbody tr td.name").evaluate_all(
        "cells => cells.map(c => [...c.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join(''))"
    )


def test_three_page_images_become_one_archived_signed_document(browser: Any, server: Server, tmp_path: Path) -> None:
    scans = [make_scan(tmp_path / f"qd-21_p{n}.png", lines) for n, lines in enumerate(PAGES, start=1)]
    uploader = signed_in(browser, server, "lan", height=900)
    uploader.goto("/upload")
    uploader.get_by_label("Mã thủ tục").fill(SECOND_PROCEDURE)
    uploader.set_input_files("#files", [str(scans[2]), str(scans[0]), str(scans[1])])  # picked out of order
    uploader.get_by_label("Gộp thành một văn bản").check()
    assert _order(uploader) == ["qd-21_p3.png", "qd-21_p1.png", "qd-21_p2.png"]
    expect(uploader.locator("#file-table .page-no")).to_have_text(["Trang 1", "Trang 2", "Trang 3"])

    # Page 1 dragged above the first row, then page 3 moved down with its arrow.
    rows = uploader.locator("#file-table tbody tr")
    rows.nth(1).drag_to(rows.nth(0), target_position={"x": 20, "y": 3})
    assert _order(uploader) == ["qd-21_p1.png", "qd-21_p3.png", "qd-21_p2.png"]
    uploader.get_by_role("button", name="Đưa qd-21_p3.png xuống một trang").click()
    assert _order(uploader) == ["qd-21_p1.png", "qd-21_p2.png", "qd-21_p3.png"]
    shot(uploader, "20-upload-join")

    with uploader.expect_response(lambda r: r.url.endswith("/api/v1/uploads")) as answered:
        uploader.get_by_role("button", name="Tải lên", exact=True).click()
    body = answered.value.json()
    [document] = body["documents"]
    assert document["parts"] == ["qd-21_p1.png", "qd-21_p2.png", "qd-21_p3.png"]
    statuses = uploader.locator("#file-table td.status .state")
    expect(statuses).to_have_text(
        ["Đã lưu trữ", "Là trang 2 của văn bản đã gộp", "Là trang 3 của văn bản đã gộp"], timeout=SCAN_TIMEOUT_MS
    )
    shot(uploader, "21-upload-joined")

    # The archivist finds one document of three pages, signed, with the metadata of all three pages.
    archivist = signed_in(browser, server, "minh", height=900)
    record = archivist.request.get(f"/api/v1/documents/{document['id']}").json()
    assert record["state"] == "archived" and record["page_count"] == 3
    meta = record["metadata"]
    assert meta["document_type"] == "Quyết định"
    assert meta["number_symbol"] == "21/QĐ-SVHTTDL"
    assert meta["issued_date"] == "2025-03-21"
    assert meta["signer_name"] == "Lê Thị Hồng"  # printed on page 3 only
    signed = archivist.request.get(f"/api/v1/documents/{document['id']}/file")
    assert signed.status == 200
    out = tmp_path / "signed.pdf"
    out.write_bytes(signed.body())
    with pdfplumber.open(io.BytesIO(signed.body())) as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
    assert len(texts) == 3
    assert "21/QĐ-SVHTTDL" in texts[0] and "Điều 2" in texts[1] and "Lê Thị Hồng" in texts[2]
    root = ensure_dev_ca(server.data_dir / "dev-ca").root_certificate
    # pyHanko runs its own event loop: not in this thread, where Playwright's runs.
    with ThreadPoolExecutor(1) as pool:
        report = pool.submit(verify_pdf, out, trust_roots=[root]).result()
    assert len(report.signatures) == 1 and report.signatures[0].intact and report.signatures[0].trusted
    archivist.context.close()
    uploader.context.close()
