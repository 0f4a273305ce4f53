"""Walk every route of the app's URL map as strangers — anonymous, a buyer, a household of another
co-op, and another co-op's admin — against objects that belong to someone else, and prove that none
of them reads a private view or changes anything. A new route that this walk does not know fails
the test, so it cannot be forgotten."""

from __future__ import annotations

import io
import json
import re

import pytest

from tests.factories import (
    build_world,
    new_coop_admin,
    new_household,
    new_product,
    new_user,
    product_body,
)
from tests.media_helpers import tiny_png

# Routes anyone may call successfully (public reads, and creating one's own things).
PUBLIC = {
    ("GET", "/api/v1/coops"),
    ("GET", "/api/v1/coops/<int:coop_id>"),
    ("GET", "/api/v1/sellers/<int:seller_id>"),  # approved household: public view only
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/tokens"),
    ("DELETE", "/api/v1/auth/tokens/current"),  # one's own token
    ("GET", "/api/v1/me"),
    ("PATCH", "/api/v1/me"),  # one's own language
    ("GET", "/api/v1/me/notifications"),  # one's own feed
    ("POST", "/api/v1/me/notifications/read"),  # only one's own are marked
    ("POST", "/api/v1/sellers"),  # one's own profile
    ("GET", "/api/v1/categories"),
    ("GET", "/api/v1/products"),
    ("GET", "/api/v1/search"),
    ("POST", "/api/v1/products"),  # one's own listing (approved households)
    ("POST", "/api/v1/orders"),  # one's own order
    ("GET", "/api/v1/orders"),  # one's own orders (and one's own seller orders)
    ("GET", "/api/v1/seller/orders"),  # one's own household's seller orders
    ("POST", "/api/v1/payments/stripe/webhook"),  # the provider; the signature decides
    ("GET", "/api/v1/coops/<int:coop_id>/delivery-methods"),  # active methods, public
    ("POST", "/api/v1/orders/quote"),  # any buyer's quote; writes nothing
    ("GET", "/api/v1/products/<int:product_id>/reviews"),  # 404 here: the product is unpublished
    ("GET", "/api/v1/lots/<code>"),  # the public trace record (checked below: no buyer data)
    ("GET", "/api/v1/lots/<code>/qr.svg"),
}
SKIP = {"/api/openapi.json", "/static/<path:filename>"}
# Revokes the caller's token: walked anonymously only, or every later call would be anonymous.
REVOKES = {("DELETE", "/api/v1/auth/tokens/current")}
# Placing one's own order sells the victim's produce (checked by the order tests, not here).
OWN_SALES = {("POST", "/api/v1/orders")}
# For people without a login (a claim code or the provider's signature decides), not strangers.
NO_LOGIN = {
    ("POST", "/api/v1/auth/claim"),
    ("POST", "/api/v1/payments/stripe/webhook"),
    ("POST", "/api/v1/payments/bank-transfer/webhook"),
}
DELIVERY_METHOD = {
    "kind": "delivery",
    "name": "Xe lạnh",
    "base_fee_vnd": 20_000,
    "per_kg_fee_vnd": 3_000,
    "lead_time_hours": 24,
    "cold_chain": True,
}


def is_api_route(rule) -> bool:
    """The API and ops routes; the pages (session cookie + CSRF) are walked by test_web_walk.py."""
    return rule.rule.startswith("/api/") or rule.rule == "/healthz"


