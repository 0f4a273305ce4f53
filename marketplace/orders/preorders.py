"""Pre-orders at checkout: who may pre-order, the deposit, and what a paid deposit does.

A pre-order product (catalogue/sale_mode.py) is ordered from its allowance like stock. Rules kept
here, so that checkout (services.place_order) only calls them:
- an order holding a pre-order product holds only that product (one line, one household): the
  harvest allocates seller orders, and a seller order holding a pre-order line and anything else
  could not be half confirmed (422 ``validation_error``, ``details.items``);
- it is paid now by card or bank transfer: cash on delivery is refused (422,
  ``details.payment_method``);
- the card is charged, or the VietQR code asks for, the deposit only: ``deposit_vnd = ceil(total_vnd × deposit_pct / 100)``,
  the payment's ``amount_vnd``; ``total_vnd`` stays the full price and the rest is paid on
  delivery;
- a paid deposit moves its seller order pending → ``pre_ordered`` (not ``confirmed``) and stamps
  ``deposit_paid_at``, the order in which the harvest (harvest.py) serves pre-orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import update

from ..catalogue.models import Product
from ..clock import utcnow
from ..errors import InvalidTransition, ValidationError
from ..extensions import db
from ..payments import bank_transfer
from ..payments.models import Payment
from .models import Order

PREPAID_METHODS = ("card", "bank_transfer")


def deposit_vnd(total_vnd: int, deposit_pct: int) -> int:
    """ceil(total × pct / 100) in integer VND."""
    return -(-total_vnd * deposit_pct // 100)


def check_items(data: Mapping[str, Any], products: Mapping[int, Product]) -> Product | None:
    """The pre-order product the order is for (None for an ordinary order); 422 when the order
    mixes it with other products or would pay it on delivery."""
    items = data["items"]
    pre_orders = [
        index
        for index, item in enumerate(items)
        if (product := products.get(item["product_id"])) is not None
        and product.sale_mode == "pre_order"
    ]
    if not pre_orders:
        return None
    errors: dict[str, Any] = {}
    if len(items) > 1:
        errors["items"] = {
            index: {"product_id": ["A pre-order is placed on its own, one product per order."]}
            for index in pre_orders
        }
    if data["payment_method"] not in PREPAID_METHODS:
        errors["payment_method"] = [
            "A pre-order pays its deposit now: choose card or bank transfer "
            "(cash on delivery is not possible)."
        ]
    if errors:
        raise ValidationError("This pre-order cannot be placed like this.", errors)
    return products[items[pre_orders[0]]["product_id"]]


def take_deposit(payment: Payment, order: Order, product: Product) -> None:
    """The payment charges the deposit only (``amount_vnd`` = ``deposit_vnd``)."""
    payment.deposit_vnd = deposit_vnd(order.total_vnd, product.deposit_pct)
    payment.amount_vnd = payment.deposit_vnd


def hold_sale_mode(product_ids: Iterable[int]) -> None:
    """The products are still pre-orders, checked in a write of this transaction (SQLite reads
    without locks): a harvest recorded since checkout read them refuses the order (409)."""
    ids = sorted(set(product_ids))
    held = db.session.execute(
        update(Product)
        .where(Product.id.in_(ids), Product.sale_mode == "pre_order")
        .values(sale_mode=Product.sale_mode, updated_at=Product.updated_at)  # a lock, no change
        .execution_options(synchronize_session=False)
    ).rowcount
    if held != len(ids):
        raise InvalidTransition(
            "The harvest was recorded meanwhile: this product is now sold from stock; "
            "order it again.",
            {"sale_mode": "in_stock", "action": "pre_order"},
        )


def is_pre_order(order: Order) -> bool:
    return order.payment is not None and order.payment.deposit_vnd is not None


def paid_action(order: Order) -> str:
    """What paying moves the seller orders along: ``pre_order`` for a deposit, else ``confirm``.
    A paid deposit is stamped with its time (the harvest's allocation order)."""
    if not is_pre_order(order):
        return "confirm"
    order.payment.deposit_paid_at = utcnow()
    return "pre_order"


def deposit_kept_vnd(payment: Payment) -> int:
    """What the platform keeps of a deposit: less what was refunded (card) or is owed back to
    the buyer (bank transfer, refunded by hand)."""
    if payment.method == "bank_transfer":
        return bank_transfer.kept_vnd(payment)
    return payment.amount_vnd - payment.refunded_vnd


def balance_due_vnd(order: Order) -> int:
    """What a pre-order still pays on delivery: its total less the deposit kept."""
    return max(order.total_vnd - deposit_kept_vnd(order.payment), 0)


def refuse_if_harvested_meanwhile(order: Order) -> None:
    """A pre-order whose harvest was recorded while its deposit was being charged was expired by
    the harvest, and the deposit that arrived after it refunded in full: 409, not a 201."""
    if is_pre_order(order) and order.status == "expired":
        raise InvalidTransition(
            "The harvest was recorded while your deposit was being paid: the deposit is "
            "refunded in full; order again from stock.",
            {"status": order.status, "action": "pre_order", "order_id": order.id},
        )
