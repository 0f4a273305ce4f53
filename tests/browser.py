"""Browser tests' plumbing: the app under a real server thread on 127.0.0.1 and Debian's chromium
driven by Playwright (no browser download: /usr/bin/chromium from apt, see .ci/run)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import IN_CI

# expect() waits as long as any other step of these tests (Visitor's 15 s), not its own 5 s: the
# page's htmx requests answer slowly while the suite keeps both cores busy.
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app under test served by werkzeug on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


class Visitor:
    """One person's browser window: its own cookies, console errors collected."""

    def __init__(self, chromium, base_url: str, viewport=PHONE):
        self.context = chromium.new_context(base_url=base_url, viewport=viewport, locale="vi-VN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def login(self, login: str, password: str) -> Visitor:
        self.page.goto("/login")
        self.page.get_by_label("Số điện thoại hoặc email").fill(login)
        self.page.get_by_label("Mật khẩu").fill(password)
        with self.page.expect_navigation():  # and its "load": htmx (deferred) has run
            self.page.get_by_role("button", name="Đăng nhập").click()
        return self

    def screenshot(self, name: str) -> None:
        """Save docs/screenshots/<name>-phone.png and -desktop.png when SAVE_SCREENSHOTS=1."""
        if os.environ.get("SAVE_SCREENSHOTS") != "1":
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(size)
            # caret="initial": hiding the caret injects a <style> that our CSP (rightly) blocks.
            self.page.screenshot(
                path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True, caret="initial"
            )
        self.page.set_viewport_size(PHONE)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visitors(chromium, live_server):
    """Opens browser windows (``visitors()``, optionally with a viewport); at the end every one
    must have seen no console or script error (no CSP violation), then it is closed."""
    opened: list[Visitor] = []

    def open_(viewport=None) -> Visitor:
        visitor = Visitor(chromium, live_server, **({"viewport": viewport} if viewport else {}))
        opened.append(visitor)
        return visitor

    yield open_
    for visitor in opened:
        assert visitor.errors == [], visitor.errors
        visitor.close()


def choose_place(page, province_code: str, ward_name: str, ward_code: str) -> None:
    """Picks a province, waits for htmx to bring its wards, then picks the ward.

    The page must have finished loading first: htmx is a deferred script, and a province changed
    before it has run reloads no wards (the page then offers its no-script button instead)."""
    page.wait_for_load_state("load")
    page.get_by_label("Tỉnh / thành phố").select_option(province_code)
    expect(page.locator("#f-ward_code option", has_text=ward_name)).to_have_count(1)
    page.get_by_label("Phường / xã").select_option(ward_code)