def _bodies(w) -> dict[tuple[str, str], dict]:
    """A valid body for every route that takes one, so authorisation, not validation, decides."""
    household = {
        "display_name": "Vườn lạ",
        "phone": "0987000111",
        "province_code": 31,
        "ward_code": 10813,
        "address_line": "Thôn Lạ",
    }
    return {
        ("POST", "/api/v1/auth/register"): {
            "email": "walker@example.vn",
            "password": "mật-khẩu-vải-2026",
            "full_name": "Người lạ",
        },
        ("POST", "/api/v1/auth/tokens"): {"login": "nobody@example.vn", "password": "x" * 12},
        ("POST", "/api/v1/auth/claim"): {"code": "AAAAA-BBBBB", "password": "x" * 12},
        ("POST", "/api/v1/coops"): {"name": "HTX Lạ", "province_code": 31},
        ("POST", "/api/v1/coops/<int:coop_id>/admins"): {"user_id": w["walker_id"]},
        ("POST", "/api/v1/sellers"): {**household, "coop_id": w["coop_id"]},
        ("PATCH", "/api/v1/sellers/<int:seller_id>"): {"display_name": "Đổi tên"},
        ("POST", "/api/v1/sellers/<int:seller_id>/reject"): {"reason": "Lạ"},
        ("POST", "/api/v1/sellers/<int:seller_id>/suspend"): {"reason": "Lạ"},
        ("POST", "/api/v1/sellers/<int:seller_id>/certifications"): {
            "scheme": "vietgap",
            "certificate_no": "VG-X",
            "issued_by": "Sở NN",
            "valid_from": "2026-01-01",
            "valid_until": "2027-01-01",
        },
        ("POST", "/api/v1/coops/<int:coop_id>/households"): {**household, "full_name": "Lạ"},
        ("POST", "/api/v1/categories"): {"name": "Lạ"},
        ("POST", "/api/v1/products"): product_body(),
        ("PATCH", "/api/v1/products/<int:product_id>"): {"unit_price_vnd": 1},
        ("PATCH", "/api/v1/categories/<int:category_id>"): {"shelf_life_hours": 1},
        ("POST", "/api/v1/products/<int:product_id>/reject"): {"reason": "Lạ"},
        ("POST", "/api/v1/products/<int:product_id>/remove"): {"reason": "Lạ"},
        ("POST", "/api/v1/products/<int:product_id>/stock-adjustments"): {
            "delta": -1,
            "reason": "Lạ",
        },
        ("POST", "/api/v1/products/<int:product_id>/harvest"): {"quantity": 5},
        ("POST", "/api/v1/orders"): {
            "items": [{"product_id": w["on_sale_id"], "quantity": 1}],
            "shipping_address": {
                "recipient_name": "Người lạ",
                "phone": "0912345678",
                "province_code": 31,
                "ward_code": 10813,
                "address_line": "Thôn Lạ",
            },
            "payment_method": "cod",
        },
        ("PATCH", "/api/v1/me"): {"locale": "en"},
        ("POST", "/api/v1/me/notifications/read"): {"ids": [w["notification_id"]]},
        ("POST", "/api/v1/coops/<int:coop_id>/reports"): {
            "kind": "sales_by_household",
            "from": "2026-01-01",
            "to": "2026-12-31",
            "format": "csv",
        },
        ("POST", "/api/v1/orders/<int:order_id>/cancel"): {"reason": "Lạ"},
        ("POST", "/api/v1/payments/bank-refunds/<int:refund_id>/refunded"): {"reference": "FT1"},
        ("POST", "/api/v1/payments/bank-transfer/webhook"): {
            "id": 1,
            "content": "Lạ",
            "transferType": "in",
            "transferAmount": 1000,
        },
        ("POST", "/api/v1/seller-orders/<int:seller_order_id>/ship"): {"carrier": "Lạ"},
        ("POST", "/api/v1/seller-orders/<int:seller_order_id>/cancel"): {"reason": "Lạ"},
        ("POST", "/api/v1/seller-orders/<int:seller_order_id>/refused"): {"reason": "Lạ"},
        ("POST", "/api/v1/coops/<int:coop_id>/delivery-methods"): DELIVERY_METHOD,
        ("PATCH", "/api/v1/coops/<int:coop_id>/delivery-methods/<int:method_id>"): {
            "base_fee_vnd": 1
        },
        ("POST", "/api/v1/orders/quote"): {
            "items": [{"product_id": w["on_sale_id"], "quantity": 1}],
            "shipping_address": {
                "recipient_name": "Người lạ",
                "phone": "0912345678",
                "province_code": 31,
                "ward_code": 10813,
                "address_line": "Thôn Lạ",
            },
        },
        ("POST", "/api/v1/products/<int:product_id>/reviews"): {"rating": 1, "text": "Lạ"},
        ("POST", "/api/v1/reviews/<int:review_id>/reply"): {"text": "Lạ"},
        ("POST", "/api/v1/reviews/<int:review_id>/hide"): {"reason": "Lạ"},
        ("POST", "/api/v1/products/<int:product_id>/lots"): {
            "harvested_on": "2026-01-02",
            "quantity": 5,
        },
        ("POST", "/api/v1/lots/<code>/recall"): {"reason": "Lạ"},
    }


