"""The pager's part of a listing page: ``Paging.shown`` and the address every page's link starts with."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sohoa.api.web.paging import Paging
from sohoa.pipeline.runtime import Runtime
from tests.api.web.conftest import sign_in
from tests.storage.test_search import Doc, add_documents


def test_the_pages_keep_the_listings_filters_and_drop_the_empty_ones() -> None:
    shown = Paging(2, 10).shown(31, "/admin/audit", {"actor": "an bình", "action": "", "since": None, "until": "1/2"})
    assert shown == {"total": 31, "page": 2, "pages": 4, "pages_base": "/admin/audit?actor=an+b%C3%ACnh&until=1%2F2&"}
    assert Paging(1, 10).shown(0, "/batches")["pages_base"] == "/batches?"
    assert Paging(1, 10).shown(5, "/failures", {"state": ""})["pages_base"] == "/failures?"


def test_search_pages_keep_what_was_typed(client: TestClient, runtime: Runtime) -> None:
    add_documents(runtime.db, [Doc(f"quyết định {n}.pdf", ["giấy phép karaoke"]) for n in range(21)])
    sign_in(client, "archivist")
    typed = {"text": "karaoke", "procedure_code": "1.001029", "number": "", "page": "1"}
    first = client.get("/search", params=typed).text
    assert 'href="/search?text=karaoke&amp;procedure_code=1.001029&amp;page=2" rel="next"' in first
    second = client.get("/search", params={**typed, "page": "2"}).text
    assert 'href="/search?text=karaoke&amp;procedure_code=1.001029&amp;page=1" rel="prev"' in second
