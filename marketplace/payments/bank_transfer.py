"""Bank transfer by VietQR: the receiving account, the buyer's code, and the bank notifier's
transactions matched to orders.

A buyer's order waits for payment with a `reference` (its number without separators). The bank
notifier (SePay's webhook shape) reports every transaction on the platform's account; each is
stored once under the notifier's id (UNIQUE: a replay, even a concurrent one, changes nothing) and
matched by finding a reference in its text. Amounts add up with one atomic UPDATE under the
order's row lock; money that is not owed to us (too much, too late, or for an order cancelled after
it was paid) becomes a Refund row `owed`, refunded by hand and listed for the platform admin.
"""

from __future__ import annotations

import hmac
import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import segno
from flask import current_app
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..clock import utcnow
from ..errors import Conflict, InvalidTransition, NotFound, PaymentsUnavailable, Unauthorized
from ..extensions import db
from . import vietqr
from .models import PAYMENTS, BankTransfer, Payment, Refund

if TYPE_CHECKING:  # payments never import orders at run time: orders use payments
    from ..orders.models import Order, SellerOrder

METHOD = "bank_transfer"
# What a matched incoming transfer does to its order: registered by the orders package
# (orders/bank_transfers.py), which locks the order and calls apply_to_locked_order().
_ORDER_HANDLER: list[Callable[[BankTransfer, int], None]] = []


def applies_to_orders(handler: Callable[[BankTransfer, int], None]):
    """Register the function that applies a matched transfer to the order of that id."""
    _ORDER_HANDLER[:] = [handler]
    return handler


_SETTINGS = ("VIETQR_BANK_BIN", "VIETQR_ACCOUNT_NO", "VIETQR_ACCOUNT_NAME", "BANK_WEBHOOK_API_KEY")
# An order number as banks carry it: NS + the date (6 digits) + 7 characters of its alphabet.
_REFERENCE = re.compile(r"(?=(NS\d{6}[23456789A-HJ-NP-Z]{7}))")


# ---- the receiving account and the buyer's code -------------------------------------------


def require_available() -> None:
    """PaymentsUnavailable (503) unless the receiving account and the notifier's key are set."""
    if not available():
        raise PaymentsUnavailable("Bank transfer is not available.")


def available() -> bool:
    """Whether buyers may pick bank transfer (the checkout page offers it only then)."""
    return all(current_app.config.get(name) for name in _SETTINGS)


def receiving_account() -> dict[str, str] | None:
    """{bank_bin, account_no, account_name} of the platform's account, or None when unset."""
    config = current_app.config
    if not all(config.get(name) for name in _SETTINGS[:3]):
        return None
    return {
        "bank_bin": config["VIETQR_BANK_BIN"],
        "account_no": config["VIETQR_ACCOUNT_NO"],
        "account_name": config["VIETQR_ACCOUNT_NAME"],
        "bank_name": vietqr.bank_name(config["VIETQR_BANK_BIN"]),
    }


def outstanding_vnd(payment: Payment) -> int:
    return max(payment.amount_vnd - payment.amount_received_vnd, 0)


def qr_payload(payment: Payment) -> str | None:
    """The VietQR the buyer scans: the amount still due and the reference, while the order
    awaits payment (None otherwise, or when the receiving account is not configured)."""
    account = receiving_account()
    if (
        payment.method != METHOD
        or account is None
        or payment.reference is None
        or payment.order.status != "awaiting_payment"
        or outstanding_vnd(payment) <= 0
    ):
        return None
    return vietqr.transfer_payload(
        account["bank_bin"], account["account_no"], outstanding_vnd(payment), payment.reference
    )


def qr_svg(order: Order) -> bytes:
    """The order's VietQR as an SVG image (404 for other payment methods, 409 once it is no
    longer awaiting payment)."""
    if order.payment.method != METHOD:
        raise NotFound("This order is not paid by bank transfer.")
    payload = qr_payload(order.payment)
    if payload is None:
        raise Conflict(
            f"The order is '{order.status}'; there is nothing to pay.",
            {"status": order.status},
        )
    out = io.BytesIO()
    _qr(payload).save(out, kind="svg", scale=6, border=4, title="VietQR " + order.number)
    return out.getvalue()