@pytest.fixture
def app_config(app_config):
    # With a webhook secret the webhook answers strangers 400 invalid_signature (503 without);
    # with a notifier key the bank-transfer webhook answers them 401.
    return {
        **app_config,
        "STRIPE_WEBHOOK_SECRET": "whsec_route_walk",
        "BANK_WEBHOOK_API_KEY": "route-walk-key",
    }


@pytest.fixture
def victim(app, api):
    world = build_world(app, api)
    cert = world.household.api.post(
        f"/sellers/{world.household.seller['id']}/certifications",
        {
            "scheme": "ocop",
            "certificate_no": "OCOP-31-1",
            "issued_by": "UBND",
            "valid_from": "2026-01-01",
            "valid_until": "2028-01-01",
        },
    ).get_json()
    product = new_product(world.household)  # pending review: not public
    on_sale = new_product(world.household, world.coop_admin, name="Vải thiều sớm")
    someone = new_user(api, "Bùi Thị Thu")  # the victim's buyer (not one of the strangers)
    order = someone.api.post(
        "/orders",
        {
            "items": [{"product_id": on_sale["id"], "quantity": 2}],
            "shipping_address": {
                "recipient_name": "Bùi Thị Thu",
                "phone": "0987654321",
                "province_code": 31,
                "ward_code": 10813,
                "address_line": "Số 1 đường Lạch Tray",
            },
            "payment_method": "cod",
        },
    ).get_json()
    world.extra_buyer = someone
    method = world.coop_admin.api.post(
        f"/coops/{world.coop['id']}/delivery-methods", DELIVERY_METHOD
    ).get_json()
    report = world.coop_admin.api.post(
        f"/coops/{world.coop['id']}/reports",
        {"kind": "sales_by_household", "from": "2026-01-01", "to": "2026-12-31", "format": "csv"},
    ).get_json()
    feed = world.household.api.get("/me/notifications").get_json()
    # A photo of the pending listing, a delivered order of the one on sale and its review, and a
    # harvest lot that order's household sells from.
    photo = world.household.api.call(
        "POST",
        f"/products/{product['id']}/images",
        data={"file": (io.BytesIO(tiny_png()), "a.png", "image/png")},
        content_type="multipart/form-data",
    ).get_json()
    so_id = order["seller_orders"][0]["id"]
    world.household.api.post(f"/seller-orders/{so_id}/ship", {})
    world.household.api.post(f"/seller-orders/{so_id}/deliver")
    review = someone.api.post(f"/products/{on_sale['id']}/reviews", {"rating": 5}).get_json()
    lot_product = new_product(world.household, world.coop_admin, name="Vải lô", stock_quantity=0)
    lot = world.household.api.post(
        f"/products/{lot_product['id']}/lots",
        {"harvested_on": "2026-01-02", "quantity": 10, "certification_id": None},
    ).get_json()
    world.on_sale_id, world.lot_code = on_sale["id"], lot["code"]
    ids = {
        "report_id": report["id"],
        "notification_id": feed["items"][0]["id"],
        "method_id": method["id"],
        "product_id": product["id"],
        "coop_id": world.coop["id"],
        "seller_id": world.household.seller["id"],
        "cert_id": cert["id"],
        "user_id": world.coop_admin.id,
        "order_id": order["id"],
        "seller_order_id": order["seller_orders"][0]["id"],
        "on_sale_id": on_sale["id"],
        "refund_id": 1,
        # payouts are the platform admin's: every stranger is refused before any look-up
        "batch_id": world.admin.api.post("/payouts", {}).get_json()["id"],
        "item_id": 1,
        "image_id": photo["id"],
        "review_id": review["id"],
        "code": lot["code"],
        "category_id": 1,  # categories are the platform admin's
    }
    return world, ids


