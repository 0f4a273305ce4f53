"""A household's incoming seller orders: where to ship, ship (carrier, tracking number), deliver."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..http import paginate
from ..orders import services as orders
from ..orders.models import SELLER_ORDER_STATUSES
from ..orders.schemas import SellerOrderCancelSchema, ShipSchema
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
    query = orders.seller_orders_of(user, status)
    orders.expire_overdue_for_household(user)
    result = paginate(query, page_number(), PER_PAGE)
    result["items"] = [orders.seller_order_detail(so) for so in result["items"]]
    return render_template(
        "web/seller_orders.html", result=result, status=status, statuses=SELLER_ORDER_STATUSES
    )


def _my_seller_order(seller_order_id: int):
    user, _seller = my_household()
    return user, orders.get_seller_order_for(user, seller_order_id)


@bp.route("/dashboard/orders/<int:seller_order_id>/ship", methods=["POST"])
@login_required
def ship_seller_order(seller_order_id: int):
    user, seller_order = _my_seller_order(seller_order_id)
    data, errors = load_form(ShipSchema(), request.form)
    if data is not None:
        perform(
            lambda: orders.ship(
                user, seller_order, data.get("carrier"), data.get("tracking_number")
            ),
            gettext("Order %(number)s is shipped.", number=seller_order.order.number),
        )
    return redirect(url_for("web.seller_orders", _anchor=f"seller-order-{seller_order_id}"))


@bp.route("/dashboard/orders/<int:seller_order_id>/deliver", methods=["POST"])
@login_required
def deliver_seller_order(seller_order_id: int):
    user, seller_order = _my_seller_order(seller_order_id)
    perform(
        lambda: orders.deliver(user, seller_order),
        gettext("Order %(number)s is delivered.", number=seller_order.order.number),
    )
    return redirect(url_for("web.seller_orders", _anchor=f"seller-order-{seller_order_id}"))


@bp.route("/dashboard/orders/<int:seller_order_id>/cancel", methods=["POST"])
@login_required
def cancel_seller_order(seller_order_id: int):
    """Cancel my part of an order (with a reason): its stock back, a card payment refunded."""
    user, seller_order = _my_seller_order(seller_order_id)
    data, errors = load_form(SellerOrderCancelSchema(), request.form)
    if data is None:
        flash(gettext("Give a reason: the buyer reads it."), "error")
    else:
        perform(
            lambda: orders.cancel_part(user, seller_order, data["reason"]),
            gettext(
                "Your part of order %(number)s is cancelled.", number=seller_order.order.number
            ),
        )
    return redirect(url_for("web.seller_orders", _anchor=f"seller-order-{seller_order_id}"))
