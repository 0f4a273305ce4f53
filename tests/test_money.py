"""Money to households: commission fixed at checkout, the append-only ledger written at delivery,
balances with the payout hold, COD cash remitted by the co-op, payout batches with a VietQR per
household, and the invariants that keep every VND accounted for."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from marketplace.extensions import db
from marketplace.money.arithmetic import commission_of, round_half_up
from marketplace.money.models import LedgerEntry
from marketplace.payments.vietqr import crc16_ccitt_false, parse
from tests.orders_helpers import build_shop, order_body

ACCOUNT = {"bank_bin": "970436", "account_no": "0123456789", "account_name": "Nguyễn Văn Tư"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PAYOUT_HOLD_DAYS": 0}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


@pytest.fixture
def admin(shop):
    return shop.world.admin


def delivered_cod_order(shop, items):
    order = shop.buyer.api.post("/orders", order_body(items)).get_json()
    for part in order["seller_orders"]:
        actor = (
            shop.household
            if part["seller"]["id"] == shop.household.seller["id"]
            else (shop.other_household)
        )
        assert actor.api.post(f"/seller-orders/{part['id']}/ship").status_code == 200
        assert actor.api.post(f"/seller-orders/{part['id']}/deliver").status_code == 200
    return order


def balance(actor, seller_id):
    r = actor.api.get(f"/sellers/{seller_id}/balance")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_cod_order_becomes_a_payout_with_a_scannable_vietqr_and_every_vnd_in_the_ledger(
    app, shop, admin
):
    coop_id = shop.world.coop["id"]
    r = admin.api.patch(f"/coops/{coop_id}", {"commission_bps": 1000})
    assert r.status_code == 200 and r.get_json()["commission_bps"] == 1000

    order = delivered_cod_order(shop, [(shop.lychee["id"], 2)])  # 2 × 45 000
    part = order["seller_orders"][0]
    assert part["commission_vnd"] == 9_000
    seller_id = shop.household.seller["id"]
    ledger = shop.household.api.get(f"/sellers/{seller_id}/ledger").get_json()["items"]
    assert [(e["kind"], e["amount_vnd"], e["balance_after_vnd"]) for e in ledger] == [
        ("commission", -9_000, 81_000),
        ("sale", 90_000, 90_000),
    ]
    # Cash collected on delivery is pending until the co-op hands it over.
    assert balance(shop.household, seller_id) == {
        "pending_vnd": 81_000,
        "available_vnd": 0,
        "paid_out_vnd": 0,
        "held_vnd": 0,
    }
    owed = shop.world.coop_admin.api.get(f"/coops/{coop_id}/cod-outstanding").get_json()
    assert owed["total_vnd"] == 90_000
    assert [i["seller_order_id"] for i in owed["items"]] == [part["id"]]

    body = {"seller_order_ids": [part["id"]], "amount_vnd": 89_000, "reference": "PT-0001"}
    r = admin.api.post(f"/coops/{coop_id}/cod-remittances", body)
    assert r.status_code == 422 and "amount_vnd" in r.get_json()["error"]["details"]
    r = admin.api.post(f"/coops/{coop_id}/cod-remittances", {**body, "amount_vnd": 90_000})
    assert r.status_code == 201, r.get_json()
    r = admin.api.post(f"/coops/{coop_id}/cod-remittances", {**body, "amount_vnd": 90_000})
    assert r.status_code == 409
    assert shop.world.coop_admin.api.get(f"/coops/{coop_id}/cod-outstanding").get_json() == {
        "items": [],
        "total_vnd": 0,
    }
    assert balance(shop.household, seller_id)["available_vnd"] == 81_000

    r = shop.household.api.patch(f"/sellers/{seller_id}", {"payout_account": ACCOUNT})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["payout_account"] == {**ACCOUNT, "account_name": "NGUYEN VAN TU"}

    batch = admin.api.post("/payouts", {})
    assert batch.status_code == 201, batch.get_json()
    batch = batch.get_json()
    mine = [i for i in batch["items"] if i["seller_id"] == seller_id]
    assert len(mine) == 1 and mine[0]["amount_vnd"] == 81_000
    fields = parse(mine[0]["vietqr"])
    merchant = parse(fields["38"])
    assert parse(merchant["01"]) == {"00": "970436", "01": "0123456789"}
    assert (fields["53"], fields["54"], fields["58"]) == ("704", "81000", "VN")
    payload = mine[0]["vietqr"]
    assert payload[-4:] == f"{crc16_ccitt_false(payload[:-4].encode()):04X}"

    held = balance(shop.household, seller_id)
    assert (held["available_vnd"], held["held_vnd"]) == (0, 81_000)
    again = admin.api.post("/payouts", {}).get_json()
    assert [i for i in again["items"] if i["seller_id"] == seller_id] == []  # held once

    exported = admin.api.get(f"/payouts/{batch['id']}/export.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0] == ["bank_bin", "account_no", "account_name", "amount_vnd", "description"]
    assert rows[1][:4] == ["970436", "0123456789", "NGUYEN VAN TU", "81000"]

    paid = admin.api.post(
        f"/payouts/{batch['id']}/items/{mine[0]['id']}/paid", {"reference": "FT26341"}
    )
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid"
    again = admin.api.post(
        f"/payouts/{batch['id']}/items/{mine[0]['id']}/paid", {"reference": "FT26341"}
    )
    assert again.status_code == 409
    assert balance(shop.household, seller_id) == {
        "pending_vnd": 0,
        "available_vnd": 0,
        "paid_out_vnd": 81_000,
        "held_vnd": 0,
    }
    ledger = shop.household.api.get(f"/sellers/{seller_id}/ledger").get_json()["items"]
    assert (ledger[0]["kind"], ledger[0]["amount_vnd"], ledger[0]["balance_after_vnd"]) == (
        "payout",
        -81_000,
        0,
    )


def test_earnings_wait_for_the_hold_after_delivery(app, shop):
    app.config["PAYOUT_HOLD_DAYS"] = 2.5
    order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)])).get_json()
    part = order["seller_orders"][0]["id"]
    shop.household.api.post(f"/seller-orders/{part}/ship")
    shop.household.api.post(f"/seller-orders/{part}/deliver")
    seller_id = shop.household.seller["id"]
    assert balance(shop.household, seller_id)["pending_vnd"] == 45_000 - 2_250
    assert balance(shop.household, seller_id)["available_vnd"] == 0


def test_money_is_private_to_the_household_its_coop_and_admins(app, api, shop, admin):
    from tests.factories import new_user

    seller_id = shop.household.seller["id"]
    strangers = (shop.buyer, shop.other_household, new_user(api), shop.world.other_coop_admin)
    for stranger in strangers:
        assert stranger.api.get(f"/sellers/{seller_id}/balance").status_code == 404
        assert stranger.api.get(f"/sellers/{seller_id}/ledger").status_code == 404
        assert stranger.api.post("/payouts", {}).status_code == 403
    for insider in (shop.household, shop.world.coop_admin, admin):
        assert insider.api.get(f"/sellers/{seller_id}/balance").status_code == 200
    coop_id = shop.world.coop["id"]
    assert (
        shop.world.coop_admin.api.post(
            f"/coops/{coop_id}/cod-remittances",
            {"seller_order_ids": [1], "amount_vnd": 1, "reference": "x"},
        ).status_code
        == 403
    )
    assert shop.household.api.patch(f"/coops/{coop_id}", {"commission_bps": 0}).status_code == 403


@pytest.mark.parametrize(
    "account, field",
    [
        ({**ACCOUNT, "bank_bin": "123456"}, "bank_bin"),
        ({**ACCOUNT, "account_no": "01234ABC89"}, "account_no"),
        ({**ACCOUNT, "account_no": "12345"}, "account_no"),
        ({**ACCOUNT, "account_name": "  !!  "}, "account_name"),
    ],
)
def test_a_bad_bank_account_is_refused_with_details_and_nothing_changes(shop, account, field):
    seller_id = shop.household.seller["id"]
    r = shop.household.api.patch(f"/sellers/{seller_id}", {"payout_account": account})
    assert r.status_code == 422
    assert field in r.get_json()["error"]["details"]["payout_account"]
    assert shop.household.api.get(f"/sellers/{seller_id}").get_json()["payout_account"] is None


def test_a_remittance_for_another_coops_seller_order_is_refused(app, api, shop, admin):
    order = delivered_cod_order(shop, [(shop.lychee["id"], 1)])
    part = order["seller_orders"][0]
    r = admin.api.post(
        f"/coops/{shop.world.other_coop['id']}/cod-remittances",
        {"seller_order_ids": [part["id"]], "amount_vnd": 45_000, "reference": "x"},
    )
    assert r.status_code == 422
    assert (
        shop.world.coop_admin.api.get(f"/coops/{shop.world.coop['id']}/cod-outstanding").get_json()[
            "total_vnd"
        ]
        == 45_000
    )


def test_ledger_entries_cannot_be_changed(app, shop):
    delivered_cod_order(shop, [(shop.lychee["id"], 1)])
    with app.app_context():
        entry = db.session.scalars(select(LedgerEntry)).first()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(
                text("UPDATE ledger_entries SET amount_vnd = 1 WHERE id = :id"), {"id": entry.id}
            )
        db.session.rollback()


# ---- invariants ----------------------------------------------------------------------------


@given(
    numerator=st.integers(min_value=-(10**15), max_value=10**15),
    denominator=st.integers(min_value=1, max_value=10**6),
)
def test_round_half_up_is_the_nearest_integer_with_halves_away_from_zero(numerator, denominator):
    result = round_half_up(numerator, denominator)
    assert abs(2 * (numerator - result * denominator)) <= denominator
    if 2 * abs(numerator - result * denominator) == denominator:
        assert abs(result * denominator) > abs(numerator)  # a half goes away from zero


@given(
    subtotal=st.integers(min_value=1, max_value=10**10),
    bps=st.integers(min_value=0, max_value=10_000),
)
def test_commission_is_between_zero_and_the_subtotal(subtotal, bps):
    commission = commission_of(subtotal, bps)
    assert 0 <= commission <= subtotal
    assert abs(commission * 10_000 - subtotal * bps) <= 5_000


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("order"), st.integers(0, 1), st.integers(1, 4)),
        st.tuples(st.just("remit"), st.integers(0, 5)),
        st.tuples(st.just("batch"), st.integers(1, 200_000)),
        st.tuples(st.just("pay"), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_no_money_is_created_or_lost_whatever_happens(app, api, shop, admin, ops):
    """Random orders, deliveries, remittances, payout batches and paid items: for every household
    Σ entries = pending + available + held, what buyers paid = earnings + commission, and no
    payout ever exceeds what was available."""
    coop_id = shop.world.coop["id"]
    for actor in (shop.household, shop.other_household):
        actor.api.patch(f"/sellers/{actor.seller['id']}", {"payout_account": ACCOUNT})
    products = [shop.lychee, shop.longan]
    delivered: list[dict] = []
    for op in ops:
        if op[0] == "order":
            product = products[op[1]]
            order = shop.buyer.api.post("/orders", order_body([(product["id"], op[2])]))
            if order.status_code != 201:
                continue
            delivered.append(delivered_cod_order_from(shop, order.get_json()))
        elif op[0] == "remit":
            owed = admin.api.get(f"/coops/{coop_id}/cod-outstanding").get_json()["items"]
            chosen = owed[: op[1]]
            if chosen:
                r = admin.api.post(
                    f"/coops/{coop_id}/cod-remittances",
                    {
                        "seller_order_ids": [i["seller_order_id"] for i in chosen],
                        "amount_vnd": sum(i["amount_vnd"] for i in chosen),
                        "reference": "PT",
                    },
                )
                assert r.status_code == 201
        elif op[0] == "batch":
            before = {
                a.seller["id"]: balance(admin, a.seller["id"])["available_vnd"]
                for a in (shop.household, shop.other_household)
            }
            batch = admin.api.post("/payouts", {"min_amount_vnd": op[1]}).get_json()
            for item in batch["items"]:
                if item["seller_id"] in before:
                    assert item["amount_vnd"] == before[item["seller_id"]] >= op[1]
        else:
            batches = admin.api.get("/payouts").get_json()["items"]
            held = [
                (b["id"], i["id"]) for b in batches for i in b["items"] if i["status"] == "held"
            ]
            for batch_id, item_id in held[: op[1]]:
                r = admin.api.post(f"/payouts/{batch_id}/items/{item_id}/paid", {"reference": "FT"})
                assert r.status_code == 200
        _check_invariants(app, admin, shop)


def delivered_cod_order_from(shop, order):
    for part in order["seller_orders"]:
        actor = (
            shop.household
            if part["seller"]["id"] == shop.household.seller["id"]
            else (shop.other_household)
        )
        actor.api.post(f"/seller-orders/{part['id']}/ship")
        actor.api.post(f"/seller-orders/{part['id']}/deliver")
    return order


def _check_invariants(app, admin, shop):
    with app.app_context():
        from sqlalchemy import func

        from marketplace.orders.models import SellerOrder

        for actor in (shop.household, shop.other_household):
            seller_id = actor.seller["id"]
            entries = db.session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.seller_id == seller_id)
                .order_by(LedgerEntry.id)
            ).all()
            total = sum(e.amount_vnd for e in entries)
            running = 0
            for e in entries:
                running += e.amount_vnd
                assert e.balance_after_vnd == running
                assert running >= 0
            b = balance(admin, seller_id)
            assert total == b["pending_vnd"] + b["available_vnd"] + b["held_vnd"]
            assert b["available_vnd"] >= 0 and b["held_vnd"] >= 0
            sold, commission = db.session.execute(
                select(
                    func.coalesce(func.sum(SellerOrder.subtotal_vnd), 0),
                    func.coalesce(func.sum(SellerOrder.commission_vnd), 0),
                ).where(SellerOrder.seller_id == seller_id, SellerOrder.status == "delivered")
            ).one()
            kinds = {
                k: sum(e.amount_vnd for e in entries if e.kind == k)
                for k in ("sale", "commission", "payout")
            }
            # What buyers paid for delivered goods = the household's earnings + the commission.
            assert kinds["sale"] == sold
            assert -kinds["commission"] == commission
            assert total == sold - commission + kinds["payout"]
            assert -kinds["payout"] == b["paid_out_vnd"]


# ---- races ---------------------------------------------------------------------------------


def _post_as(app, actor, path, body):
    return app.test_client().post(
        f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {actor.token}"}
    )


@pytest.mark.races
def test_two_batches_made_at_once_never_hold_the_same_money(app, shop, admin):
    import concurrent.futures as cf

    seller_id = shop.household.seller["id"]
    shop.household.api.patch(f"/sellers/{seller_id}", {"payout_account": ACCOUNT})
    order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 2)])).get_json()
    delivered_cod_order_from(shop, order)
    part = order["seller_orders"][0]
    admin.api.post(
        f"/coops/{shop.world.coop['id']}/cod-remittances",
        {"seller_order_ids": [part["id"]], "amount_vnd": 90_000, "reference": "PT"},
    )
    with cf.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _post_as(app, admin, "/payouts", {}), range(4)))
    assert [a.status_code for a in answers] == [201] * 4
    held = [i for a in answers for i in a.get_json()["items"] if i["seller_id"] == seller_id]
    assert [i["amount_vnd"] for i in held] == [85_500]  # one batch holds it, the others nothing

    batch_id = next(a.get_json()["id"] for a in answers if a.get_json()["items"])
    path = f"/payouts/{batch_id}/items/{held[0]['id']}/paid"
    with cf.ThreadPoolExecutor(4) as pool:
        statuses = sorted(
            pool.map(
                lambda _: _post_as(app, admin, path, {"reference": "FT"}).status_code, range(4)
            )
        )
    assert statuses == [200, 409, 409, 409]
    with app.app_context():
        payouts = db.session.scalars(
            select(LedgerEntry.amount_vnd).where(LedgerEntry.kind == "payout")
        ).all()
    assert payouts == [-85_500]


# ---- pages ---------------------------------------------------------------------------------


def test_the_money_pages_take_a_household_from_delivery_to_a_paid_payout(app, shop, admin):
    from tests.web import browser, text

    order = delivered_cod_order(shop, [(shop.lychee["id"], 2)])
    part = order["seller_orders"][0]
    coop_id = shop.world.coop["id"]

    household = browser(app, shop.household.user["email"])
    page = household.post(
        "/dashboard/money",
        {"bank_bin": "970436", "account_no": "0123456789", "account_name": "Nguyễn Văn Tư"},
    )
    assert page.status_code == 302
    page = household.get("/dashboard/money")
    assert "NGUYEN VAN TU" in text(page) and 'data-testid="ledger-entry"' in text(page)
    assert "85.500" in text(page)  # pending: 90 000 − 5 % commission

    coop = browser(app, shop.world.coop_admin.user["email"])
    page = coop.get(f"/coop/{coop_id}/cod")
    assert page.status_code == 200 and f"#{part['id']}" in text(page)

    admin.api.post(
        f"/coops/{coop_id}/cod-remittances",
        {"seller_order_ids": [part["id"]], "amount_vnd": 90_000, "reference": "PT-9"},
    )
    treasurer = browser(app, admin.user["email"])
    made = treasurer.post("/admin/payouts")
    assert made.status_code == 302
    batch_page = treasurer.get(made.headers["Location"])
    assert batch_page.status_code == 200
    assert "<svg" in text(batch_page) and "NGUYEN VAN TU" in text(batch_page)
    batch = admin.api.get("/payouts").get_json()["items"][0]
    item = batch["items"][0]
    done = treasurer.post(
        f"/admin/payouts/{batch['id']}/items/{item['id']}/paid", {"reference": "FT-1"}
    )
    assert done.status_code == 302
    assert balance(shop.household, shop.household.seller["id"])["paid_out_vnd"] == 85_500
    # Only a platform admin reaches the payout pages.
    assert household.get("/admin/payouts").status_code == 403
