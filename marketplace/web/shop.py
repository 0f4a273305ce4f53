"""Buying: the cart kept in the session, checkout through the orders service (cash on delivery or
card, as the API), the confirmation and "my orders"."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext
from marshmallow import ValidationError as SchemaError

from ..catalogue import services as catalogue
from ..catalogue.models import Product
from ..errors import AppError, Conflict, Forbidden, InsufficientStock, NotFound, ValidationError
from ..extensions import db
from ..orders import preorders
from ..orders import services as orders
from ..orders.models import ORDER_STATUSES
from ..orders.routes import place_order_once
from ..orders.schemas import MAX_ITEMS, MAX_QUANTITY, OrderCreateSchema
from ..payments import bank_transfer
from ..places import all_provinces, wards_of
from ..reviews import services as reviews
from .actions import perform
from .blueprint import bp
from .forms import ascii_int, form_data
from .i18n import error_text, vnd
from .session import login_required, page_user
from .storefront import page_number

PER_PAGE = 20
# Payment methods a buyer picks from on the page. There is no card form (no third-party script
# may load here): the test cards of the Stripe-compatible server stand in for Stripe.js.
TEST_CARDS = (
    ("pm_card_visa", "Visa 4242 4242 4242 4242"),
    ("pm_card_chargeCustomerFail", "Visa 4000 0000 0000 0341 (declined)"),
)


# ---- the cart -----------------------------------------------------------------------------


def cart_quantities() -> dict[int, int]:
    """{product_id: quantity} from the session, ignoring anything malformed."""
    raw = session.get("cart")
    if not isinstance(raw, dict):
        return {}
    cart: dict[int, int] = {}
    for key, value in raw.items():
        if ascii_int(key, 10) is not None and isinstance(value, int) and 0 < value <= MAX_QUANTITY:
            cart[int(key)] = value
    return cart


def _save_cart(cart: dict[int, int]) -> None:
    session["cart"] = {str(pid): qty for pid, qty in cart.items()}


def cart_lines() -> tuple[list[dict[str, Any]], int]:
    """The cart's lines as buyers may buy them now (products no longer on sale drop out)."""
    cart = cart_quantities()
    if not cart:
        return [], 0
    query = catalogue.with_relations(catalogue.visible_products().where(Product.id.in_(cart)))
    products = {p.id: p for p in db.session.scalars(query).unique()}
    if set(products) != set(cart):
        _save_cart({pid: qty for pid, qty in cart.items() if pid in products})
    lines = []
    for pid, qty in cart.items():
        if pid in products:
            product = products[pid]
            lines.append(
                {"product": product, "quantity": qty, "total": product.unit_price_vnd * qty}
            )
    return lines, sum(line["total"] for line in lines)


def _quantity(text: str | None) -> int | None:
    value = ascii_int(text, 7)
    return value if value is not None and value <= MAX_QUANTITY else None


@bp.route("/cart")
def cart():
    lines, total = cart_lines()
    return render_template("web/cart.html", lines=lines, total=total)


@bp.route("/cart/items", methods=["POST"])
def add_to_cart():
    """Put a product in the cart (or more of it)."""
    product = catalogue.get_product_for(None, _product_id())  # only what buyers may see
    quantity = _quantity(request.form.get("quantity", "1"))
    cart = cart_quantities()
    if not quantity or (product.id not in cart and len(cart) >= MAX_ITEMS):
        flash(gettext("Choose a quantity between 1 and the stock."), "error")
        return redirect(url_for("web.product", product_id=product.id))
    cart[product.id] = min(cart.get(product.id, 0) + quantity, MAX_QUANTITY)
    _save_cart(cart)
    flash(gettext("%(name)s is in your cart.", name=product.name), "success")
    return redirect(url_for("web.cart"))


@bp.route("/cart/items/<int:product_id>", methods=["POST"])
def update_cart(product_id: int):
    """Change a line's quantity; 0 takes it out."""
    cart = cart_quantities()
    quantity = _quantity(request.form.get("quantity"))
    if product_id in cart and quantity is not None:
        if quantity == 0:
            del cart[product_id]
        else:
            cart[product_id] = quantity
        _save_cart(cart)
    return redirect(url_for("web.cart"))


def _product_id() -> int:
    text = request.form.get("product_id", "")
    if ascii_int(text, 10) is None:
        raise NotFound("No such product.")
    return int(text)


# ---- checkout -----------------------------------------------------------------------------


def _address_defaults(pre_order: bool) -> dict[str, Any]:
    user = page_user()
    seller = user.seller
    return {
        "recipient_name": user.full_name,
        "phone": user.phone or (seller.phone if seller else ""),
        "province_code": seller.province_code if seller else "",
        # A pre-order pays its deposit now: cash on delivery is not offered for it.
        "payment_method": "card" if pre_order else "cod",
    }


def _pre_order_product(lines) -> Product | None:
    """The product of the cart sold before its harvest (its deposit is paid now), if any."""
    return next(
        (line["product"] for line in lines if line["product"].sale_mode == "pre_order"), None
    )


