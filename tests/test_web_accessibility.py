"""Basic accessibility of the pages: one h1, every form control labelled, a language on <html>,
a skip link, images with alt text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.factories import build_world, new_product
from tests.web import browser, text


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.labels_for: set[str] = set()
        self.controls: list[dict] = []
        self.images: list[dict] = []
        self.html_lang = None
        self.skip_link = False
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.labels_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if a.get("type") not in ("hidden", "submit", "button"):
                self.controls.append({**a, "_in_label": self._label_depth > 0})
        elif tag == "img":
            self.images.append(a)
        elif tag == "a" and a.get("href") == "#main":
            self.skip_link = True

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


def audit(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def test_every_page_is_labelled_and_titled(app, world):
    product = new_product(world.household, world.coop_admin)
    coop = world.coop["id"]
    seller = world.household.seller["id"]
    pages = {
        None: [
            "/",
            "/products",
            f"/products/{product['id']}",
            "/login",
            "/register",
            "/claim",
            "/search?q=vai",
        ],
        world.household.user["email"]: [
            "/dashboard",
            "/dashboard/products/new",
            f"/dashboard/products/{product['id']}/edit",
            "/dashboard/certifications",
            "/dashboard/profile",
        ],
        world.coop_admin.user["email"]: [
            f"/coop/{coop}",
            f"/coop/{coop}/households",
            f"/coop/{coop}/households/{seller}",
            f"/coop/{coop}/onboard",
            f"/coop/{coop}/products",
            f"/coop/{coop}/audit",
        ],
    }
    checked = 0
    for login, paths in pages.items():
        b = browser(app, login)
        for path in paths:
            for lang in ("vi", "en"):
                r = b.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
                assert r.status_code == 200, (path, r.status_code)
                page = audit(text(r))
                assert page.html_lang == lang and page.skip_link, path
                assert page.h1 == 1, (path, page.h1)
                for control in page.controls:
                    labelled = (
                        control.get("id") in page.labels_for
                        or control["_in_label"]
                        or control.get("aria-label")
                    )
                    assert labelled, (path, control)
                assert all("alt" in img for img in page.images), path
                checked += 1
    assert checked == 36
