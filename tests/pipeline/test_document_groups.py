"""Several files, one document: one image per page joined by the CLI's, the API's or a zip's grouping.

Each page is still checked and OCRed on its own; the document is one PDF with one signature, and
every file stays an original of its own.
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import select

from sohoa.core.domain import DocumentState
from sohoa.core.errors import InputRejected
from sohoa.core.settings import Settings
from sohoa.pipeline.cleanup import clean_leftovers
from sohoa.pipeline.intake import IncomingFile, accept_files, accept_paths, group_positions
from sohoa.pipeline.rebuild import rebuild_catalogue
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.signing.verify import verify_pdf
from sohoa.storage.catalogue import get_document
from sohoa.storage.document_parts import PARTS_KIND, list_parts
from sohoa.storage.objectstore import original_key
from sohoa.storage.records import EventRecord
from tests.support.catalogue_loss import lose_sqlite_catalogue
from tests.support.codes import PROCEDURE
from tests.support.pdfs import make_text_image


def _pages(tmp_path: Path, stem: str, count: int, *, folder: str = "") -> list[Path]:
    where = tmp_path / folder if folder else tmp_path
    where.mkdir(parents=True, exist_ok=True)
    # Each page says which it is: a page put in the wrong place shows in the archived text.
    return [make_text_image(where / f"{stem}_p{n}.png", [f"{stem} tờ số {n}"]) for n in range(1, count + 1)]


def _join(rt: Runtime) -> None:
    assert rt.queue is not None
    rt.queue.join()  # type: ignore[attr-defined]


def _archived_texts(rt: Runtime, doc_id: str, dest: Path) -> list[str]:
    with rt.db.session() as session:
        doc = get_document(session, doc_id)
    assert doc.state == DocumentState.ARCHIVED, (doc.state, doc.reason_code, doc.reason_message)
    rt.store.get_file(doc.archive_key, dest, verify=True)
    report = verify_pdf(dest, trust_roots=[rt.signer().development_root])
    assert len(report.signatures) == 1 and report.signatures[0].intact and report.signatures[0].trusted
    with pdfplumber.open(dest) as pdf:
        return [(page.extract_text() or "").strip() for page in pdf.pages]


def test_three_page_images_become_one_signed_document_of_three_pages(runtime: Runtime, tmp_path: Path) -> None:
    pages = _pages(tmp_path, "quyet-dinh", 3)
    result = accept_paths(runtime, pages, procedure_code=PROCEDURE, actor="tester", one_document=True)
    _join(runtime)
    assert not result.rejected
    [doc] = result.documents
    assert doc.filename == "quyet-dinh_p1.png (+2)"
    assert doc.parts == ("quyet-dinh_p1.png", "quyet-dinh_p2.png", "quyet-dinh_p3.png")
    texts = _archived_texts(runtime, doc.id, tmp_path / "out.pdf")
    # The fake engine numbers each page by its place in the document.
    assert [t.rsplit(" ", 1)[-1] for t in texts] == ["1", "2", "3"]
    with runtime.db.session() as session:
        record = get_document(session, doc.id)
        parts = list_parts(session, doc.id)
        ocr_event = session.scalars(
            select(EventRecord).where(EventRecord.document_id == doc.id, EventRecord.to_state == "ocr_done")
        ).one()
    assert record.page_count == 3 and record.original_kind == PARTS_KIND
    assert [p.filename for p in parts] == list(doc.parts)
    assert ocr_event.details["files"] == 3 and ocr_event.details["pages"] == 3
    # Each page is an original of its own, byte for byte.
    for page, part in zip(pages, parts, strict=True):
        stored = tmp_path / f"stored-{part.filename}"
        runtime.store.get_file(original_key(part.sha256), stored, verify=True)
        assert stored.read_bytes() == page.read_bytes()


def test_the_order_given_is_the_page_order(runtime: Runtime, tmp_path: Path) -> None:
    pages = _pages(tmp_path, "cv", 3)
    files = [IncomingFile(p.name, io.BytesIO(p.read_bytes())) for p in pages]
    groups = group_positions([p.name for p in pages], [["cv_p3.png", "cv_p1.png", "cv_p2.png"]])
    result = accept_files(runtime, files, procedure_code=PROCEDURE, actor="tester", groups=groups)
    _join(runtime)
    [doc] = result.documents
    assert doc.parts == ("cv_p3.png", "cv_p1.png", "cv_p2.png")
    with runtime.db.session() as session:
        assert [p.filename for p in list_parts(session, doc.id)] == list(doc.parts)


def test_group_by_stem_joins_pages_by_number_and_leaves_other_files_alone(runtime: Runtime, tmp_path: Path) -> None:
    pages = _pages(tmp_path, "to-trinh", 2)
    other = make_text_image(tmp_path / "giay-phep.png", ["GIẤY PHÉP"])
    # Given out of order: page 2 first.
    result = accept_paths(
        runtime, [pages[1], other, pages[0]], procedure_code=PROCEDURE, actor="tester", group_by="stem"
    )
    _join(runtime)
    by_name = {d.filename: d for d in result.documents}
    assert set(by_name) == {"to-trinh_p1.png (+1)", "giay-phep.png"}
    assert by_name["to-trinh_p1.png (+1)"].parts == ("to-trinh_p1.png", "to-trinh_p2.png")
    assert not by_name["giay-phep.png"].parts


def test_the_same_pages_again_are_a_duplicate_and_a_page_alone_is_part_of_the_document(
    runtime: Runtime, tmp_path: Path
) -> None:
    pages = _pages(tmp_path, "qd", 2)
    first = accept_paths(runtime, pages, procedure_code=PROCEDURE, actor="tester", one_document=True)
    again = accept_paths(runtime, pages, procedure_code=PROCEDURE, actor="tester", one_document=True)
    alone = accept_paths(runtime, [pages[1]], procedure_code=PROCEDURE, actor="tester")
    reordered = accept_paths(runtime, pages[::-1], procedure_code=PROCEDURE, actor="tester", one_document=True)
    _join(runtime)
    [doc] = first.documents
    assert [d.duplicate_of for d in again.documents] == [doc.id]
    assert again.documents[0].parts == doc.parts  # every file sent is accounted for
    assert [d.duplicate_of for d in alone.documents] == [doc.id]
    # Other page order, other document: nothing says which order is right.
    [other] = reordered.documents
    assert other.duplicate_of is None and other.id != doc.id


def test_a_page_sent_alone_before_is_joined_not_refused(runtime: Runtime, tmp_path: Path) -> None:
    pages = _pages(tmp_path, "bb", 2)
    [alone] = accept_paths(runtime, [pages[0]], procedure_code=PROCEDURE, actor="tester").documents
    [joined] = accept_paths(runtime, pages, procedure_code=PROCEDURE, actor="tester", one_document=True).documents
    _join(runtime)
    assert joined.duplicate_of is None and joined.id != alone.id
    assert len(_archived_texts(runtime, joined.id, tmp_path / "out.pdf")) == 2


def test_a_refused_page_refuses_the_whole_document(runtime: Runtime, tmp_path: Path) -> None:
    pages = _pages(tmp_path, "hs", 2)
    empty = tmp_path / "hs_p3.png"
    empty.write_bytes(b"")
    result = accept_paths(runtime, [*pages, empty], procedure_code=PROCEDURE, actor="tester", one_document=True)
    _join(runtime)
    assert result.documents == ()
    codes = {r.filename: r.code for r in result.rejected}
    assert codes == {"hs_p1.png": "group_incomplete", "hs_p2.png": "group_incomplete", "hs_p3.png": "empty_file"}
    refused = next(r for r in result.rejected if r.filename == "hs_p3.png")
    assert refused.document_id is not None  # the bad file is catalogued as rejected, as any bad file is
    with runtime.db.session() as session:
        states = [get_document(session, r.document_id).state for r in result.rejected if r.document_id]
    assert states == ["rejected"]


def test_unknown_or_ambiguous_names_are_refused_before_anything_is_stored() -> None:
    with pytest.raises(InputRejected) as unknown:
        group_positions(["a.png", "b.png"], [["a.png", "c.png"]])
    assert unknown.value.code == "group_unknown_file" and unknown.value.details == {"names": ["c.png"]}
    with pytest.raises(InputRejected) as twice:
        group_positions(["a.png", "a.png"], [["a.png"]])
    assert twice.value.code == "group_file_ambiguous"
    with pytest.raises(InputRejected) as repeated:
        group_positions(["a.png", "b.png"], [["a.png", "b.png"], ["b.png"]])
    assert repeated.value.code == "group_file_repeated"


def test_each_folder_of_a_zip_is_one_document_when_asked(runtime: Runtime, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder in ("ho-so-1", "ho-so-2"):
            # Written out of order, named so that only a numeric sort puts them right.
            for path in reversed(_pages(tmp_path, folder, 2, folder=folder)):
                archive.write(path, f"{folder}/{path.name}")
        archive.write(make_text_image(tmp_path / "rieng.png", ["RIÊNG"]), "rieng.png")
    upload = [IncomingFile("lo.zip", io.BytesIO(buffer.getvalue()))]
    result = accept_files(runtime, upload, procedure_code=PROCEDURE, actor="tester", zip_folders=True)
    _join(runtime)
    assert not result.rejected
    by_name = {d.filename: d for d in result.documents}
    assert set(by_name) == {"lo.zip/ho-so-1", "lo.zip/ho-so-2", "lo.zip/rieng.png"}
    assert by_name["lo.zip/ho-so-1"].parts == ("lo.zip/ho-so-1/ho-so-1_p1.png", "lo.zip/ho-so-1/ho-so-1_p2.png")
    texts = _archived_texts(runtime, by_name["lo.zip/ho-so-2"].id, tmp_path / "out.pdf")
    assert len(texts) == 2


def test_cover_sheets_and_joining_are_not_asked_together(runtime: Runtime) -> None:
    with pytest.raises(InputRejected) as refused:
        accept_files(runtime, [], procedure_code=PROCEDURE, actor="tester", cover_sheets=True, groups=[[0, 1]])
    assert refused.value.code == "group_with_cover_sheets"


def test_leftover_cleanup_keeps_the_files_of_a_document(runtime: Runtime, tmp_path: Path) -> None:
    pages = _pages(tmp_path, "lc", 2)
    [doc] = accept_paths(runtime, pages, procedure_code=PROCEDURE, actor="tester", one_document=True).documents
    _join(runtime)
    with runtime.db.session() as session:
        parts = list_parts(session, doc.id)
    clean_leftovers(runtime, grace=timedelta(seconds=-60))  # everything is "old"
    for part in parts:
        assert runtime.store.exists(original_key(part.sha256))


def test_a_catalogue_rebuilt_from_the_store_names_the_files_again(settings: Settings, tmp_path: Path) -> None:
    rt = open_runtime(settings)
    try:
        pages = _pages(tmp_path, "rb", 3)
        [doc] = accept_paths(rt, pages, procedure_code=PROCEDURE, actor="tester", one_document=True).documents
        _join(rt)
        with rt.db.session() as session:
            before = [(p.sha256, p.kind, p.page_count, p.size) for p in list_parts(session, doc.id)]
    finally:
        rt.close()
    lose_sqlite_catalogue(settings)
    rt = open_runtime(settings)
    try:
        report = rebuild_catalogue(rt, actor="restorer")
        assert report.ok and list(report.restored) == [doc.id], report
        with rt.db.session() as session:
            restored = get_document(session, doc.id)
            after = [(p.sha256, p.kind, p.page_count, p.size) for p in list_parts(session, doc.id)]
        assert restored.original_kind == PARTS_KIND and after == before
        clean_leftovers(rt, grace=timedelta(seconds=-60))
        assert all(rt.store.exists(original_key(sha)) for sha, *_ in before)
        # A page sent alone is known again as part of the document.
        [alone] = accept_paths(rt, [pages[2]], procedure_code=PROCEDURE, actor="tester").documents
        assert alone.duplicate_of == doc.id
    finally:
        rt.close()