def _deposit(product: Product | None, total_vnd: int) -> dict[str, int] | None:
    """What a pre-order pays now and on delivery, as checkout will charge it (the deposit is a
    share of the total with shipping: preorders.deposit_vnd)."""
    if product is None:
        return None
    now = preorders.deposit_vnd(total_vnd, product.deposit_pct)
    return {"pct": product.deposit_pct, "now_vnd": now, "later_vnd": total_vnd - now}


def _order_body(form, lines) -> dict[str, Any]:
    """The POST /orders body the checkout form stands for."""
    address = form_data(OrderCreateSchema().fields["shipping_address"].schema, form)
    body: dict[str, Any] = {
        "items": [
            {"product_id": line["product"].id, "quantity": line["quantity"]} for line in lines
        ],
        "shipping_address": address,
        "payment_method": form.get("payment_method", ""),
    }
    if body["payment_method"] == "card":
        body["card"] = {"payment_method_id": form.get("payment_method_id", "")}
    if form.get("note", "").strip():
        body["note"] = form["note"]
    deliveries = _chosen_methods(form)
    if deliveries:
        body["deliveries"] = [
            {"seller_id": seller_id, "method_id": method_id}
            for seller_id, method_id in deliveries.items()
        ]
    return body


def _chosen_methods(form) -> dict[int, int]:
    """{seller_id: method_id} from the checkout's radio buttons `delivery_<seller_id>`."""
    chosen = {}
    for name, value in form.items():
        seller_id, method_id = name.removeprefix("delivery_"), str(value)
        seller, method = ascii_int(seller_id), ascii_int(method_id)
        if name.startswith("delivery_") and seller is not None and method is not None:
            chosen[seller] = method
    return chosen


def _delivery_quote(user, form, lines) -> dict[str, Any] | None:
    """What each household's delivery options cost to the address's province (the same
    quote as POST /orders/quote); None until a province is chosen or when it cannot be quoted."""
    province = _int_or_none(form.get("province_code"))
    if province is None:
        return None
    data = {
        "items": [
            {"product_id": line["product"].id, "quantity": line["quantity"]} for line in lines
        ],
        "shipping_address": {"province_code": province, "ward_code": None},
        "deliveries": [],
    }
    try:
        quote = orders.quote(user, data)
    except AppError:
        return None
    chosen = _chosen_methods(form)
    parts = []
    for part in quote.seller_orders:
        offered = {option.method.id: option for option in part.options}
        pick = offered.get(chosen.get(part.seller.id)) or (
            part.options[0] if part.options else None
        )
        parts.append({"part": part, "chosen": pick})
    shipping = sum(row["chosen"].fee_vnd for row in parts if row["chosen"])
    return {
        "seller_orders": parts,
        "shipping_total_vnd": shipping,
        "total_vnd": quote.items_total_vnd + shipping,
    }


def _flat_errors(messages: Any) -> dict[str, list[str]]:
    """Nested schema messages ({"shipping_address": {"phone": [...]}}) as form field errors."""
    errors: dict[str, list[str]] = {}
    for name, value in (messages or {}).items():
        if isinstance(value, dict) and name != "items":
            errors.update(_flat_errors(value))
        elif name == "items":
            errors["_schema"] = [gettext("Some items in the cart cannot be ordered.")]
        elif name == "deliveries":
            errors["deliveries"] = [
                gettext("A delivery option is not available to this address; choose another.")
            ]
        else:
            errors[name] = [str(m) for m in value] if isinstance(value, list) else [str(value)]
    return errors


@bp.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout():
    """Shipping address (province and ward of the 2025 divisions) and payment, then the order.

    The form carries the unit prices it showed: a price changed meanwhile stops the checkout."""
    user = page_user()
    lines, total = cart_lines()
    if not lines:
        flash(gettext("Your cart is empty."), "error")
        return redirect(url_for("web.cart"))
    errors: dict[str, list[str]] = {}
    pre_order = _pre_order_product(lines)
    form: Any = (
        request.form if request.method == "POST" else _address_defaults(pre_order is not None)
    )
    if request.method == "POST" and not request.form.get("refresh"):
        body = _order_body(request.form, lines)
        key = request.form.get("idempotency_key", "")[:255] or None
        try:
            data = OrderCreateSchema().load(body)
            status, answer = place_order_once(user, data, body, key, _shown_prices(lines))
        except SchemaError as exc:
            errors = _flat_errors(exc.messages)
        except InsufficientStock as exc:
            errors = {"_schema": [_shortage_text(exc, lines)]}
        except Conflict as exc:
            errors = {"_schema": [_conflict_text(exc, lines)]}
        except ValidationError as exc:
            errors = _flat_errors(exc.details) or {"_schema": [error_text(exc)]}
        except (Forbidden, NotFound):
            raise
        except AppError as exc:
            errors = {"_schema": [error_text(exc)]}
        else:
            if status == 201:
                session.pop("cart", None)
                flash(gettext("Thank you! Your order is placed."), "success")
                return redirect(url_for("web.order_page", order_id=answer["id"]))
            flash(gettext("The card was declined: nothing was charged. Try another card."), "error")
            return redirect(
                url_for("web.order_page", order_id=answer["error"]["details"]["order_id"])
            )
    province = _int_or_none(form.get("province_code"))
    quote = _delivery_quote(user, form, lines)
    return render_template(
        "web/checkout.html",
        lines=lines,
        total=total,
        quote=quote,
        form=form,
        errors=errors,
        provinces=all_provinces(),
        wards=wards_of(province) if province else [],
        cards=TEST_CARDS,
        bank_transfer=bank_transfer.available(),
        pre_order=pre_order is not None,
        deposit=_deposit(pre_order, quote["total_vnd"] if quote else total),
        idempotency_key=request.form.get("idempotency_key") or uuid.uuid4().hex,
    ), (422 if errors else 200)