def _strangers(app, api, world):
    far_coop_admin = new_coop_admin(api, world.admin, world.other_coop, "Người ngoài")
    far_household = new_household(api, world.other_coop, far_coop_admin)
    return {
        "anonymous": None,
        "buyer": world.buyer.token,
        "household of another co-op": far_household.token,
        "admin of another co-op": world.other_coop_admin.token,
    }


def _snapshot(world, product_id, order_id) -> dict:
    owner = world.household.api
    return {
        "product": owner.get(f"/products/{product_id}").get_json(),
        "seller": owner.get(f"/sellers/{world.household.seller['id']}").get_json(),
        "audit": world.coop_admin.api.get(f"/coops/{world.coop['id']}/audit").get_json()["total"],
        "coop_admins": sorted(world.coop_admin.api.get("/me").get_json()["coop_ids"]),
        "order": world.extra_buyer.api.get(f"/orders/{order_id}").get_json(),
        "delivery_methods": world.coop_admin.api.get(
            f"/coops/{world.coop['id']}/delivery-methods"
        ).get_json(),
        "household_unread": owner.get("/me/notifications").get_json()["unread_count"],
        "reviews": world.household.api.get("/products/2/reviews").get_json(),
        "categories": owner.get("/categories").get_json(),
        "lots": world.household.api.get(
            f"/sellers/{world.household.seller['id']}/products"
        ).get_json()["items"],
    }


