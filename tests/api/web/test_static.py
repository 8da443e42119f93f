"""What the pages load: vendored, pinned scripts from this site only, and the upload page's wiring."""

from __future__ import annotations

import hashlib
import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sohoa.api.web import install_web
from sohoa.api.web.routes import STATIC_DIR
from tests.api.web.conftest import PROCEDURE, sign_in

TEMPLATES = STATIC_DIR.parent / "templates"


def test_vendored_files_are_the_pinned_releases() -> None:
    manifest = json.loads((STATIC_DIR / "vendor" / "vendor.json").read_text())
    assert set(manifest) == {p.name for p in (STATIC_DIR / "vendor").glob("*.js")}
    for name, entry in manifest.items():
        data = (STATIC_DIR / "vendor" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert entry["version"] in name
        assert b"licen" in data[:1200].lower() or b"license" in data[:1200].lower(), name


def test_pages_load_nothing_from_elsewhere() -> None:
    for path in [*TEMPLATES.glob("*.html"), *STATIC_DIR.glob("*.js"), *STATIC_DIR.glob("*.css")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", text), path.name
        assert "@import" not in text and "url(http" not in text, path.name
        assert "<script>" not in text and " on" + "click=" not in text, path.name  # no inline script (CSP)


def test_static_files_are_served(client: TestClient) -> None:
    for name, kind in (
        ("web.css", "text/css"),
        ("upload.js", "javascript"),
        ("vendor/htmx-2.0.11.min.js", "javascript"),
    ):
        answer = client.get(f"/static/web/{name}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"], name
        assert answer.content == (STATIC_DIR / name).read_bytes()


def test_install_web_is_idempotent(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    before = len(app.routes)
    install_web(app)
    assert len(app.routes) == before


def test_the_upload_page_offers_the_catalogue_and_live_progress(client: TestClient, runtime) -> None:
    from sohoa.registry.procedures import import_procedures
    from sohoa.registry.sources import SourceFormat

    sign_in(client, "uploader")
    bare = client.get("/upload").text
    assert 'name="procedure_code" required maxlength="64"' in bare  # no catalogue: the code is typed
    with runtime.db.session() as session:
        csv = f"code,name\n{PROCEDURE},Cấp giấy phép kinh doanh dịch vụ karaoke\n2.000123,Công nhận câu lạc bộ\n"
        import_procedures(session, csv.encode(), SourceFormat.CSV, actor="test")
    page = client.get("/upload").text
    assert f'<option value="{PROCEDURE}">{PROCEDURE} — Cấp giấy phép kinh doanh dịch vụ karaoke</option>' in page
    assert 'data-events="on"' in page  # the server streams batch events
    texts = json.loads(page.split('<script type="application/json" id="texts">')[1].split("</script>")[0])
    assert texts["state.archived"] == "Đã lưu trữ" and "reason.password_protected" in texts
    options = client.get("/ui/procedures", params={"q": "cau lac bo"}).text
    assert "2.000123" in options and PROCEDURE not in options
    none = client.get("/ui/procedures", params={"q": "khong co thu tuc nay"}).text
    assert "Không tìm thấy thủ tục phù hợp" in none
