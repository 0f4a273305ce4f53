"""`flask audit money`: what must always hold for stock and money, checked over the whole database.

- every product's stock equals the sum of its stock movements;
- every order adds up: lines = price × quantity (weighed lines: by weight), seller orders = Σ
  lines, order = Σ seller orders (+ shipping where it is recorded), its payment's amount = the
  order's total; a pre-order's payment charged its deposit (amount = deposit_vnd); a card payment
  = the total + what lighter weighed lines gave back (scope ``weighed-…``);
- no payment records more refunded than it took, and its refund rows add up to what it says;
- every bank-transfer payment received what its counted transfers add up to, and owes back no
  more than the transfers that named its order brought in;
- (with a payment provider) every card payment marked as charged has a succeeded PaymentIntent of
  the same amount and currency, and every PaymentIntent the provider charged for one of our
  payments is either that payment's own intent or refunded in full.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, literal, select, true

from ..catalogue.models import Product, StockMovement
from ..errors import AppError
from ..extensions import db
from ..orders.models import Order, OrderLine, SellerOrder
from ..payments.models import CHARGED, BankTransfer, Payment, Refund
from ..payments.stripe_client import StripeClient

PAGE = 100  # PaymentIntents read from the provider per request


@dataclass(frozen=True)
class Finding:
    check: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.subject}: {self.message}"


def audit(client: StripeClient | None) -> list[Finding]:
    """Every finding of every check (the provider checks only with a client)."""
    findings = [
        *stock_drift(),
        *orders_not_adding_up(),
        *refunds_beyond_charges(),
        *bank_transfers_not_adding_up(),
    ]
    if client is not None:
        findings += [*charges_without_intents(client), *intents_no_order_accounts_for(client)]
    return findings


def stock_drift() -> Iterator[Finding]:
    moved = (
        select(StockMovement.product_id, func.sum(StockMovement.delta).label("total"))
        .group_by(StockMovement.product_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Product.id, Product.stock_quantity, func.coalesce(moved.c.total, 0))
        .outerjoin(moved, moved.c.product_id == Product.id)
        .where(Product.stock_quantity != func.coalesce(moved.c.total, 0))
        .order_by(Product.id)
    )
    for product_id, stock, total in rows:
        yield Finding(
            "stock", f"product {product_id}", f"stock {stock} but its movements add up to {total}"
        )
    negative = db.session.scalars(select(Product.id).where(Product.stock_quantity < 0))
    for product_id in negative:
        yield Finding("stock", f"product {product_id}", "stock below zero")


def orders_not_adding_up() -> Iterator[Finding]:
    lines = db.session.scalars(
        select(OrderLine).where(
            # weighed lines are priced by their weight, not their quantity
            OrderLine.actual_weight_g.is_(None)
            if hasattr(OrderLine, "actual_weight_g")
            else true(),
            OrderLine.line_total_vnd != OrderLine.unit_price_vnd * OrderLine.quantity,
        )
    )
    for line in lines:
        yield Finding("order", f"line {line.id}", "line total is not unit price × quantity")
    line_sums = (
        select(OrderLine.seller_order_id, func.sum(OrderLine.line_total_vnd).label("total"))
        .group_by(OrderLine.seller_order_id)
        .subquery()
    )
    for seller_order_id, subtotal, total in db.session.execute(
        select(SellerOrder.id, SellerOrder.subtotal_vnd, line_sums.c.total)
        .join(line_sums, line_sums.c.seller_order_id == SellerOrder.id)
        .where(SellerOrder.subtotal_vnd != line_sums.c.total)
    ):
        yield Finding(
            "order", f"seller order {seller_order_id}", f"subtotal {subtotal} but lines {total}"
        )
    fee = getattr(SellerOrder, "shipping_fee_vnd", None)
    part_sums = (
        select(
            SellerOrder.order_id,
            func.sum(SellerOrder.subtotal_vnd).label("items_vnd"),
            func.sum(fee if fee is not None else literal(0)).label("shipping_vnd"),
        )
        .group_by(SellerOrder.order_id)
        .subquery()
    )
    weighed = (
        select(Refund.payment_id, func.sum(Refund.amount_vnd).label("total"))
        .where(Refund.scope.startswith("weighed-"))
        .group_by(Refund.payment_id)
        .subquery()
    )
    for order in db.session.execute(
        select(
            Order.number,
            Order.items_total_vnd,
            Order.total_vnd,
            part_sums.c.items_vnd,
            part_sums.c.shipping_vnd,
            Payment.amount_vnd,
            Payment.deposit_vnd,
            func.coalesce(weighed.c.total, 0),
        )
        .join(part_sums, part_sums.c.order_id == Order.id)
        .join(Payment, Payment.order_id == Order.id)
        .outerjoin(weighed, weighed.c.payment_id == Payment.id)
    ):
        number, items_total, total, items, shipping, paid, deposit, weighed_back = order
        if items_total != items:
            yield Finding("order", number, f"items total {items_total} but seller orders {items}")
        if total != items_total + (shipping or 0):
            yield Finding("order", number, f"total {total} is not items + shipping")
        if deposit is not None:
            if paid != deposit:
                yield Finding("order", number, f"payment amount {paid} but deposit {deposit}")
        elif paid != total + weighed_back:
            yield Finding("order", number, f"payment amount {paid} but order total {total}")


def refunds_beyond_charges() -> Iterator[Finding]:
    refund_sums = (
        select(Refund.payment_id, func.sum(Refund.amount_vnd).label("total"))
        .where(~Refund.scope.startswith("stray-"))  # second charges, refunded on their own intent
        .group_by(Refund.payment_id)
        .subquery()
    )
    for payment_id, amount, refunded, rows in db.session.execute(
        select(
            Payment.id,
            Payment.amount_vnd,
            Payment.refunded_vnd,
            func.coalesce(refund_sums.c.total, 0),
        )
        .outerjoin(refund_sums, refund_sums.c.payment_id == Payment.id)
        # Bank transfers are refunded by hand (rows `owed`): bank_transfers_not_adding_up().
        .where(Payment.method != "bank_transfer")
    ):
        if refunded > amount:
            yield Finding("refund", f"payment {payment_id}", f"refunded {refunded} of {amount}")
        if rows > refunded:
            yield Finding(
                "refund",
                f"payment {payment_id}",
                f"refund rows add up to {rows}, recorded {refunded}",
            )


def bank_transfers_not_adding_up() -> Iterator[Finding]:
    """Received = Σ transfers counted towards the order (partial, paid, overpaid); owed back
    (refund rows, owed or refunded) ≤ Σ incoming transfers that named the order."""
    counted = (
        select(
            BankTransfer.order_id,
            func.sum(BankTransfer.amount_vnd).label("total"),
        )
        .where(BankTransfer.outcome.in_(("partial", "paid", "overpaid")))
        .group_by(BankTransfer.order_id)
        .subquery()
    )
    brought = (
        select(BankTransfer.order_id, func.sum(BankTransfer.amount_vnd).label("total"))
        .where(BankTransfer.transfer_type == "in", BankTransfer.order_id.is_not(None))
        .group_by(BankTransfer.order_id)
        .subquery()
    )
    owed = (
        select(Refund.payment_id, func.sum(Refund.amount_vnd).label("total"))
        .group_by(Refund.payment_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Payment.id,
            Payment.amount_received_vnd,
            func.coalesce(counted.c.total, 0),
            func.coalesce(brought.c.total, 0),
            func.coalesce(owed.c.total, 0),
        )
        .outerjoin(counted, counted.c.order_id == Payment.order_id)
        .outerjoin(brought, brought.c.order_id == Payment.order_id)
        .outerjoin(owed, owed.c.payment_id == Payment.id)
        .where(Payment.method == "bank_transfer")
        .order_by(Payment.id)
    )
    for payment_id, received, counted_total, brought_total, owed_total in rows:
        if received != counted_total:
            yield Finding(
                "bank transfer",
                f"payment {payment_id}",
                f"received {received} but its transfers add up to {counted_total}",
            )
        if owed_total > brought_total:
            yield Finding(
                "bank transfer",
                f"payment {payment_id}",
                f"owes back {owed_total} of {brought_total} transferred",
            )


def charges_without_intents(client: StripeClient) -> Iterator[Finding]:
    charged = db.session.scalars(
        select(Payment).where(Payment.method == "card", Payment.status.in_(CHARGED))
    )
    for payment in charged:
        if not payment.provider_id:
            yield Finding("provider", f"payment {payment.id}", "charged without a PaymentIntent")
            continue
        try:
            intent = client.retrieve_payment_intent(payment.provider_id)
        except AppError as exc:
            yield Finding("provider", f"payment {payment.id}", f"intent unreadable: {exc.message}")
            continue
        if intent.get("status") != "succeeded":
            yield Finding(
                "provider",
                f"payment {payment.id}",
                f"marked {payment.status} but its intent is {intent.get('status')}",
            )
        elif intent.get("amount") != payment.amount_vnd:
            yield Finding(
                "provider", f"payment {payment.id}", f"intent amount {intent.get('amount')}"
            )


def _provider_intents(client: StripeClient) -> Iterator[dict]:
    after = None
    while True:
        page = client.list_payment_intents(limit=PAGE, starting_after=after)
        data = page.get("data") or []
        yield from data
        if not page.get("has_more") or not data:
            return
        after = data[-1]["id"]


def intents_no_order_accounts_for(client: StripeClient) -> Iterator[Finding]:
    """Succeeded intents whose metadata names one of our payments, that are neither that
    payment's intent nor refunded in full (at the provider)."""
    own = {
        payment_id: (intent_id, number)
        for payment_id, intent_id, number in db.session.execute(
            select(Payment.id, Payment.provider_id, Order.number).join(Order)
        )
    }
    for intent in _provider_intents(client):
        if intent.get("status") != "succeeded":
            continue
        metadata = intent.get("metadata") or {}
        raw = metadata.get("payment_id")
        if not (isinstance(raw, str) and raw.isascii() and raw.isdigit()):
            continue
        payment_id = int(raw)
        if payment_id not in own or metadata.get("order_number") != own[payment_id][1]:
            continue  # another database's payment (a test run, a staging copy)
        if own[payment_id][0] == intent["id"]:
            continue
        charges = (intent.get("charges") or {}).get("data") or []
        refunded = sum(int(c.get("amount_refunded") or 0) for c in charges)
        if refunded < (intent.get("amount") or 0):
            yield Finding(
                "provider",
                f"intent {intent['id']}",
                f"charged {intent.get('amount')} for payment {payment_id}, which is another intent,"
                f" and only {refunded} refunded",
            )
