"""The review queue and page: uncertain fields marked, the page image rendered on the server."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from PIL import Image

from sohoa.api.web.previews import PREVIEW_WIDTH
from sohoa.api.web.views.review_views import review_fields
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document
from sohoa.storage.records import DocumentRecord
from tests.api.web.conftest import Office, sign_in
from tests.api.web.html import read_page


def test_the_queue_lists_waiting_documents_with_their_reasons(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "reviewer")
    page = browser_client.get("/review").text
    assert f'href="/review/{office.waiting}"' in page
    assert "1 văn bản đang chờ xem xét." in page
    assert "Thiếu thông tin: Người ký" in page
    for archived in office.archived:
        assert archived not in page


def test_the_review_page_marks_what_to_check(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "reviewer")
    page = browser_client.get(f"/review/{office.waiting}").text
    assert f'src="/ui/documents/{office.waiting}/pages/1.png"' in page
    uncertain = page.split('class="field uncertain"')
    assert len(uncertain) == 2  # exactly one field is marked: the signer the paper did not give
    assert 'for="f-signer_name"' in uncertain[1].split("</div>")[0]
    assert 'id="f-issuer"' in page and 'value="Sở Văn hóa, Thể thao và Du lịch"' in page
    assert 'aria-keyshortcuts="Control+Enter"' in page
    assert "Theo mã đã chọn khi tải lên" in page  # the procedure code came with the upload
    assert "văn bản 1/1 trong hàng chờ" in page


def test_a_document_no_longer_waiting_says_so(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "reviewer")
    page = browser_client.get(f"/review/{office.refused}").text
    assert "không còn chờ xem xét (trạng thái: Bị từ chối)" in page
    assert 'id="review-form"' not in page


def test_an_archived_document_opens_for_correction_not_approval(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "reviewer")
    page = browser_client.get(f"/review/{office.archived[0]}").text
    assert 'id="review-form"' in page and 'data-mode="correct"' in page
    assert 'id="accept"' not in page and "không đổi tệp đã ký số" in page
    assert f'href="/review/{office.archived[0]}"' in browser_client.get(f"/documents/{office.archived[0]}").text


def test_dates_are_shown_day_month_year_in_a_text_box(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "reviewer")
    page = browser_client.get(f"/review/{office.waiting}").text
    box = page.split('id="f-issued_date"')[1].split(">")[0]
    assert 'type="text"' in box and 'placeholder="dd/mm/yyyy"' in box
    assert re.search(r'value="\d{2}/\d{2}/\d{4}"', box), box
    assert 'type="date"' not in page


def test_after_approval_the_next_document_comes_by_its_own_address(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "reviewer")
    ahead = browser_client.get("/review/next", params={"after": office.archived[0]}, follow_redirects=False)
    assert (ahead.status_code, ahead.headers["location"]) == (303, f"/review/{office.waiting}")
    none_left = browser_client.get("/review/next", params={"after": office.waiting}, follow_redirects=False)
    assert none_left.headers["location"] == "/review"


def test_a_code_mismatch_offers_the_printed_and_the_typed_code() -> None:
    doc = DocumentRecord(
        id="d",
        filename="f.pdf",
        procedure_code="1.001234",
        dossier_code="000.00.32.H19-250312-0017",
        review_reasons=["procedure_code_mismatch"],
        metadata_json={
            "procedure_code": "1.001234",
            "printed_procedure_code": "1.003645",
            "dossier_code": "000.00.32.H19-250312-0017",
            "printed_dossier_code": "000.00.32.H19-250312-0017",
        },
    )
    by_name = {f.name: f for f in review_fields(doc)}
    assert by_name["procedure_code"].choices == (("printed", "1.003645"), ("upload", "1.001234"))
    assert by_name["procedure_code"].uncertain
    assert by_name["dossier_code"].choices == ()  # printed and typed agree


def test_low_confidence_and_code_reasons_mark_fields() -> None:
    doc = DocumentRecord(
        id="d",
        filename="x.pdf",
        state="needs_review",
        original_sha256="0" * 64,
        procedure_code="1.001029",
        dossier_code=None,
        metadata_json={"issuer": "Sở", "subject": "Về việc", "confidence": {"issuer": 0.3, "subject": 0.9}},
        review_reasons=["procedure_code_mismatch", "invalid:issued_date"],
    )
    fields = {f.name: f for f in review_fields(doc)}
    assert fields["issuer"].uncertain and not fields["issuer"].reasons  # by confidence alone
    assert not fields["subject"].uncertain
    assert fields["procedure_code"].uncertain and fields["procedure_code"].reasons == ("procedure_code_mismatch",)
    assert fields["procedure_code"].value == "1.001029" and fields["procedure_code"].from_upload
    assert fields["issued_date"].reasons == ("invalid:issued_date",)
    assert not fields["dossier_code"].uncertain


def test_page_images_are_pngs_of_the_work_pdf_or_the_original(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "reviewer")
    for doc_id in (office.waiting, office.archived[0]):
        answer = browser_client.get(f"/ui/documents/{doc_id}/pages/1.png")
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(answer.content)) as image:
            assert image.width == PREVIEW_WIDTH
            # A page, not a blank: the printed lines make some pixels dark.
            darkest = image.convert("L").getextrema()[0]
            assert isinstance(darkest, int) and darkest < 100
    missing_page = browser_client.get(f"/ui/documents/{office.waiting}/pages/2.png")
    assert missing_page.status_code == 404
    assert read_page(missing_page.text).lang == "vi"


def test_the_review_page_needs_the_review_right(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "archivist")
    assert browser_client.get(f"/review/{office.waiting}").status_code == 403
    sign_in(browser_client, "uploader")
    assert browser_client.get(f"/ui/documents/{office.waiting}/pages/1.png").status_code == 403
    with office.runtime.db.session() as session:
        assert get_document(session, office.waiting).state == "needs_review"


def test_the_mismatch_warning_shows_both_codes_with_a_button_each(client: TestClient, runtime: Runtime) -> None:
    from sohoa.storage.catalogue import add_document

    with runtime.db.session() as session:
        add_document(
            session,
            DocumentRecord(
                id="00000000-0000-0000-0000-0000000000aa",
                filename="qd.pdf",
                state="needs_review",
                procedure_code="1.001234",
                original_sha256="b" * 64,
                review_reasons=["procedure_code_mismatch"],
                metadata_json={"procedure_code": "1.001234", "printed_procedure_code": "1.003645"},
            ),
        )
    sign_in(client, "reviewer")
    page = client.get("/review/00000000-0000-0000-0000-0000000000aa").text
    choices = page.split('class="choices"')[1].split("</div>")[0]
    assert "In trên văn bản: <code>1.003645</code>" in choices and "Nhập khi tải lên: <code>1.001234</code>" in choices
    assert choices.count('data-take="f-procedure_code"') == 2
    assert 'data-value="1.003645"' in choices and 'data-value="1.001234"' in choices
