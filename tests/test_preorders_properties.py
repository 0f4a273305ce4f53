"""Properties of the harvest allocation and of weighed lines, for random inputs (hypothesis).

The allocation is the same function the harvest endpoint and the household's preview use
(orders/harvest.py); weighed totals the same as the ship endpoint (orders/weighing.py)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.orders.harvest import PreOrder, allocate
from marketplace.orders.preorders import deposit_vnd
from marketplace.orders.weighing import weighed_line_total, weighed_total_vnd, weight_range_g

START = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def round_half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


@st.composite
def pre_orders(draw):
    count = draw(st.integers(min_value=0, max_value=25))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    result = []
    for seller_order_id in ids:
        quantity = draw(st.integers(1, 500))
        price = draw(st.integers(1_000, 200_000))
        pct = draw(st.integers(1, 100))
        result.append(
            PreOrder(
                seller_order_id=seller_order_id,
                # few distinct minutes: many ties on payment time
                paid_at=START + dt.timedelta(minutes=draw(st.integers(0, 5))),
                quantity=quantity,
                deposit_vnd=deposit_vnd(price * quantity, pct),
            )
        )
    return result


@settings(max_examples=400, deadline=None)
@given(pre_orders(), st.integers(min_value=0, max_value=20_000))
def test_the_allocation_keeps_its_rule_for_any_pre_orders_and_harvest(orders, harvest):
    allocation = allocate(orders, harvest)
    shares = allocation.shares
    # every pre-order is answered once, in deposit time order, ties by seller order id
    keys = [(s.pre_order.paid_at, s.pre_order.seller_order_id) for s in shares]
    assert keys == sorted(keys) and len(shares) == len(orders)
    # never more than the harvest; the rest is stock
    assert allocation.allocated <= harvest
    assert allocation.stock_added == harvest - allocation.allocated >= 0
    assert allocation.allocated == min(harvest, sum(o.quantity for o in orders))
    # whole lines, then at most one partial line, then none
    outcomes = [s.outcome for s in shares]
    assert outcomes.count("partial") <= 1
    first_short = next((i for i, o in enumerate(outcomes) if o != "filled"), len(outcomes))
    assert all(o == "filled" for o in outcomes[:first_short])
    assert all(o == "unfilled" for o in outcomes[first_short + 1 :])
    assert allocation.filled + allocation.partial + allocation.unfilled == len(orders)
    for share in shares:
        ordered, got = share.pre_order.quantity, share.allocated
        assert 0 <= got <= ordered
        # the deposit of the unfilled share, exactly, in VND (round half up)
        expected = round_half_up(Fraction(share.pre_order.deposit_vnd * (ordered - got), ordered))
        assert share.refund_vnd == expected
        if share.outcome == "unfilled":
            assert share.refund_vnd == share.pre_order.deposit_vnd
        if share.outcome == "filled":
            assert share.refund_vnd == 0


@settings(max_examples=200, deadline=None)
@given(pre_orders(), st.integers(min_value=0, max_value=20_000), st.randoms())
def test_the_allocation_does_not_depend_on_the_order_it_is_given_the_pre_orders(
    orders, harvest, rnd
):
    shuffled = list(orders)
    rnd.shuffle(shuffled)
    assert allocate(shuffled, harvest) == allocate(orders, harvest)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**9), st.integers(1, 100))
def test_the_deposit_is_the_percentage_rounded_up(total, pct):
    deposit = deposit_vnd(total, pct)
    assert deposit == -(-Fraction(total * pct, 100) // 1)
    assert 0 < deposit <= total


@st.composite
def weighed_lines(draw):
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        quantity = draw(st.integers(1, 50))
        low, high = weight_range_g(quantity)
        lines.append((draw(st.integers(1_000, 300_000)), quantity, draw(st.integers(low, high))))
    return lines


class Line:
    def __init__(self, price, quantity):
        self.unit_price_vnd = price
        self.quantity = quantity
        self.line_total_vnd = price * quantity


@settings(max_examples=400, deadline=None)
@given(weighed_lines(), st.booleans())
def test_weighed_totals_add_up_and_a_prepaid_order_is_never_charged_more(lines, prepaid):
    paid = sum(price * quantity for price, quantity, _ in lines)
    new_totals = []
    for price, quantity, grams in lines:
        line = Line(price, quantity)
        total = weighed_line_total(line, grams, prepaid=prepaid)
        exact = round_half_up(Fraction(price * grams, 1000))
        assert weighed_total_vnd(price, grams) == exact
        assert total == (min(exact, line.line_total_vnd) if prepaid else exact)
        assert quantity * 900 <= grams <= quantity * 1100
        new_totals.append(total)
    subtotal = sum(new_totals)
    if prepaid:
        refund = paid - subtotal
        assert refund >= 0  # never charged more
        assert subtotal + refund == paid  # what was paid = what it costs + what goes back
