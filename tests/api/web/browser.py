"""A real server and a real browser for the end-to-end tests: uvicorn on a free loopback port, Chromium.

The server runs ``tests.api.web.serverapp:build`` in embedded mode on a temporary data dir, with the
QR-reading OCR engine (``tests.api.web.engines``). The browser is Debian's ``chromium`` driven by
Playwright (never a downloaded browser build).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sohoa.core.domain import Role
from sohoa.core.settings import Settings
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.accounts import create_user
from tests.support.processes import free_port, stop_process, wait_healthy
from tests.support.services import need

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "PASSWORD",
    "Server",
    "expect",
    "need_browser",
    "running_server",
    "shot",
    "signed_in",
]

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts" / "web"
CHROMIUM = Path(os.environ.get("SOHOA_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "mật khẩu đủ dài 2025"  # every browser test's users sign in with it


def need_browser() -> None:
    """Skip (fail under CI=true) without Chromium or Playwright for Python."""
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        need(False, "Playwright for Python (pip install playwright)")


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    log: Path


def _listen(port: int) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]


@contextmanager
def running_server(data_dir: Path, users: dict[str, tuple[Role, str]], **env: str) -> Iterator[Server]:
    """Start the app with ``users`` (name -> role, password) made beforehand; stop it afterwards."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SOHOA_") or key in ("SOHOA_TEST_CHROMIUM",)
    }
    environment.update(
        {
            "SOHOA_DATA_DIR": str(data_dir),
            "SOHOA_OCR_ENGINE": "tests.api.web.engines:qr_text_engine",
            "SOHOA_OCR_PROCESSES": "1",
            "SOHOA_REVIEW_POLICY": "auto",
            "SOHOA_BATCH_EVENTS_POLL": "0.3",
            "PYTHONPATH": str(REPO),
            **env,
        }
    )
    settings = Settings(data_dir=data_dir, ocr_engine="fake")
    rt = open_runtime(settings, with_queue=False)
    try:
        with rt.db.session() as session:
            for name, (role, password) in users.items():
                create_user(session, name, role, actor="test", password=password)
    finally:
        rt.close()
    port = free_port()
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "tests.api.web.serverapp:build", *_listen(port)],
            cwd=REPO,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield Server(url, data_dir, log)
    finally:
        stop_process(process)


def signed_in(browser: Any, server: Server, name: str, *, height: int = 768, **options: Any) -> Any:
    """A page of a fresh browser context (its own cookies) signed in as ``name`` through the sign-in page.

    The window is 1366 pixels wide and ``height`` high; ``options`` add to or override the context's
    other options (Vietnamese locale).
    """
    viewport = {"width": 1366, "height": height}
    context = browser.new_context(base_url=server.url, viewport=viewport, **{"locale": "vi-VN", **options})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/")
    assert page.url.endswith("/login")  # signed out, the app sends a browser to sign in
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:2000]
    return page


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    """A screenshot of ``page`` kept as ``test-artifacts/web/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def expect(target: Any) -> Any:
    """Playwright's ``expect``, imported when called so that a machine without Playwright skips, not errors."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)
