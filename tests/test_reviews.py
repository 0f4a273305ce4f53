"""Reviews: a buyer who received the produce rates it once; the household replies once; the co-op
hides a review that breaks the rules (audited); products and households show their rating."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.reviews.models import Review
from tests.factories import new_user
from tests.orders_helpers import build_shop, order_body


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def deliver(household, seller_order_id: int) -> None:
    assert household.api.post(f"/seller-orders/{seller_order_id}/ship", {}).status_code == 200
    assert household.api.post(f"/seller-orders/{seller_order_id}/deliver").status_code == 200


def buy(shop, buyer, product_id: int, quantity: int = 1, *, delivered: bool = True) -> dict:
    order = buyer.api.post("/orders", order_body([(product_id, quantity)])).get_json()
    if delivered:
        deliver(shop.household, order["seller_orders"][0]["id"])
    return order


def reviews_stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Review.id)))


def test_buyer_who_received_lychee_reviews_it_and_the_rating_shows(app, api, shop):
    buy(shop, shop.buyer, shop.lychee["id"])

    r = shop.buyer.api.post(
        f"/products/{shop.lychee['id']}/reviews", {"rating": 4, "text": "Vải ngọt, quả to."}
    )

    assert r.status_code == 201, r.get_json()
    review = r.get_json()
    assert review["rating"] == 4 and review["text"] == "Vải ngọt, quả to."
    assert review["author_name"] == "Anh Đ."  # Đỗ Minh Anh: never the full name
    assert review["reply"] is None and review["status"] == "visible"
    listed = api.get(f"/products/{shop.lychee['id']}/reviews").get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == review["id"]
    product = api.get(f"/products/{shop.lychee['id']}").get_json()
    assert product["rating"] == {"average": 4.0, "count": 1}
    seller = api.get(f"/sellers/{shop.household.seller['id']}").get_json()
    assert seller["rating"] == {"average": 4.0, "count": 1}


def test_ratings_average_over_buyers(app, api, shop):
    for stars in (5, 4, 4):
        buyer = new_user(api, "Phan Thị Lan")
        buy(shop, buyer, shop.lychee["id"])
        r = buyer.api.post(f"/products/{shop.lychee['id']}/reviews", {"rating": stars})
        assert r.status_code == 201
    assert api.get(f"/products/{shop.lychee['id']}").get_json()["rating"] == {
        "average": 4.33,
        "count": 3,
    }


def test_only_a_buyer_with_a_delivered_order_may_review(app, api, shop):
    path = f"/products/{shop.lychee['id']}/reviews"
    # Ordered but not delivered yet.
    buy(shop, shop.buyer, shop.lychee["id"], delivered=False)
    assert shop.buyer.api.post(path, {"rating": 5}).status_code == 403
    # Delivered, but of another product.
    buy(shop, shop.buyer, shop.rice["id"], 2)
    assert shop.buyer.api.post(path, {"rating": 5}).status_code == 403
    # The household itself, a co-op admin, anonymous.
    assert shop.household.api.post(path, {"rating": 5}).status_code == 403
    assert shop.world.coop_admin.api.post(path, {"rating": 5}).status_code == 403
    assert api.post(path, {"rating": 5}).status_code == 401
    assert reviews_stored(app) == 0


def test_one_review_per_buyer_and_product(app, api, shop):
    buy(shop, shop.buyer, shop.lychee["id"])
    buy(shop, shop.buyer, shop.lychee["id"])
    path = f"/products/{shop.lychee['id']}/reviews"
    assert shop.buyer.api.post(path, {"rating": 5}).status_code == 201

    r = shop.buyer.api.post(path, {"rating": 1, "text": "Đổi ý"})

    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    assert reviews_stored(app) == 1
    assert api.get(f"/products/{shop.lychee['id']}").get_json()["rating"]["count"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 0},
        {"rating": 6},
        {"rating": 4.5},
        {"rating": "5"},
        {},
        {"rating": 3, "text": "x" * 2001},
    ],
)
def test_bad_reviews_are_422_and_nothing_is_written(app, api, shop, body):
    buy(shop, shop.buyer, shop.lychee["id"])
    r = shop.buyer.api.post(f"/products/{shop.lychee['id']}/reviews", body)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    assert reviews_stored(app) == 0


def test_text_of_2000_characters_is_accepted(app, api, shop):
    buy(shop, shop.buyer, shop.lychee["id"])
    r = shop.buyer.api.post(
        f"/products/{shop.lychee['id']}/reviews", {"rating": 3, "text": "v" * 2000}
    )
    assert r.status_code == 201


def test_household_replies_once(app, api, shop):
    buy(shop, shop.buyer, shop.lychee["id"])
    review = shop.buyer.api.post(f"/products/{shop.lychee['id']}/reviews", {"rating": 2}).get_json()
    path = f"/reviews/{review['id']}/reply"
    assert shop.other_household.api.post(path, {"text": "?"}).status_code == 403
    assert shop.buyer.api.post(path, {"text": "?"}).status_code == 403

    r = shop.household.api.post(path, {"text": "Cảm ơn chị, lần sau nhà em chọn quả kỹ hơn."})

    assert r.status_code == 200
    assert r.get_json()["reply"]["text"] == "Cảm ơn chị, lần sau nhà em chọn quả kỹ hơn."
    assert shop.household.api.post(path, {"text": "Lần hai"}).status_code == 409
    listed = api.get(f"/products/{shop.lychee['id']}/reviews").get_json()["items"][0]
    assert listed["reply"]["text"].startswith("Cảm ơn chị")


def test_coop_admin_hides_a_review_it_is_audited_and_leaves_the_rating(app, api, shop):
    buy(shop, shop.buyer, shop.lychee["id"])
    review = shop.buyer.api.post(
        f"/products/{shop.lychee['id']}/reviews", {"rating": 1, "text": "Quảng cáo: mua vải rẻ ở…"}
    ).get_json()
    path = f"/reviews/{review['id']}/hide"
    assert shop.household.api.post(path, {"reason": "Không thích"}).status_code == 403
    assert shop.world.other_coop_admin.api.post(path, {"reason": "x"}).status_code == 403

    r = shop.world.coop_admin.api.post(path, {"reason": "Quảng cáo"})

    assert r.status_code == 200 and r.get_json()["status"] == "hidden"
    assert api.get(f"/products/{shop.lychee['id']}/reviews").get_json()["total"] == 0
    assert api.get(f"/products/{shop.lychee['id']}").get_json()["rating"] == {
        "average": None,
        "count": 0,
    }
    seller = api.get(f"/sellers/{shop.household.seller['id']}").get_json()
    assert seller["rating"]["count"] == 0
    audit = shop.world.coop_admin.api.get(f"/coops/{shop.world.coop['id']}/audit").get_json()
    entry = audit["items"][0]
    assert (entry["action"], entry["target_type"], entry["target_id"], entry["reason"]) == (
        "review.hide",
        "review",
        review["id"],
        "Quảng cáo",
    )
    assert shop.world.coop_admin.api.post(path, {"reason": "again"}).status_code == 409
    # Hidden: the public no longer finds it, the household cannot reply to it.
    assert shop.buyer.api.post(f"/reviews/{review['id']}/reply", {"text": "?"}).status_code == 404


def test_reviews_of_an_unpublished_product_are_not_found(app, api, shop):
    buy(shop, shop.buyer, shop.lychee["id"])
    assert shop.household.api.post(f"/products/{shop.lychee['id']}/pause").status_code == 200
    assert api.get(f"/products/{shop.lychee['id']}/reviews").status_code == 404
    r = shop.buyer.api.post(f"/products/{shop.lychee['id']}/reviews", {"rating": 5})
    assert r.status_code == 404
