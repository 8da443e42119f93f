"""Archive search and the document page: codes and accent-free words, snippets, viewer, downloads."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from sohoa.api.web.views.archive_views import marked_parts
from sohoa.storage.records import EventRecord
from tests.api.web.conftest import DOSSIERS, PROCEDURE, Office, sign_in
from tests.api.web.html import read_page


def _hits(page: str) -> list[str]:
    return [part.split('"')[0] for part in page.split('<h2><a href="/documents/')[1:]]


def test_search_by_procedure_code_prefix_and_by_dossier(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "archivist")
    page = browser_client.get("/search", params={"procedure_code": PROCEDURE}).text
    assert "Tìm thấy 4 văn bản." in page  # two archived, one waiting, one refused: all filed under it
    assert set(_hits(page)) == {*office.archived, office.waiting, office.refused}
    signed = browser_client.get("/search", params={"procedure_code": "1", "signed": "yes"}).text
    assert set(_hits(signed)) == set(office.archived)
    assert signed.count("Đã ký số (B-B)") == 2
    one = browser_client.get("/search", params={"dossier_code": DOSSIERS[1]}).text
    assert _hits(one) == [office.archived[1]]


def test_search_by_words_without_accents_marks_them_in_the_snippet(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "archivist")
    page = browser_client.get("/search", params={"text": "tan phong"}).text
    assert _hits(page) == [office.archived[1]]
    assert "<mark>Tân</mark> <mark>Phong</mark>" in page
    assert "trang 1" in page  # where the words were found


def test_an_htmx_search_answers_the_results_alone(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "archivist")
    partial = browser_client.get("/search", params={"text": "karaoke"}, headers={"HX-Request": "true"}).text
    assert partial.lstrip().startswith('<section id="results"')
    assert "<html" not in partial
    restore = browser_client.get(
        "/search", params={"text": "karaoke"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    ).text
    assert "<html" in restore


def test_search_refusals_are_sentences(browser_client: TestClient) -> None:
    sign_in(browser_client, "archivist", lang="en")
    page = browser_client.get("/search", params={"issued_from": "31/13/2024"}).text
    assert "Not a date: 31/13/2024 (write dd/mm/yyyy, e.g. 31/12/2025)." in page
    assert "Type words or choose filters" in browser_client.get("/search").text


def test_the_document_page_shows_viewer_checks_history_and_downloads(
    browser_client: TestClient, office: Office
) -> None:
    sign_in(browser_client, "archivist")
    doc = office.archived[0]
    page = browser_client.get(f"/documents/{doc}").text
    assert f'<iframe class="viewer" src="/ui/documents/{doc}/view.pdf"' in page
    assert f'data-url="/api/v1/documents/{doc}/verification"' in page
    assert f'href="/api/v1/documents/{doc}/file" download' in page
    assert f'href="/api/v1/documents/{doc}/original" download' in page
    assert 'id="supersede-form"' in page  # an archivist corrects records by superseding them
    assert "Đã ký số → Đã lưu trữ" in page  # the history, in words
    assert "Lê Văn Tám" in page


def test_the_viewer_gets_the_signed_pdf_inline_and_the_view_is_audited(
    browser_client: TestClient, office: Office
) -> None:
    sign_in(browser_client, "reviewer")
    doc = office.archived[1]
    answer = browser_client.get(f"/ui/documents/{doc}/view.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("inline;")
    assert answer.content.startswith(b"%PDF") and b"/ByteRange" in answer.content
    with office.runtime.db.session() as session:
        seen = session.scalars(
            select(EventRecord).where(EventRecord.document_id == doc, EventRecord.action == "download.signed")
        ).all()
    assert [(e.actor, (e.details or {}).get("inline")) for e in seen] == [("reviewer", True)]
    not_signed = browser_client.get(f"/ui/documents/{office.waiting}/view.pdf")
    assert not_signed.status_code == 404 and "chưa được ký số" in not_signed.text


def test_documents_not_archived_show_their_state_and_reason(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "reviewer")
    refused = browser_client.get(f"/documents/{office.refused}").text
    assert "Bị từ chối" in refused
    assert "Tệp PDF bị hỏng" in refused or "Tệp bị cắt cụt" in refused
    assert "<iframe" not in refused and 'id="verification"' not in refused
    waiting = browser_client.get(f"/documents/{office.waiting}").text
    assert f'href="/review/{office.waiting}"' in waiting
    assert 'id="supersede-form"' not in waiting


def test_readers_without_download_right_see_no_downloads(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "uploader")
    assert browser_client.get(f"/documents/{office.archived[0]}").status_code == 403
    assert browser_client.get(f"/ui/documents/{office.archived[0]}/view.pdf").status_code == 403
    assert read_page(browser_client.get("/search").text).lang == "vi"


def test_snippets_are_cut_into_marked_parts() -> None:
    assert marked_parts("lễ hội đường phố", [(0, 2), (3, 6)]) == [
        ("lễ", True),
        (" ", False),
        ("hội", True),
        (" đường phố", False),
    ]
    assert marked_parts("abc", []) == [("abc", False)]
    assert marked_parts("abcdef", [(4, 99), (1, 2)]) == [("a", False), ("b", True), ("cd", False), ("ef", True)]


def test_staff_filter_search_by_state_and_archived_records_come_first(
    browser_client: TestClient, office: Office
) -> None:
    sign_in(browser_client, "archivist")
    waiting = browser_client.get("/search", params={"state": "needs_review"}).text
    assert _hits(waiting) == [office.waiting]
    assert '<option value="needs_review" selected>' in waiting
    refused = browser_client.get("/search", params={"state": "rejected", "procedure_code": PROCEDURE}).text
    assert _hits(refused) == [office.refused]
    everything = _hits(browser_client.get("/search", params={"procedure_code": PROCEDURE}).text)
    assert set(everything[:2]) == set(office.archived)  # the waiting and refused ones after both records
    assert browser_client.get("/search", params={"state": "nonsense"}).status_code == 422


def test_result_titles_are_the_cleaned_subject(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "archivist")
    page = browser_client.get("/search", params={"text": "tan phong"}).text
    title = page.split('<h2><a href="/documents/')[1].split(">", 1)[1].split("</a>")[0]
    assert title == "Cấp phép tại phường Tân Phong"


def test_dates_are_typed_and_shown_as_day_month_year(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "archivist")
    page = browser_client.get("/search", params={"procedure_code": PROCEDURE, "received_from": "01/01/2020"}).text
    assert "Tìm thấy 4 văn bản." in page
    assert 'value="01/01/2020"' in page and 'type="date"' not in page
    iso = browser_client.get("/search", params={"procedure_code": PROCEDURE, "received_from": "2020-01-01"}).text
    assert 'value="01/01/2020"' in iso  # an ISO day is shown the way people here write it
    future = browser_client.get("/search", params={"procedure_code": PROCEDURE, "received_from": "31/12/2099"}).text
    assert "Tìm thấy 0 văn bản." in future


def test_certificate_details_have_labels_in_the_pages_language(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "archivist")
    page = browser_client.get(f"/documents/{office.archived[0]}").text
    signer = page.split('id="signer-subject">')[1].split("</dd>")[0]
    assert signer.startswith(("Tên: ", "Tổ chức: ", "Quốc gia: ")) and "Common Name" not in signer, signer
    assert '"cert.common_name"' in page  # for the signature check drawn by the page's script
    english = sign_in(browser_client, "archivist", lang="en").get(f"/documents/{office.archived[0]}").text
    assert "Common name: " in english.split('id="signer-subject">')[1].split("</dd>")[0]