def qr_svg_inline(payload: str, title: str) -> str:
    """``payload`` as an <svg> element for a page."""
    return _qr(payload).svg_inline(scale=5, border=4, title=title)


def _qr(payload: str) -> segno.QRCode:
    # Error correction M, as banks print VietQR; the quiet zone of 4 modules the QR standard asks.
    return segno.make_qr(payload, error="m")


# ---- money owed back to the buyer ---------------------------------------------------------


def owe_back(
    payment: Payment,
    amount: int,
    *,
    scope: str,
    reason: str,
    seller_order: SellerOrder | None = None,
) -> Refund | None:
    """Record ``amount`` as owed back to the buyer (refunded by hand); once per ``scope``."""
    if amount <= 0:
        return None
    record = Refund(
        payment=payment,
        seller_order=seller_order,
        scope=scope,
        amount_vnd=amount,
        status="owed",
        reason=reason,
    )
    db.session.add(record)
    db.session.flush()
    return record


def owe_received_back(order: Order, reason: str) -> Refund | None:
    """An order that will never be paid (expired) gives back whatever had arrived for it."""
    payment = order.payment
    return owe_back(payment, payment.amount_received_vnd, scope=f"order-{order.id}", reason=reason)


def owe_for_cancel(order: Order, reason: str) -> Refund | None:
    """The buyer cancelled a paid order: what it cost, less the parts already owed back."""
    return owe_back(
        order.payment, kept_vnd(order.payment), scope=f"order-{order.id}", reason=reason
    )


def kept_vnd(payment: Payment) -> int:
    """What the platform keeps of the money counted towards the order: what arrived (up to what
    was due) less the parts already owed back (a household's cancelled part, a harvest's
    shortfall, a lighter weighed line)."""
    owed_parts = sum(r.amount_vnd for r in payment.refunds if r.seller_order_id is not None)
    return max(min(payment.amount_received_vnd, payment.amount_vnd) - owed_parts, 0)


def owe_for_part(order: Order, seller_order: SellerOrder, reason: str) -> Refund | None:
    """A household cancelled its part of a paid order: what was paid for it, its lines and its
    delivery, is owed back, as a card is refunded both (never more than what was paid and not
    yet owed back: a pre-order's deposit)."""
    if order.payment.amount_received_vnd <= 0:
        return None
    paid_for_part = seller_order.subtotal_vnd + seller_order.shipping_fee_vnd
    return owe_back(
        order.payment,
        min(paid_for_part, kept_vnd(order.payment)),
        scope=f"seller-order-{seller_order.id}",
        reason=reason,
        seller_order=seller_order,
    )


# ---- the notifier's transactions ----------------------------------------------------------


def check_api_key(authorization: str | None) -> None:
    """`Authorization: Apikey <BANK_WEBHOOK_API_KEY>`, compared in constant time (401 else);
    503 when no key is configured."""
    key = current_app.config.get("BANK_WEBHOOK_API_KEY")
    if not key:
        raise PaymentsUnavailable("The bank-transfer webhook is not configured.")
    scheme, _, given = (authorization or "").strip().partition(" ")
    expected = key.encode("utf-8")
    if scheme.lower() != "apikey" or not hmac.compare_digest(
        given.strip().encode("utf-8"), expected
    ):
        raise Unauthorized("A valid `Authorization: Apikey …` header is required.")


def references_in(text: str | None) -> list[str]:
    """Order references found in a transfer's text, in the order they appear."""
    folded = vietqr.bank_reference(text or "")
    return list(dict.fromkeys(match.group(1) for match in _REFERENCE.finditer(folded)))


def _payment_named_in(text: str | None) -> Payment | None:
    candidates = references_in(text)
    if not candidates:
        return None
    found = {
        payment.reference: payment
        for payment in db.session.scalars(
            select(Payment).where(Payment.method == METHOD, Payment.reference.in_(candidates))
        )
    }
    return next((found[ref] for ref in candidates if ref in found), None)


