"""A browser-like test client for the pages: session cookie, CSRF token taken from the page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    client: Any

    def get(self, path: str, **kw):
        kw.setdefault("headers", {"Accept": "text/html"})
        return self.client.get(path, **kw)

    def csrf_token(self, page: str = "/login") -> str:
        match = _CSRF.search(self.get(page).get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.csrf_token()
        kw.setdefault("headers", {"Accept": "text/html"})
        return self.client.post(path, data=data, **kw)

    def login(self, login: str, password: str = PASSWORD) -> Browser:
        r = self.post("/login", {"login": login, "password": password})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        return self


def browser(app, login: str | None = None) -> Browser:
    b = Browser(app.test_client())
    return b.login(login) if login else b


def text(response) -> str:
    return response.get_data(as_text=True)
