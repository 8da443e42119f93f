"""The dossier pages: owners' numbers masked without the owner_data right, the owner's store reached
from a dossier (an audited lookup), and the "Dùng lại" button reusing a paper on file."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from sohoa.core.domain import DocumentState
from sohoa.core.owners import parse_owner_id
from sohoa.pipeline.runtime import Runtime
from sohoa.registry.dossiers import DossierFacts, Placement, create_dossier, file_in_dossier
from sohoa.storage.records import EventRecord
from tests.api.web.conftest import sign_in
from tests.registry.builders import add_document

A = "001085012389"
D1, D2 = "000.00.32.H19-250312-0017", "000.00.32.H19-250401-0042"


def _office(runtime: Runtime) -> str:
    owner = parse_owner_id("cccd", A)
    with runtime.db.session() as session:
        facts = DossierFacts(owner=owner, owner_name="Nguyễn Văn An")
        create_dossier(session, D1, facts, actor="t")
        create_dossier(session, D2, facts, actor="t")
        doc = add_document(session, dossier=D1, state=DocumentState.ARCHIVED)
        doc.metadata_json = {
            "document_type": "Giấy phép",
            "number_symbol": "11/GP-SVHTTDL",
            "issued_date": "2025-03-11",
        }
        session.flush()
        file_in_dossier(
            session, doc.id, D1, Placement(), procedure_code=None, actor="t",
        )  # fmt: skip
        return doc.id


def _store_views(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return len(list(session.scalars(select(EventRecord).where(EventRecord.action == "owner.store_viewed"))))


def test_an_uploader_sees_masked_numbers_and_reuses_with_the_button(runtime: Runtime, client: TestClient) -> None:
    licence = _office(runtime)
    sign_in(client, "uploader")
    page = client.get(f"/dossiers/{D1}")
    assert page.status_code == 200
    assert "001*******89" in page.text and A not in page.text
    store = client.get(f"/dossiers/{D2}/owner")
    assert store.status_code == 200
    assert "001*******89" in store.text and A not in store.text
    assert "11/GP-SVHTTDL" in store.text and "Dùng lại" in store.text
    assert _store_views(runtime) == 1
    reused = client.post(
        f"/dossiers/{D2}/reuse",
        data={"document_id": licence, "component": "Giấy phép karaoke", "csrf_token": client.cookies["sohoa_csrf"]},
        follow_redirects=False,
    )
    assert reused.status_code == 303
    page = client.get(reused.headers["location"])
    assert "Dùng lại từ kho" in page.text and "Giấy phép karaoke" in page.text
    again = client.post(
        f"/dossiers/{D2}/reuse",
        data={"document_id": licence, "component": "Giấy phép karaoke", "csrf_token": client.cookies["sohoa_csrf"]},
    )
    assert again.status_code == 409 and "Giấy tờ đã có trong hồ sơ này." in again.text


def test_a_reviewer_sees_full_numbers(runtime: Runtime, client: TestClient) -> None:
    _office(runtime)
    sign_in(client, "reviewer")
    assert A in client.get(f"/dossiers/{D1}").text
    assert A in client.get(f"/dossiers/{D1}/owner").text


def test_the_owner_data_right_follows_the_setting(runtime: Runtime, client: TestClient) -> None:
    _office(runtime)
    runtime.settings.owner_data_roles = "uploader"
    sign_in(client, "reviewer")
    page = client.get(f"/dossiers/{D1}").text
    assert "001*******89" in page and A not in page


def test_a_dossier_created_on_the_page_refuses_a_malformed_code_with_its_shape(
    runtime: Runtime, client: TestClient
) -> None:
    sign_in(client, "uploader")
    token = client.cookies["sohoa_csrf"]
    bad = client.post("/dossiers", data={"code": "HS-1", "csrf_token": token})
    assert bad.status_code == 422 and "&lt;mã cơ quan&gt;-&lt;yymmdd&gt;" in bad.text
    made = client.post(
        "/dossiers",
        data={"code": D2, "owner_id_type": "cccd", "owner_id": A, "owner_name": "An", "csrf_token": token},
        follow_redirects=False,
    )
    assert made.status_code == 303 and made.headers["location"] == f"/dossiers/{D2}"


def test_the_dashboard_shows_the_dossier_figures(runtime: Runtime, client: TestClient) -> None:
    from sohoa.registry.dossiers import record_resubmission, reuse_document, today

    licence = _office(runtime)
    with runtime.db.session() as session:
        reuse_document(session, D2, licence, "Giấy phép", actor="t", day=today())
        record_resubmission(session, dossier_code=D2, archived_id=licence, kind="bytes", component="x", actor="t")
        record_resubmission(session, dossier_code=D2, archived_id=licence, kind="bytes", component="x", actor="t")
    sign_in(client, "archivist")
    # Made without a received date, each dossier is received on the day its code carries (2025-03-12, 2025-04-01).
    page = client.get("/dashboard?period=2025").text
    assert '<dd id="count-dossiers-received">2</dd>' in page
    assert '<dd id="count-reused">1</dd>' in page and '<dd id="count-resubmitted">2</dd>' in page
    assert '<dd id="rate-reuse">33,3 %</dd>' in page
    assert '<dd id="rate-components">50,0 % (1/2)</dd>' in page


def test_a_reviewer_corrects_role_and_validity_on_the_dossier_page(runtime: Runtime, client: TestClient) -> None:
    licence = _office(runtime)
    sign_in(client, "uploader")
    assert "Sửa" not in client.get(f"/dossiers/{D1}").text  # only reviewers correct
    client.cookies.clear()
    sign_in(client, "reviewer")
    form = {"role": "component", "component": "Giấy phép cũ", "valid_until": "2020-12-31"}
    saved = client.post(
        f"/dossiers/{D1}/documents/{licence}", data={**form, "csrf_token": client.cookies["sohoa_csrf"]},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    page = client.get(f"/dossiers/{D1}").text
    assert "Thành phần hồ sơ: Giấy phép cũ" in page and "31/12/2020" in page
    with runtime.db.session() as session:
        actions = [e.action for e in session.scalars(select(EventRecord).order_by(EventRecord.id))]
    assert "dossier.role_corrected" in actions and "document.validity" in actions
    bad = client.post(
        f"/dossiers/{D1}/documents/{licence}",
        data={"role": "component", "component": "", "csrf_token": client.cookies["sohoa_csrf"]},
    )
    assert bad.status_code == 422 and "Cần tên thành phần hồ sơ." in bad.text


def test_a_rescan_is_offered_the_archived_paper_with_one_button(runtime: Runtime, client: TestClient) -> None:
    from sohoa.storage.dossier_queries import save_facts

    licence = _office(runtime)
    with runtime.db.session() as session:
        rescan = add_document(session, dossier=D2, state=DocumentState.NEEDS_REVIEW)
        session.flush()
        file_in_dossier(
            session, rescan.id, D2, Placement("component", "Giấy phép"), procedure_code=None, actor="t",
        )  # fmt: skip
        save_facts(session, rescan.id, now=rescan.received_at, same_as=licence)
    sign_in(client, "uploader")
    page = client.get(f"/dossiers/{D2}").text
    assert "Trùng giấy tờ đã lưu" in page and f'name="document_id" value="{licence}"' in page
    taken = client.post(
        f"/dossiers/{D2}/reuse",
        data={"document_id": licence, "component": "Giấy phép", "csrf_token": client.cookies["sohoa_csrf"]},
        follow_redirects=False,
    )
    assert taken.status_code == 303
    page = client.get(f"/dossiers/{D2}").text
    assert "Dùng lại từ kho" in page and f'name="document_id" value="{licence}"' not in page  # offered once
