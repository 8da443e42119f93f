"""In headless Chromium: the quarterly report downloaded in one click from the dashboard, an uploader's
batch found again after the upload tab was closed, and the administrator's users and audit log pages.
Screenshots go to ``test-artifacts/web/``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sohoa.core.domain import Role
from tests.api.web.browser import PASSWORD, Server, expect, need_browser, running_server, shot, signed_in
from tests.api.web.scans import decision_lines, make_scan
from tests.support.codes import SECOND_PROCEDURE, short_code

pytestmark = pytest.mark.slow

USERS = {
    "minh": (Role.ARCHIVIST, PASSWORD),
    "lan": (Role.UPLOADER, PASSWORD),
    "quan": (Role.ADMIN, PASSWORD),
}
AGENCY, PARENT = "Sở Văn hóa, Thể thao và Du lịch", "Ủy ban nhân dân tỉnh Đồng Nai"
PROCEDURE = short_code(SECOND_PROCEDURE)


def _previous_quarter(today: date) -> tuple[str, date]:
    """The label of the quarter before ``today``'s and a day in its middle month."""
    quarter = (today.month - 1) // 3 + 1
    year, previous = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    return f"{year}-Q{previous}", date(year, 3 * previous - 1, 10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_browser()
    env = {"SOHOA_AGENCY_NAME": AGENCY, "SOHOA_AGENCY_PARENT": PARENT}
    with running_server(tmp_path_factory.mktemp("web-office") / "var", USERS, **env) as running:
        yield running


def test_the_quarterly_report_is_one_click_from_the_dashboard(browser: Any, server: Server, tmp_path: Path) -> None:
    label, day = _previous_quarter(date.today())
    register = tmp_path / "so-theo-doi.csv"
    register.write_text(
        "dossier_code,procedure_code,procedure_name,field,received_date,resolved_date,result_type\n"
        f"000.00.32.H19-{day:%y%m%d}-0001,{PROCEDURE},Cấp giấy phép karaoke,Văn hóa,{day},{day},paper\n",
        encoding="utf-8",
    )
    archivist = signed_in(browser, server, "minh", accept_downloads=True)
    archivist.goto("/registry")
    archivist.set_input_files("#register-file", str(register))
    archivist.get_by_role("button", name="Nhập sổ theo dõi").click()
    assert archivist.locator("#report-inserted").inner_text() == "1"
    archivist.goto("/dashboard")
    shot(archivist, "20-dashboard-reports-due")
    with archivist.expect_download() as download:
        archivist.locator(f'a[data-period="{label}"]').click()
    path = tmp_path / "bao-cao.xlsx"
    download.value.save_as(path)
    book = load_workbook(path)
    assert book.sheetnames[:5] == ["Tổng hợp", "Theo tháng", "Theo thủ tục", "Theo lĩnh vực", "Hồ sơ còn thiếu"]
    summary = [c.value for row in book["Tổng hợp"].iter_rows() for c in row if c.value is not None]
    quarter = ("I", "II", "III", "IV")[int(label[-1]) - 1]
    for line in (PARENT.upper(), AGENCY.upper(), "BÁO CÁO", f"Quý {quarter} năm {label[:4]}", "Người lập"):
        assert line in summary, line
    assert "Thủ trưởng đơn vị" in summary
    months = [row[1].value for row in book["Theo tháng"].iter_rows(min_row=6) if row[1].value]
    assert len(months) == 3 and months[1] == f"Tháng {day.month}/{day.year}"
    assert book["Hồ sơ còn thiếu"].cell(row=6, column=2).value == f"000.00.32.H19-{day:%y%m%d}-0001"


def test_an_uploader_finds_the_batch_after_closing_the_tab(browser: Any, server: Server, tmp_path: Path) -> None:
    uploader = signed_in(browser, server, "lan")
    uploader.fill("#procedure", PROCEDURE)  # no catalogue loaded here: the code is typed
    scan = make_scan(tmp_path / "qd-21.png", decision_lines(21, "Về việc cấp giấy phép karaoke", signer="Lê Văn Tám"))
    uploader.set_input_files("#files", [str(scan)])
    with uploader.expect_response(lambda r: r.url.endswith("/api/v1/uploads")):
        uploader.get_by_role("button", name="Tải lên", exact=True).click()
    uploader.context.close()  # the tab is closed before the document is done

    again = signed_in(browser, server, "lan")
    again.get_by_role("link", name="Lô đã tải lên").click()
    rows = again.locator("#batch-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("[data-progress]")).to_have_text("1/1 văn bản đã xử lý xong", timeout=90_000)
    rows.first.get_by_role("link").click()
    expect(again.locator("#batch-documents tbody tr")).to_have_count(1)
    assert "qd-21.png" in again.locator("#batch-documents").inner_text()
    shot(again, "21-batch")


def test_the_administrator_adds_a_user_and_reads_the_log(browser: Any, server: Server) -> None:
    admin = signed_in(browser, server, "quan")
    admin.get_by_role("link", name="Người dùng").click()
    admin.locator("#new-name").fill("thu")
    admin.locator("#new-role").select_option("reviewer")
    admin.locator("#new-password").fill(PASSWORD)
    admin.get_by_role("button", name="Thêm", exact=True).click()
    assert "Đã thêm người dùng thu." in admin.locator("#users-done").inner_text()
    shot(admin, "22-users")
    admin.get_by_role("link", name="Nhật ký").click()
    admin.locator("#f-actor").fill("quan")
    admin.locator("#f-action").fill("user.*")
    admin.get_by_role("button", name="Lọc").click()
    assert admin.locator("#audit-count").inner_text() == "1 sự kiện."
    assert '"user": "thu"' in admin.locator("#audit-table").inner_text()
    shot(admin, "23-audit")