def _shown_prices(lines) -> dict[int, int]:
    """{product_id: unit price} as the checkout form showed them (hidden `price_<id>` fields);
    the prices on the page now when the form carries none (an old form)."""
    shown: dict[int, int] = {}
    for line in lines:
        pid = line["product"].id
        text = request.form.get(f"price_{pid}", "")
        shown[pid] = (
            int(text)
            if text.isascii() and text.isdigit() and len(text) <= 15
            else line["product"].unit_price_vnd
        )
    return shown


def _conflict_text(exc: Conflict, lines) -> str:
    names = {line["product"].id: line["product"].name for line in lines}
    changed = [i for i in (exc.details or {}).get("items") or [] if "current" in i]
    if not changed:
        return error_text(exc)
    parts = [
        gettext(
            "%(name)s now costs %(price)s",
            name=names.get(i["product_id"], "?"),
            price=vnd(i["current"]),
        )
        for i in changed
    ]
    return gettext("A price changed since you opened this page.") + " " + "; ".join(parts) + "."


def _shortage_text(exc: InsufficientStock, lines) -> str:
    names = {line["product"].id: line["product"].name for line in lines}
    short = (exc.details or {}).get("items") or []
    parts = [
        gettext(
            "%(name)s: only %(available)s left",
            name=names.get(i["product_id"], "?"),
            available=i["available"],
        )
        for i in short
    ]
    return gettext("Not enough stock.") + (" " + "; ".join(parts) + "." if parts else "")


def _int_or_none(value) -> int | None:
    text = str(value or "")
    return ascii_int(text, 6)


# ---- my orders ----------------------------------------------------------------------------


@bp.route("/orders")
@login_required
def my_orders():
    """The orders I bought, newest first, with their statuses."""
    status = request.args.get("status") or None
    if status not in ORDER_STATUSES:
        status = None
    result = orders.list_orders(page_user(), status, page_number(), PER_PAGE)
    return render_template("web/orders.html", result=result, status=status)


@bp.route("/orders/<int:order_id>")
@login_required
def order_page(order_id: int):
    """One order: its parts per household, their statuses, payment and delivery address."""
    user = page_user()
    order = orders.show_order(user, order_id)
    is_buyer = order.buyer_id == user.id
    delivered = [
        line.product_id
        for so in order.seller_orders
        if so.status == "delivered"
        for line in so.lines
    ]
    reviewable = reviews.reviewable_products(user, delivered) if is_buyer else set()
    return render_template(
        "web/order.html",
        o=order,
        is_buyer=is_buyer,
        bank=_bank_box(order) if is_buyer else None,
        reviewable=reviewable,
    )


@bp.route("/orders/<int:order_id>/payment")
@login_required
def order_payment(order_id: int):
    """The bank-transfer box of the buyer's order, polled by the order page (htmx) until the
    money arrives; then the page is reloaded to show the order paid."""
    user = page_user()
    order = orders.show_order(user, order_id)
    if order.buyer_id != user.id or order.payment_method != "bank_transfer":
        raise NotFound("No such order.")
    response = make_response(
        render_template("web/_bank_transfer.html", o=order, bank=_bank_box(order))
    )
    if order.status != "awaiting_payment":
        response.headers["HX-Refresh"] = "true"
    return response


def _bank_box(order) -> dict[str, Any] | None:
    """What the buyer needs to pay by bank transfer: the code, the account, the amount due and
    the reference; None for other payment methods."""
    if order.payment_method != "bank_transfer":
        return None
    payment = order.payment
    payload = bank_transfer.qr_payload(payment)
    return {
        "account": bank_transfer.receiving_account(),
        "qr_svg": bank_transfer.qr_svg_inline(payload, f"VietQR {order.number}")
        if payload
        else None,
        "due": bank_transfer.outstanding_vnd(payment),
        "received": payment.amount_received_vnd,
        "reference": payment.reference,
        "waiting": order.status == "awaiting_payment",
    }


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@login_required
def cancel_order(order_id: int):
    """The buyer cancels before anything shipped: stock back, a card payment refunded."""
    user = page_user()
    reason = request.form.get("reason", "").strip()[:1000] or None
    perform(
        lambda: orders.cancel_order_by_buyer(user, order_id, reason),
        gettext("Your order is cancelled."),
    )
    return redirect(url_for("web.order_page", order_id=order_id))
