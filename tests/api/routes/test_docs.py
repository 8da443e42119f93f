"""``/docs`` works on a network with no internet: every script and style it loads is served by sohoa."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient


def test_docs_load_nothing_from_another_host(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""", page.text)
    urls = [a or b for a, b in assets]
    assert any(u.endswith(".js") for u in urls) and any(u.endswith(".css") for u in urls), urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.netloc, f"/docs loads {url} from another host"
        served = client.get(url)
        assert served.status_code == 200 and served.content, url
    bundle = next(u for u in urls if u.endswith("swagger-ui-bundle.js"))
    assert b"SwaggerUIBundle" in client.get(bundle).content