def test_strangers_cannot_reach_anothers_objects(app, api, victim):
    world, ids = victim
    strangers = _strangers(app, api, world)
    walker = api.post(
        "/auth/register",
        {"email": "walked@example.vn", "password": "mật-khẩu-vải-2026", "full_name": "W"},
    ).get_json()
    bodies = _bodies({**ids, "walker_id": walker["id"]})
    before = _snapshot(world, ids["product_id"], ids["order_id"])
    unknown, validated_first = [], []
    for rule in app.url_map.iter_rules():
        if rule.rule in SKIP or not is_api_route(rule):
            continue
        params = re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)
        if any(p not in ids for p in params):
            unknown.append(rule.rule)
            continue
        path = rule.rule
        for p in params:
            path = re.sub(rf"<(?:\w+:)?{p}>", str(ids[p]), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = bodies.get((method, rule.rule))
            if (
                method in ("POST", "PATCH", "PUT")
                and body is None
                and rule.rule.endswith(("/reject", "/suspend", "/remove", "/cancel", "/refused"))
            ):
                unknown.append(f"{method} {rule.rule} (needs a body in _bodies)")
                continue
            for who, token in strangers.items():
                if (method, rule.rule) in REVOKES and token:
                    continue  # the strangers' own tokens must stay valid for the rest of the walk
                if (method, rule.rule) in NO_LOGIN:
                    pass
                elif method in ("POST", "PATCH", "PUT") and (method, rule.rule) not in PUBLIC:
                    # Who may act on the object is decided before the body is read (DESIGN's
                    # order of checks): an invalid body does not reveal 400/422 to a stranger.
                    r = api.call(
                        method, path, json={"quantity": "lạ", "__x": [1]}, token=token or ""
                    )
                    if r.status_code not in (401, 403, 404):
                        validated_first.append((who, method, rule.rule, r.status_code))
                if (method, rule.rule) in OWN_SALES and token:
                    continue  # a stranger's own order is a real sale: stock and the household move
                r = api.call(method, path, json=body, token=token or "")
                if (method, rule.rule) in PUBLIC:
                    assert r.status_code < 500, (who, method, rule.rule, r.get_json())
                    if rule.rule == "/api/v1/sellers/<int:seller_id>" and r.status_code == 200:
                        assert "phone" not in r.get_json() and "address_line" not in r.get_json()
                    if rule.rule == "/api/v1/lots/<code>":
                        assert r.status_code == 200
                        assert "Bùi Thị Thu" not in r.get_data(as_text=True)
                        assert "Lạch Tray" not in r.get_data(as_text=True)
                    continue
                assert r.status_code in (401, 403, 404), (who, method, rule.rule, r.status_code)
                error = r.get_json()["error"]
                assert error["code"] in (
                    "unauthorized",
                    "invalid_credentials",
                    "forbidden",
                    "not_found",
                )
    assert not unknown, f"routes the walk does not know how to call: {unknown}"
    assert sorted({f"{m} {r}" for _, m, r, _ in validated_first}) == []
    assert _snapshot(world, ids["product_id"], ids["order_id"]) == before


# ---- hostile values on every route -------------------------------------------------------------

HUGE = "9" * 5000  # beyond Python's int-string limit
HOSTILE_ID = "%D9%A3"  # "٣", an Arabic-Indic 3


def _hostile_bodies(body) -> list[tuple[str, str]]:
    """(label, raw JSON) variants of a valid body: every integer with 5000 digits or beyond 64 bits,
    every string a lone surrogate, a NUL, or a non-ASCII digit where numbers are expected."""

    def swap(value, ints, text):
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return ints
        if isinstance(value, str):
            return text
        if isinstance(value, list):
            return [swap(v, ints, text) for v in value]
        if isinstance(value, dict):
            return {k: swap(v, ints, text) for k, v in value.items()}
        return value

    marker = "__HUGE_NUMBER__"
    huge = json.dumps(swap(body, marker, "Vải")).replace(f'"{marker}"', HUGE)
    return [
        ("5000-digit integers", huge),
        ("integers beyond 64 bits", json.dumps(swap(body, 2**64, "Vải"))),
        ("lone surrogates", json.dumps(swap(body, 1, "\ud800"))),
        ("NUL in text", json.dumps(swap(body, 1, "a\x00b"))),
        ("non-ASCII digits", json.dumps(swap(body, "٣", "²"))),
        ("surrogate field name", json.dumps({"\udfff": 1, **(body or {})})),
    ]


def test_hostile_values_never_answer_500(app, api, victim):
    """Every API route, as a stranger and as the objects' own household and co-op admin."""
    world, ids = victim
    walker = api.post(
        "/auth/register",
        {"email": "hostile@example.vn", "password": "mật-khẩu-vải-2026", "full_name": "H"},
    ).get_json()
    bodies = _bodies({**ids, "walker_id": walker["id"]})
    callers = {
        "anonymous": "",
        "buyer": world.buyer.token,
        "owner": world.household.token,
        "co-op admin": world.coop_admin.token,
    }
    calls = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in SKIP or not is_api_route(rule):
            continue
        params = re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)
        path = rule.rule
        for p in params:
            path = re.sub(rf"<(?:\w+:)?{p}>", str(ids[p]), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = bodies.get((method, rule.rule))
            for who, token in callers.items():
                if (method, rule.rule) in REVOKES and token:
                    continue  # the callers' tokens must stay valid for the rest of the walk
                requests = []
                if method in ("POST", "PATCH", "PUT"):
                    requests += [(path, raw) for _, raw in _hostile_bodies(body or {"x": 1})]
                else:
                    query = "page=²&per_page=٣&min_price=" + "9" * 30 + "&province_code=٣"
                    requests.append((f"{path}?{query}", None))
                if params:  # the same call naming its objects with non-ASCII digits
                    bad_path = rule.rule
                    for p in params:
                        bad_path = re.sub(rf"<(?:\w+:)?{p}>", HOSTILE_ID, bad_path)
                    requests.append((bad_path, json.dumps(body) if body else None))
                for target, raw in requests:
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    r = api.client.open(
                        target,
                        method=method,
                        data=raw,
                        content_type="application/json" if raw is not None else None,
                        headers=headers,
                    )
                    calls += 1
                    assert r.status_code < 500, (who, method, target[:80], r.get_data()[:300])
                    if r.status_code >= 400:
                        assert r.is_json and r.get_json()["error"]["code"], (who, method, target)
                    if target.endswith(HOSTILE_ID) or f"{HOSTILE_ID}/" in target:
                        assert r.status_code in (401, 404, 405), (who, method, target)
    assert calls > 300
    for who, token in callers.items():  # every call above was made as who it claims
        if token:
            assert api.call("GET", "/me", token=token).status_code == 200, who
