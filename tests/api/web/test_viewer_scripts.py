"""The document page's viewer in headless Chromium never runs a script of an archived PDF.

A PDF signed by another agency with an ``/OpenAction`` script, page triggers and an attached program
is reviewed, approved and archived; an archivist opens its document page. Chromium's PDF viewer runs a
PDF's JavaScript (the control below shows it does, for the file as received, and the CSP ``sandbox``
the viewer's PDF is served with does not stop it), so what must hold is that the signed copy the viewer
shows carries none: the agency signed a clean rendition, with the file as received attached.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from sohoa.core.domain import DocumentState, Role
from sohoa.core.settings import Settings
from sohoa.pipeline.review import approve_document
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.catalogue import get_document
from tests.api.web.browser import CHROMIUM, CHROMIUM_ARGS, Server, need_browser, running_server
from tests.support.active_pdfs import SCRIPT, signed_by_another_agency
from tests.support.flows import ingest_one

pytestmark = pytest.mark.slow

PASSWORD = "mật khẩu đủ dài 2025"
ALERT = SCRIPT.split("'")[1]  # what the script's app.alert says
SETTLE_SECONDS = 3.0  # the viewer runs an /OpenAction script as soon as the document is laid out


def _archive_hostile(data_dir: Path, folder: Path) -> tuple[str, Path]:
    received = signed_by_another_agency(folder, "open_action", "page_aa", "executable")
    rt = open_runtime(Settings(data_dir=data_dir, review_policy="never", ocr_engine="fake", ocr_processes=1))
    try:
        doc_id = ingest_one(rt, received)
        approve_document(rt, doc_id, actor="reviewer")
        rt.queue.join()  # type: ignore[union-attr]
        with rt.db.session() as session:
            assert get_document(session, doc_id).state == DocumentState.ARCHIVED
    finally:
        rt.close()
    return doc_id, received


@pytest.fixture
def archived(tmp_path: Path) -> Iterator[tuple[Server, str, Path]]:
    need_browser()
    doc_id, received = _archive_hostile(tmp_path / "var", tmp_path / "in")
    with running_server(tmp_path / "var", {"minh": (Role.ARCHIVIST, PASSWORD)}) as server:
        yield server, doc_id, received


def _alerts_while_open(browser: Any, server: Server, url: str, *, control: bytes | None = None) -> list[str]:
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(base_url=server.url, locale="vi-VN")
    alerts: list[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
        if control is not None:  # the same page, its viewer given the file as received instead
            page.route("**/view.pdf", lambda route: route.fulfill(body=control, content_type="application/pdf"))
        page.goto("/login")
        page.get_by_label("Tên đăng nhập").fill("minh")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_load_state()
        with page.expect_response(lambda r: r.url.endswith("/view.pdf")) as viewed:
            page.goto(url)
        answer = viewed.value
        assert answer.status == 200
        if control is None:
            assert answer.all_headers().get("content-security-policy") == "sandbox", answer.all_headers()
        time.sleep(SETTLE_SECONDS)
        frames = [f.url for f in page.frames]
        assert any(u.endswith("/view.pdf") for u in frames), frames  # the viewer did open the PDF
    finally:
        with suppress(PlaywrightError):  # a viewer already gone changes nothing of what was seen
            context.close()
    return alerts


def test_the_viewer_shows_the_archived_copy_without_running_any_script(archived: tuple[Server, str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    server, doc_id, received = archived
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            assert _alerts_while_open(browser, server, f"/documents/{doc_id}") == []
            # The control: the file as received, in the same viewer, runs its script. It carries two
            # triggers (the open action and the page's own) saying the same, and whether the viewer has
            # fired the page's by the time it settles varies: once or twice, never anything else.
            control = _alerts_while_open(browser, server, f"/documents/{doc_id}", control=received.read_bytes())
            assert control and set(control) == {ALERT}, control
        finally:
            browser.close()
