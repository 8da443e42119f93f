"""End to end in headless Chromium (issue 25): a result archived in one dossier of an owner is reused,
with the "Dùng lại" button, in the owner's next dossier; the uploader sees the owner's number
masked, the reviewer in full."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sohoa.core.domain import Role
from tests.api.web.browser import PASSWORD, Server, expect, need_browser, running_server, signed_in
from tests.api.web.scans import decision_lines, make_scan

pytestmark = pytest.mark.slow

USERS = {"minh": (Role.ARCHIVIST, PASSWORD), "lan": (Role.UPLOADER, PASSWORD), "hoa": (Role.REVIEWER, PASSWORD)}
A_ID, A_NAME = "001085012389", "Nguyễn Văn An"
D1, D2 = "000.00.32.H19-250312-0017", "000.00.32.H19-250401-0042"
REGISTER = (
    "ma_ho_so,ma_thu_tuc,ngay_tiep_nhan,ngay_tra_ket_qua,hinh_thuc_ket_qua,loai_giay_to,so_giay_to,chu_ho_so\n"
    f"{D1},1.001029,2025-03-12,2025-03-20,paper,CCCD,{A_ID},{A_NAME}\n"
)
SCAN_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_browser()
    with running_server(tmp_path_factory.mktemp("web-dossiers") / "var", USERS, SOHOA_REVIEW_POLICY="never") as up:
        yield up


def test_a_paper_on_file_is_reused_with_the_button(browser: Any, server: Server, tmp_path: Path) -> None:
    archivist = signed_in(browser, server, "minh", height=900)
    archivist.goto("/registry")
    register = tmp_path / "so-theo-doi.csv"
    register.write_text(REGISTER, encoding="utf-8")
    archivist.set_input_files("#register-file", str(register))
    archivist.get_by_role("button", name="Nhập sổ theo dõi").click()
    assert archivist.locator("#report-inserted").inner_text() == "1"

    # The uploader sends D1's result, the licence, from the upload page.
    lines = decision_lines(11, "Về việc cấp giấy phép kinh doanh dịch vụ karaoke", signer="Lê Văn Tám")
    lines.insert(lines.index("GIÁM ĐỐC SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"), "Giấy phép có giá trị đến ngày 31/12/2099.")
    scan = make_scan(tmp_path / "giay-phep.png", lines)
    uploader = signed_in(browser, server, "lan", height=900)
    uploader.goto("/upload")
    uploader.fill("#procedure", "1.001029")
    uploader.fill("#dossier", D1)
    uploader.set_input_files("#files", [str(scan)])
    uploader.get_by_role("button", name="Tải lên", exact=True).click()
    expect(uploader.locator("#file-table td.status .state")).to_have_text(["Đã lưu trữ"], timeout=SCAN_TIMEOUT_MS)

    # A's new dossier, created by hand; the owner's number is masked for the uploader.
    uploader.goto("/dossiers")
    uploader.fill("#new-code", D2)
    uploader.select_option("#new-owner-type", "cccd")
    uploader.fill("#new-owner-id", A_ID)
    uploader.fill("#new-owner-name", A_NAME)
    uploader.get_by_role("button", name="Tạo hồ sơ").click()
    uploader.wait_for_url(f"**/dossiers/{D2}")
    expect(uploader.locator("#dossier-owner .owner-id")).to_have_text("001*******89")
    assert A_ID not in uploader.content()

    # The owner's store, reached from the dossier: the licence, reusable; "Dùng lại" puts it in D2.
    uploader.get_by_role("link", name="Kho dữ liệu của chủ hồ sơ").click()
    row = uploader.locator("#owner-documents tbody tr", has_text="11/QĐ-SVHTTDL")
    expect(row).to_have_count(1)
    assert "31/12/2099" in row.inner_text() and A_ID not in uploader.content()
    row.locator("input[name=component]").fill("Giấy phép kinh doanh karaoke")
    row.get_by_role("button", name="Dùng lại").click()
    uploader.wait_for_url(f"**/dossiers/{D2}?reused=*")
    expect(uploader.locator("#dossier-reused")).to_be_visible()
    reused = uploader.locator("#dossier-documents tbody tr", has_text="Dùng lại từ kho")
    expect(reused).to_have_count(1)
    assert "Giấy phép kinh doanh karaoke" in reused.inner_text()

    # The reviewer, who holds the owner_data right, sees the number in full.
    reviewer = signed_in(browser, server, "hoa", height=900)
    reviewer.goto(f"/dossiers/{D2}")
    expect(reviewer.locator("#dossier-owner .owner-id")).to_have_text(A_ID)
