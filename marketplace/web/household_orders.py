"""A household's incoming seller orders: where to ship, ship (carrier, tracking number), deliver."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..clock import utcnow
from ..orders import services as orders
from ..orders.models import SELLER_ORDER_STATUSES
from ..orders.schemas import RefusedSchema, SellerOrderCancelSchema, ShipSchema
from .actions import perform
from .blueprint import bp
from .forms import load_form
from .household import my_household
from .session import login_required
from .storefront import page_number

PER_PAGE = 20


@bp.route("/dashboard/orders")
@login_required
def seller_orders():
    """Orders for my household, newest first, by status."""
    user, _seller = my_household()
    status = request.args.get("status") or None
    if status not in SELLER_ORDER_STATUSES:
        status = None
    result = orders.list_seller_orders(user, status, page_number(), PER_PAGE)
    return render_template(
        "web/seller_orders.html",
        result=result,
        status=status,
        statuses=SELLER_ORDER_STATUSES,
        now=utcnow(),  # for the ship-by countdowns
    )


def _act(seller_order_id: int, action: str, success: str, **data):
    user, _seller = my_household()
    perform(
        lambda: orders.act_on_seller_order(user, seller_order_id, action, **data),
        success,
    )
    return redirect(url_for("web.seller_orders", _anchor=f"seller-order-{seller_order_id}"))


def _number(seller_order_id: int) -> str:
    user, _seller = my_household()
    return orders.get_seller_order_for(user, seller_order_id).order.number


@bp.route("/dashboard/orders/<int:seller_order_id>/ship", methods=["POST"])
@login_required
def ship_seller_order(seller_order_id: int):
    number = _number(seller_order_id)
    data, _errors = load_form(ShipSchema(), request.form)
    weights = _weights(request.form)
    if data is None or weights is None:
        flash(gettext("Check the carrier, tracking number and weights."), "error")
        return redirect(url_for("web.seller_orders", _anchor=f"seller-order-{seller_order_id}"))
    if weights:
        data["lines"] = weights
    return _act(
        seller_order_id, "ship", gettext("Order %(number)s is shipped.", number=number), **data
    )


def _weights(form) -> list[dict[str, int]] | None:
    """``weight-<product_id>`` fields (grams) as the API's ``lines``; None when one is not a
    whole number."""
    lines = []
    for name, value in form.items():
        if not name.startswith("weight-"):
            continue
        product_id, grams = name.removeprefix("weight-"), value.strip()
        if not (product_id.isdigit() and grams.isdigit()):
            return None
        lines.append({"product_id": int(product_id), "actual_weight_g": int(grams)})
    return lines


@bp.route("/dashboard/orders/<int:seller_order_id>/deliver", methods=["POST"])
@login_required
def deliver_seller_order(seller_order_id: int):
    number = _number(seller_order_id)
    return _act(
        seller_order_id, "deliver", gettext("Order %(number)s is delivered.", number=number)
    )


@bp.route("/dashboard/orders/<int:seller_order_id>/cancel", methods=["POST"])
@login_required
def cancel_seller_order(seller_order_id: int):
    """Cancel my part of an order (with a reason): its stock back, a card payment refunded."""
    number = _number(seller_order_id)
    data, _errors = load_form(SellerOrderCancelSchema(), request.form)
    if data is None:
        flash(gettext("Give a reason: the buyer reads it."), "error")
        return redirect(url_for("web.seller_orders", _anchor=f"seller-order-{seller_order_id}"))
    return _act(
        seller_order_id,
        "cancel",
        gettext("Your part of order %(number)s is cancelled.", number=number),
        reason=data["reason"],
    )


@bp.route("/dashboard/orders/<int:seller_order_id>/refused", methods=["POST"])
@login_required
def refused_seller_order(seller_order_id: int):
    """A shipped cash-on-delivery parcel was refused at the door: no money, no restock."""
    number = _number(seller_order_id)
    data, _errors = load_form(RefusedSchema(), request.form)
    if data is None:
        flash(gettext("Say what happened: the co-op reads it."), "error")
        return redirect(url_for("web.seller_orders", _anchor=f"seller-order-{seller_order_id}"))
    return _act(
        seller_order_id,
        "refused",
        gettext("Order %(number)s is recorded as refused.", number=number),
        reason=data["reason"],
    )