def receive(tx: dict[str, Any]) -> BankTransfer | None:
    """Store and apply one transaction (fields loaded by BankTransferNotificationSchema);
    None when its id was handled before (a replay changes nothing)."""
    record = BankTransfer(
        provider_id=tx["id"],
        gateway=tx.get("gateway"),
        transaction_at=tx.get("transaction_at"),
        account_number=tx.get("account_number"),
        code=tx.get("code"),
        content=tx.get("content"),
        transfer_type=tx["transfer_type"],
        amount_vnd=tx["transfer_amount"],
        accumulated_vnd=tx.get("accumulated"),
        sub_account=tx.get("sub_account"),
        reference_code=tx.get("reference_code"),
        description=tx.get("description"),
        outcome="received",
        applied_vnd=0,
        owed_back_vnd=0,
    )
    db.session.add(record)
    try:
        # The UNIQUE id decides: a concurrent duplicate waits for this insert, then fails.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    if record.transfer_type == "out":
        record.outcome = "outgoing"
        return record
    payment = _payment_named_in(record.content) or _payment_named_in(record.description)
    if payment is None:
        record.outcome = "unmatched"
        return record
    _ORDER_HANDLER[0](record, payment.order_id)
    db.session.flush()
    return record


def apply_to_locked_order(record: BankTransfer, order: Order, mark_paid: Callable) -> None:
    """Count a matched incoming transfer towards its order, which the caller has locked (before
    the transfer is linked to it: the foreign key's share lock taken first would make two
    transfers for one order deadlock on PostgreSQL). ``mark_paid(order)`` moves the order and
    its seller orders once the money due has arrived."""
    record.order_id = order.id
    payment, amount = order.payment, record.amount_vnd
    if order.status != "awaiting_payment":
        record.outcome = "owed_back"
        record.owed_back_vnd = amount
        owe_back(
            payment,
            amount,
            scope=f"bank-transfer-{record.id}",
            reason=f"Transfer {record.provider_id} arrived when order {order.number} was "
            f"{order.status}",
        )
        return
    received = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(amount_received_vnd=Payment.amount_received_vnd + amount)
        .returning(Payment.amount_received_vnd)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(payment, "amount_received_vnd", received)
    record.applied_vnd = min(amount, max(payment.amount_vnd - (received - amount), 0))
    record.owed_back_vnd = amount - record.applied_vnd
    if received < payment.amount_vnd:
        record.outcome = "partial"
        return
    mark_paid(order)
    PAYMENTS.move(payment, "succeed")
    record.outcome = "overpaid" if record.owed_back_vnd else "paid"
    owe_back(
        payment,
        record.owed_back_vnd,
        scope=f"bank-transfer-{record.id}",
        reason=f"Transfer {record.provider_id} paid more than order {order.number} cost",
    )


# Money owed back: owed → refunded (by hand, with the reference of the bank's transfer).
REFUND_TRANSITIONS = {("owed", "refund"): "refunded"}


def get_owed_refund(refund_id: int) -> Refund:
    refund = db.session.scalar(owed_refunds(None).where(Refund.id == refund_id))
    if refund is None:
        raise NotFound("No such refund.")
    return refund


def record_refunded(refund: Refund, reference: str) -> Refund:
    """The admin refunded ``refund`` by hand: it leaves the list of money owed (once; 409 after)."""
    refund = db.session.scalar(
        select(Refund)
        .where(Refund.id == refund.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    new_status = REFUND_TRANSITIONS.get((refund.status, "refund"))
    if new_status is None:
        raise InvalidTransition(
            f"This refund is '{refund.status}'.", {"status": refund.status, "action": "refund"}
        )
    refund.status = new_status
    refund.refunded_at = utcnow()
    refund.refunded_reference = reference
    db.session.flush()
    return refund


# ---- what the platform admin sees ---------------------------------------------------------


def transfers(matched: bool | None = None) -> Select:
    """The notifier's transactions, newest first; ``matched`` keeps those naming an order (True)
    or those that did not (False: unmatched and outgoing)."""
    query = select(BankTransfer).options(joinedload(BankTransfer.order))
    if matched is True:
        query = query.where(BankTransfer.order_id.is_not(None))
    elif matched is False:
        query = query.where(BankTransfer.order_id.is_(None))
    return query.order_by(BankTransfer.id.desc())


def owed_refunds(status: str | None = "owed") -> Select:
    """Money owed back to buyers of bank-transfer orders, oldest first."""
    query = (
        select(Refund)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.method == METHOD)
        .options(joinedload(Refund.payment).joinedload(Payment.order))
    )
    if status:
        query = query.where(Refund.status == status)
    return query.order_by(Refund.id)
