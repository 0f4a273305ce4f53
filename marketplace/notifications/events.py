"""What can be notified, to whom, and its words in Vietnamese and English.

An event is sent to a buyer or a household (the audience picks the text). Values are formatted
for people before they are put into a text: amounts `1.250.000 ₫`, times in Vietnam time.
Optional values (`ship_by`, `reason`, tracking) add a clause only when they are given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..clock import VIETNAM

BUYER = "buyer"
HOUSEHOLD = "household"
LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"

# Every event, and the use case that emits it.
SELLER_ORDER_NEW = "seller_order.new"  # checkout / payment (orders/services.py), harvest
SELLER_ORDER_SHIPPED = "seller_order.shipped"
SELLER_ORDER_DELIVERED = "seller_order.delivered"
SELLER_ORDER_CANCELLED = "seller_order.cancelled"
SELLER_ORDER_REFUSED = "seller_order.refused"  # a COD parcel refused at the door
PAYMENT_RECEIVED = "payment.received"
PREORDER_ALLOCATED = "preorder.allocated"  # the harvest filled it (orders/harvest.py)
PREORDER_CUT = "preorder.cut"  # the harvest filled part of it or none of it
LISTING_APPROVED = "listing.approved"
LISTING_REJECTED = "listing.rejected"
HOUSEHOLD_APPROVED = "household.approved"
HOUSEHOLD_REJECTED = "household.rejected"
PAYOUT_PAID = "payout.paid"  # a payout item marked paid (money/services.py)
SHIP_BY_SOON = "ship_by.soon"  # the ship-by sweep (delivery/deadlines.py)
LOT_RECALLED = "lot.recalled"  # a co-op recalls a lot (lots/services.py)

# (event, audience) → locale → (subject, text)
TEXTS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    (SELLER_ORDER_NEW, HOUSEHOLD): {
        "vi": (
            "Đơn hàng mới {order_number}",
            "Nông sản: đơn hàng mới {order_number}: {items}, tổng {subtotal_vnd}.{ship_by_clause}",
        ),
        "en": (
            "New order {order_number}",
            "Nông sản: new order {order_number}: {items}, total {subtotal_vnd}.{ship_by_clause}",
        ),
    },
    (SELLER_ORDER_SHIPPED, BUYER): {
        "vi": (
            "Đơn {order_number} đã được gửi",
            "Nông sản: {seller_name} đã gửi hàng của đơn {order_number}.{tracking_clause}",
        ),
        "en": (
            "Order {order_number} has shipped",
            "Nông sản: {seller_name} has shipped your order {order_number}.{tracking_clause}",
        ),
    },
    (SELLER_ORDER_SHIPPED, HOUSEHOLD): {
        "vi": (
            "Đã gửi đơn {order_number}",
            "Nông sản: đơn {order_number} ({subtotal_vnd}) đã được ghi nhận là đã gửi.",
        ),
        "en": (
            "Order {order_number} shipped",
            "Nông sản: order {order_number} ({subtotal_vnd}) is recorded as shipped.",
        ),
    },
    (SELLER_ORDER_DELIVERED, BUYER): {
        "vi": (
            "Đơn {order_number} đã giao",
            "Nông sản: hàng của {seller_name} trong đơn {order_number} đã được giao. Chúc ngon miệng!",
        ),
        "en": (
            "Order {order_number} delivered",
            "Nông sản: {seller_name}'s part of order {order_number} has been delivered. Enjoy!",
        ),
    },
    (SELLER_ORDER_DELIVERED, HOUSEHOLD): {
        "vi": (
            "Đơn {order_number} đã giao",
            "Nông sản: đơn {order_number} ({subtotal_vnd}) đã được giao.",
        ),
        "en": (
            "Order {order_number} delivered",
            "Nông sản: order {order_number} ({subtotal_vnd}) has been delivered.",
        ),
    },
    (SELLER_ORDER_CANCELLED, BUYER): {
        "vi": (
            "Đơn {order_number} đã huỷ",
            "Nông sản: phần hàng của {seller_name} trong đơn {order_number} ({subtotal_vnd}) "
            "đã bị huỷ.{reason_clause}",
        ),
        "en": (
            "Order {order_number} cancelled",
            "Nông sản: {seller_name}'s part of order {order_number} ({subtotal_vnd}) "
            "was cancelled.{reason_clause}",
        ),
    },
    (SELLER_ORDER_CANCELLED, HOUSEHOLD): {
        "vi": (
            "Đơn {order_number} đã huỷ",
            "Nông sản: đơn {order_number} ({subtotal_vnd}) đã bị huỷ; hàng đã được trả về kho."
            "{reason_clause}",
        ),
        "en": (
            "Order {order_number} cancelled",
            "Nông sản: order {order_number} ({subtotal_vnd}) was cancelled; its stock is back."
            "{reason_clause}",
        ),
    },
    (SELLER_ORDER_REFUSED, BUYER): {
        "vi": (
            "Đơn {order_number} bị từ chối nhận",
            "Nông sản: hàng của {seller_name} trong đơn {order_number} đã bị từ chối khi giao."
            "{reason_clause}",
        ),
        "en": (
            "Order {order_number} refused",
            "Nông sản: {seller_name}'s part of order {order_number} was refused on delivery."
            "{reason_clause}",
        ),
    },
    (SELLER_ORDER_REFUSED, HOUSEHOLD): {
        "vi": (
            "Đơn {order_number} bị từ chối nhận",
            "Nông sản: người mua đã từ chối nhận đơn {order_number} ({subtotal_vnd})."
            "{reason_clause}",
        ),
        "en": (
            "Order {order_number} refused",
            "Nông sản: the buyer refused order {order_number} ({subtotal_vnd}) on delivery."
            "{reason_clause}",
        ),
    },
    (PAYMENT_RECEIVED, BUYER): {
        "vi": (
            "Đã nhận thanh toán đơn {order_number}",
            "Nông sản: đã nhận {amount_vnd} cho đơn {order_number}. Cảm ơn bạn!",
        ),
        "en": (
            "Payment received for order {order_number}",
            "Nông sản: we received {amount_vnd} for order {order_number}. Thank you!",
        ),
    },
    (PREORDER_ALLOCATED, BUYER): {
        "vi": (
            "Đặt trước {order_number} đã có hàng",
            "Nông sản: {seller_name} đã thu hoạch; đơn đặt trước {order_number} được xác nhận: "
            "{items}, tổng {subtotal_vnd}.{ships_by_clause}{balance_clause}",
        ),
        "en": (
            "Pre-order {order_number} allocated",
            "Nông sản: {seller_name} has harvested; pre-order {order_number} is confirmed: "
            "{items}, total {subtotal_vnd}.{ships_by_clause}{balance_clause}",
        ),
    },
    # A partial share (kept_clause, with what ships and when) or none (dropped_clause).
    (PREORDER_CUT, BUYER): {
        "vi": (
            "Đặt trước {order_number} không đủ hàng",
            "Nông sản: vụ thu hoạch của {seller_name} không đủ cho đơn đặt trước {order_number}: "
            "thiếu {cut_quantity} {product_name} trong {ordered_quantity} bạn đã đặt."
            "{kept_clause}{dropped_clause}{deposit_refund_clause}{deposit_owed_clause}"
            "{balance_clause}",
        ),
        "en": (
            "Pre-order {order_number} cut",
            "Nông sản: {seller_name}'s harvest fell short for pre-order {order_number}: "
            "{cut_quantity} of the {ordered_quantity} of {product_name} you pre-ordered "
            "cannot be filled.{kept_clause}{dropped_clause}{deposit_refund_clause}"
            "{deposit_owed_clause}{balance_clause}",
        ),
    },
    (LISTING_APPROVED, HOUSEHOLD): {
        "vi": (
            "Sản phẩm đã được duyệt",
            "Nông sản: sản phẩm “{product_name}” đã được duyệt và đang được bán.",
        ),
        "en": (
            "Listing approved",
            "Nông sản: your listing “{product_name}” is approved and on sale.",
        ),
    },
    (LISTING_REJECTED, HOUSEHOLD): {
        "vi": (
            "Sản phẩm bị từ chối",
            "Nông sản: sản phẩm “{product_name}” chưa được duyệt.{reason_clause}",
        ),
        "en": (
            "Listing rejected",
            "Nông sản: your listing “{product_name}” was rejected.{reason_clause}",
        ),
    },
    (HOUSEHOLD_APPROVED, HOUSEHOLD): {
        "vi": (
            "Hồ sơ đã được duyệt",
            "Nông sản: hồ sơ “{display_name}” đã được hợp tác xã duyệt; bạn có thể đăng bán.",
        ),
        "en": (
            "Household approved",
            "Nông sản: “{display_name}” is approved by its co-op; you can list produce now.",
        ),
    },
    (HOUSEHOLD_REJECTED, HOUSEHOLD): {
        "vi": (
            "Hồ sơ chưa được duyệt",
            "Nông sản: hồ sơ “{display_name}” chưa được hợp tác xã duyệt.{reason_clause}",
        ),
        "en": (
            "Household rejected",
            "Nông sản: the co-op rejected “{display_name}”.{reason_clause}",
        ),
    },
    (PAYOUT_PAID, HOUSEHOLD): {
        "vi": (
            "Đã chuyển tiền {amount_vnd}",
            "Nông sản: đã chuyển {amount_vnd} vào tài khoản {bank_name} số cuối {account_tail} "
            "của bạn (mã {reference}).",
        ),
        "en": (
            "Payout of {amount_vnd} paid",
            "Nông sản: {amount_vnd} has been paid to your {bank_name} account ending "
            "{account_tail} (reference {reference}).",
        ),
    },
    (SHIP_BY_SOON, HOUSEHOLD): {
        "vi": (
            "Đơn {order_number} cần gửi trước {ship_by}",
            "Nông sản: còn chưa đầy 4 giờ để gửi đơn {order_number} ({items}); hạn chót "
            "{ship_by}, quá hạn đơn sẽ tự huỷ.",
        ),
        "en": (
            "Ship order {order_number} by {ship_by}",
            "Nông sản: less than 4 hours left to ship order {order_number} ({items}); it is "
            "cancelled by itself after {ship_by}.",
        ),
    },
    # To each buyer of the lot's seller orders, once, about their own orders only.
    (LOT_RECALLED, BUYER): {
        "vi": (
            "Thu hồi lô {lot_code}: {product_name}",
            "Nông sản: hợp tác xã đã thu hồi lô {lot_code} của sản phẩm “{product_name}” "
            "({seller_name}).{reason_clause}{received_clause}{cancelled_clause}{refund_clause}",
        ),
        "en": (
            "Lot {lot_code} recalled: {product_name}",
            "Nông sản: the co-op has recalled lot {lot_code} of “{product_name}” "
            "({seller_name}).{reason_clause}{received_clause}{cancelled_clause}{refund_clause}",
        ),
    },
}

# Optional values: the clause is added only when the value is given.
CLAUSES: dict[str, dict[str, str]] = {
    "ship_by_clause": {"vi": " Hãy gửi hàng trước {ship_by}.", "en": " Ship it by {ship_by}."},
    "reason_clause": {"vi": " Lý do: {reason}.", "en": " Reason: {reason}."},
    "tracking_clause": {
        "vi": " Vận chuyển: {carrier} {tracking_number}.",
        "en": " Carrier: {carrier} {tracking_number}.",
    },
    "received_clause": {
        "vi": " Đơn {received_orders} của bạn có hàng thuộc lô này: xin đừng sử dụng.",
        "en": " Your order {received_orders} holds produce of this lot: please do not use it.",
    },
    "cancelled_clause": {
        "vi": " Phần hàng này trong đơn {cancelled_orders} của bạn đã được huỷ.",
        "en": " It is cancelled from your order {cancelled_orders}.",
    },
    "refund_clause": {
        "vi": " Bạn được hoàn lại {refunded_vnd}.",
        "en": " {refunded_vnd} is refunded to you.",
    },
    "ships_by_clause": {
        "vi": " Hàng sẽ được gửi trước {ship_by}.",
        "en": " It ships by {ship_by}.",
    },
    "balance_clause": {
        "vi": " Còn {balance_vnd} trả khi nhận hàng.",
        "en": " {balance_vnd} is left to pay on delivery.",
    },
    "kept_clause": {
        "vi": " Bạn nhận {kept_quantity}, tổng {subtotal_vnd}, gửi trước {ship_by}.",
        "en": " You get {kept_quantity}, total {subtotal_vnd}, shipped by {ship_by}.",
    },
    "dropped_clause": {
        "vi": " Đơn đặt trước đã được huỷ.",
        "en": " The pre-order is cancelled.",
    },
    "deposit_refund_clause": {
        "vi": " Tiền cọc {refunded_vnd} được hoàn lại cho bạn.",
        "en": " {refunded_vnd} of your deposit is refunded to you.",
    },
    "deposit_owed_clause": {
        "vi": " Tiền cọc {owed_vnd} sẽ được chuyển khoản trả lại cho bạn.",
        "en": " {owed_vnd} of your deposit will be transferred back to your bank account.",
    },
}
_CLAUSE_NEEDS = {
    "ship_by_clause": ("ship_by",),
    "reason_clause": ("reason",),
    "tracking_clause": ("carrier", "tracking_number"),
    "received_clause": ("received_orders",),
    "cancelled_clause": ("cancelled_orders",),
    "refund_clause": ("refunded_vnd",),
    "ships_by_clause": ("ship_by",),
    "balance_clause": ("balance_vnd",),
    "kept_clause": ("kept_quantity",),
    "dropped_clause": ("pre_order_cancelled",),
    "deposit_refund_clause": ("refunded_vnd",),
    "deposit_owed_clause": ("owed_vnd",),
}

# Zalo ZNS sends only templates Zalo has approved: the operator registers one per event and
# gives its id here, or in ZALO_TEMPLATE_IDS (`event=id,…`, config.py) without a code change.
# Fixed per event: adding an event never moves another's id (these are the ids the operator
# registered against; a new event gets the next free number).
ZALO_TEMPLATES: dict[str, str] = {
    HOUSEHOLD_APPROVED: "300001",
    HOUSEHOLD_REJECTED: "300002",
    LISTING_APPROVED: "300003",
    LISTING_REJECTED: "300004",
    LOT_RECALLED: "300005",
    PAYMENT_RECEIVED: "300006",
    PAYOUT_PAID: "300007",
    PREORDER_ALLOCATED: "300008",
    PREORDER_CUT: "300009",
    SELLER_ORDER_CANCELLED: "300010",
    SELLER_ORDER_DELIVERED: "300011",
    SELLER_ORDER_NEW: "300012",
    SELLER_ORDER_REFUSED: "300013",
    SELLER_ORDER_SHIPPED: "300014",
    SHIP_BY_SOON: "300015",
}
EVENTS = frozenset(ZALO_TEMPLATES)


def zalo_template_id(event: str, overrides: dict[str, str] | None = None) -> str:
    """The Zalo ZNS template of ``event``: the operator's override (ZALO_TEMPLATE_IDS), else
    ZALO_TEMPLATES."""
    return (overrides or {}).get(event) or ZALO_TEMPLATES.get(event, "")


def format_vnd(amount: int) -> str:
    """Integer VND as Vietnamese write it, in both languages: 1250000 → "1.250.000 ₫"."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def format_time(moment: dt.datetime, locale: str) -> str:
    """A UTC timestamp in Vietnam time: "14:30 07/12/2026" (vi) or "7 Dec 2026, 14:30" (en)."""
    local = moment.astimezone(VIETNAM)
    if locale == "en":
        return f"{local.day} {local:%b %Y, %H:%M}"
    return local.strftime("%H:%M %d/%m/%Y")


def format_values(context: dict[str, Any], locale: str) -> dict[str, str]:
    """The event's values as people read them (`*_vnd` amounts, times in Vietnam)."""
    shown: dict[str, str] = {}
    for name, value in context.items():
        if value is None or value == "":
            continue
        if isinstance(value, dt.datetime):
            shown[name] = format_time(value, locale)
        elif name.endswith("_vnd") and isinstance(value, int):
            shown[name] = format_vnd(value)
        else:
            shown[name] = str(value)
    return shown


def render(event: str, audience: str, locale: str, values: dict[str, str]) -> tuple[str, str]:
    """(subject, text) of an event for one audience in one language."""
    subject, text = TEXTS[(event, audience)][locale if locale in LOCALES else DEFAULT_LOCALE]
    fields = dict(values)
    for clause, template in CLAUSES.items():
        given = [values.get(name) for name in _CLAUSE_NEEDS[clause]]
        fields[clause] = (
            template[locale].format_map(_Blank(values)).replace("  ", " ").rstrip(" .") + "."
            if any(given)
            else ""
        )
    return subject.format_map(_Blank(fields)), text.format_map(_Blank(fields))


class _Blank(dict):
    """format_map that leaves a value nobody gave empty rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""
