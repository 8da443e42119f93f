"""End to end in headless Chromium: a records office's day, through the web interface only.

An archivist loads the procedure catalogue and the register; an uploader sends three scans
for a procedure and watches them through; a reviewer corrects the one whose signer was not
read; the archivist finds the results by procedure code and by an accent-free word, opens one
and sees its valid signature, and sees the dashboard's coverage move. Screenshots of every page
go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from sohoa.core.domain import Role
from tests.api.web.browser import PASSWORD, Server, expect, need_browser, running_server, shot, signed_in
from tests.api.web.scans import decision_lines, make_scan
from tests.support.codes import SECOND_PROCEDURE, short_code

pytestmark = pytest.mark.slow

USERS = {
    "minh": (Role.ARCHIVIST, PASSWORD),
    "lan": (Role.UPLOADER, PASSWORD),
    "hoa": (Role.REVIEWER, PASSWORD),
}
PROCEDURE = short_code(SECOND_PROCEDURE)
DOSSIERS = ("000.00.32.H19-250305-0011", "000.00.32.H19-250306-0012", "000.00.32.H19-250307-0013")
OTHER_DOSSIER = "000.00.32.H19-250310-0021"
CATALOGUE = (
    "code,name,field,agency\n"
    f'{PROCEDURE},Cấp giấy phép kinh doanh dịch vụ karaoke,Văn hóa,"Sở Văn hóa, Thể thao và Du lịch"\n'
    '1.003645,Cấp giấy phép tổ chức lễ hội,Văn hóa,"Sở Văn hóa, Thể thao và Du lịch"\n'
    '2.000123,Công nhận câu lạc bộ thể thao cơ sở,Thể dục thể thao,"Sở Văn hóa, Thể thao và Du lịch"\n'
)
REGISTER = (
    "dossier_code,procedure_code,procedure_name,field,received_date,resolved_date,result_type\n"
    + "".join(f"{code},{PROCEDURE},,,2025-03-0{i + 1},2025-03-1{i + 1},paper\n" for i, code in enumerate(DOSSIERS))
    + f"{OTHER_DOSSIER},1.003645,,,2025-03-03,2025-03-20,paper\n"
    + "000.00.32.H19-250311-0031,2.000123,,,2025-03-04,2025-03-21,electronic\n"
)
SCAN_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_browser()
    with running_server(tmp_path_factory.mktemp("web-e2e") / "var", USERS) as running:
        yield running


def _file(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _status_of(page: Any, filename: str) -> str:
    return str(page.locator("#file-table tbody tr", has_text=filename).locator("td.status .state").inner_text())


def test_sign_in_page_is_vietnamese_and_refuses_a_wrong_password(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=server.url)
    page = context.new_page()
    page.goto("/upload")
    assert re.search(r"/login\?next=/upload$", page.url)
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", name="Đăng nhập").is_visible()
    shot(page, "01-login")
    page.get_by_label("Tên đăng nhập").fill("lan")
    page.get_by_label("Mật khẩu").fill("not the password at all")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text().startswith("Tên đăng nhập hoặc mật khẩu không đúng")
    context.close()


def test_the_upload_page_takes_dropped_files_and_says_what_is_missing(browser: Any, server: Server) -> None:
    page = signed_in(browser, server, "lan")
    page.get_by_role("button", name="Tải lên", exact=True).click()
    assert page.locator("#form-error").inner_text() == "Hãy chọn hoặc kéo thả ít nhất một tệp."
    page.locator("#drop-zone").evaluate(
        """zone => {
            const files = new DataTransfer();
            files.items.add(new File(["%PDF-1.7"], "mot.pdf", {type: "application/pdf"}));
            files.items.add(new File(["%PDF-1.7"], "hai.pdf", {type: "application/pdf"}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: files, bubbles: true, cancelable: true}));
        }"""
    )
    expect(page.locator("#file-table td.status .state")).to_have_text(["Chờ gửi", "Chờ gửi"])
    assert page.locator("#file-table td.name").all_inner_texts() == ["mot.pdf", "hai.pdf"]
    page.get_by_label("Lô có phiếu bìa").check()
    assert page.locator("#procedure-fields").is_hidden() and page.locator("#cover-help").is_visible()
    page.get_by_label("Theo thủ tục và mã hồ sơ").check()
    page.get_by_role("button", name="Tải lên", exact=True).click()
    assert page.locator("#form-error").inner_text() == "Hãy chọn thủ tục (hoặc chọn lô có phiếu bìa)."
    page.get_by_role("button", name="Bỏ các tệp chưa gửi").click()
    expect(page.locator("#file-table tbody tr")).to_have_count(0)
    page.context.close()


def test_a_records_office_day(browser: Any, server: Server, tmp_path: Path) -> None:
    # The archivist loads the reference data, and sees every paper result still missing.
    archivist = signed_in(browser, server, "minh")
    archivist.goto("/registry")
    archivist.set_input_files("#procedures-file", str(_file(tmp_path, "danh-muc.csv", CATALOGUE)))
    archivist.get_by_role("button", name="Nhập danh mục").click()
    assert archivist.locator("#report-inserted").inner_text() == "3"
    archivist.set_input_files("#register-file", str(_file(tmp_path, "so-theo-doi.csv", REGISTER)))
    archivist.get_by_role("button", name="Nhập sổ theo dõi").click()
    assert archivist.locator("#report-inserted").inner_text() == "5"
    shot(archivist, "02-registry")
    archivist.goto("/dashboard?period=2025-03")
    assert archivist.locator("#count-paper").inner_text() == "4"
    assert archivist.locator("#count-archived").inner_text() == "0"
    assert archivist.locator("#count-missing").inner_text() == "4"
    shot(archivist, "03-dashboard-before")

    # The uploader finds the procedure without accents and sends three scans.
    scans = [
        make_scan(
            tmp_path / "qd-11.png",
            decision_lines(11, "Về việc cấp giấy phép kinh doanh karaoke", signer="Nguyễn Văn An", dossier=DOSSIERS[0]),
        ),
        make_scan(
            tmp_path / "qd-12.png",
            decision_lines(
                12, "Về việc cấp giấy phép karaoke tại phường Tân Phong", signer="Nguyễn Văn An", dossier=DOSSIERS[1]
            ),
        ),
        make_scan(
            tmp_path / "qd-13.png",
            decision_lines(13, "Về việc cấp giấy phép kinh doanh dịch vụ karaoke", signer=None, dossier=DOSSIERS[2]),
        ),
    ]
    uploader = signed_in(browser, server, "lan")
    assert uploader.url.endswith("/upload")
    uploader.get_by_label("Tìm thủ tục").fill("kinh doanh karaoke")
    options = uploader.locator("#procedure option")
    expect(options).to_have_count(1)
    assert options.first.inner_text().startswith(PROCEDURE)
    uploader.select_option("#procedure", PROCEDURE)
    broken = tmp_path / "hong.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    uploader.set_input_files("#files", [*(str(p) for p in scans), str(broken)])
    assert uploader.locator("#file-table tbody tr").count() == 4
    requests: list[str] = []
    uploader.on("request", lambda request: requests.append(request.url))
    uploader.get_by_role("button", name="Tải lên", exact=True).click()
    # Rows keep the order the files were given in; each ends archived, waiting for a person, or refused.
    expect(uploader.locator("#file-table td.status .state")).to_have_text(
        ["Đã lưu trữ", "Đã lưu trữ", "Chờ xem xét", "Bị từ chối"], timeout=SCAN_TIMEOUT_MS
    )
    refusal = uploader.locator("#file-table tbody tr", has_text="hong.pdf").locator(".reason").inner_text()
    assert refusal in ("Tệp PDF bị hỏng, không đọc được.", "Tệp bị cắt cụt, chưa được sao chép hết.")
    assert any(re.search(r"/api/v1/batches/[^/]+/events$", url) for url in requests)  # followed live
    assert _status_of(uploader, "qd-11.png") == "Đã lưu trữ"
    assert _status_of(uploader, "qd-12.png") == "Đã lưu trữ"
    assert _status_of(uploader, "qd-13.png") == "Chờ xem xét"
    sent = uploader.locator("#file-table td.sent progress").evaluate_all("bars => bars.map(b => b.value)")
    assert sent == [100, 100, 100, 100]
    shot(uploader, "04-upload")

    # The reviewer sees the signer marked uncertain, corrects it and approves with the keyboard.
    reviewer = signed_in(browser, server, "hoa")
    assert reviewer.url.endswith("/review")
    shot(reviewer, "05-review-queue")
    with reviewer.expect_response(lambda r: r.url.endswith("/pages/1.png")) as image:
        reviewer.get_by_role("link", name="Bắt đầu xem xét").click()
    assert image.value.status == 200 and image.value.headers["content-type"] == "image/png"
    uncertain = reviewer.locator(".field.uncertain")
    assert "Người ký" in uncertain.all_inner_texts()[0]
    expect(reviewer.locator("#page-image")).to_have_js_property("complete", True)
    assert reviewer.locator("#page-image").evaluate("img => img.naturalWidth") > 500
    shot(reviewer, "06-review", full_page=False)  # as seen at 1366x768, the actions in view
    # By its id: "Người ký" is also part of "Chức vụ người ký", which comes first on the page (filling that
    # one left the name empty, which approval now asks about).
    reviewer.locator("#f-signer_name").fill("Trần Thị Bình")
    reviewer.keyboard.press("Control+Enter")
    reviewer.wait_for_url(re.compile(r"/review$"))
    assert reviewer.get_by_text("Không còn văn bản nào chờ xem xét.").is_visible()

    # The archivist finds all three by procedure code, once the approved one is signed too.
    archivist.goto(f"/search?procedure_code={PROCEDURE}&signed=yes")
    for _ in range(60):
        if archivist.locator("#result-count").inner_text() == "Tìm thấy 3 văn bản.":
            break
        archivist.wait_for_timeout(500)
        archivist.reload()
    assert archivist.locator("#result-count").inner_text() == "Tìm thấy 3 văn bản."
    assert archivist.locator(".hit .badge.signed").count() == 3
    shot(archivist, "07-search-procedure")

    # ... and by a word typed without its accents.
    archivist.goto("/search")
    archivist.get_by_label("Nội dung").fill("tan phong")
    archivist.get_by_role("button", name="Tìm", exact=True).click()
    archivist.locator("#result-count").wait_for()
    assert archivist.locator("#result-count").inner_text() == "Tìm thấy 1 văn bản."
    assert archivist.locator(".hit mark").all_inner_texts()[:2] == ["Tân", "Phong"]
    assert parse_qs(urlsplit(archivist.url).query)["text"] == ["tan phong"]  # the search is a link to share
    shot(archivist, "08-search-text")

    # The document page: the signed PDF in the viewer, a valid signature, the history.
    with archivist.expect_response(lambda r: r.url.endswith("/view.pdf")) as viewed:
        archivist.locator(".hit h2 a").first.click()
    assert viewed.value.status == 200 and viewed.value.headers["content-type"] == "application/pdf"
    assert archivist.locator("#verification-verdict").inner_text(timeout=30_000) == "Chữ ký số hợp lệ"
    assert archivist.get_by_role("link", name="Bản ký số (PDF)").is_visible()
    assert archivist.locator("table.grid tbody tr").count() >= 5
    shot(archivist, "09-document")

    # The dashboard has moved: three of four paper results archived, one still missing.
    archivist.goto("/dashboard?period=2025-03")
    assert archivist.locator("#count-archived").inner_text() == "3"
    assert archivist.locator("#count-missing").inner_text() == "1"
    assert archivist.locator("#missing-table tbody tr").count() == 1
    assert OTHER_DOSSIER in archivist.locator("#missing-table").inner_text()
    drawn = archivist.evaluate(
        "['chart-procedure', 'chart-field', 'chart-month'].map(id => !!Chart.getChart(document.getElementById(id)))"
    )
    assert drawn == [True, True, True]
    shot(archivist, "10-dashboard-after")

    # The same page in English, by the language switch.
    archivist.get_by_role("link", name="English").click()
    assert archivist.locator("html").get_attribute("lang") == "en"
    assert archivist.get_by_role("heading", name="Digitization progress").is_visible()
    shot(archivist, "11-dashboard-en")
