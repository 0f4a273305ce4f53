from flask import jsonify, request
from marshmallow import Schema, fields, validate

from ..auth.access import login_required, require_user
from ..http import Blueprint, page_of, paginate
from . import services
from .checkout import checkout
from .schemas import (
    OrderCancelSchema,
    OrderCreateSchema,
    OrderListArgs,
    OrderSchema,
    SellerOrderCancelSchema,
    SellerOrderDetailSchema,
    SellerOrderListArgs,
    ShipSchema,
)

blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Orders and seller orders")


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=[
            validate.Length(min=1, max=255),
            validate.Regexp(r"^[\x21-\x7e]+$", error="Printable ASCII without spaces."),
        ],
        metadata={"description": "Same key and body: the same order and answer, once."},
    )


@blp.route("/orders", methods=["POST"])
@blp.arguments(IdempotencyHeaderSchema, location="headers")
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
@blp.errors(400, 401, 402, 409, 502, 503)
@login_required
def create_order(headers, data):
    """Check out: reserve every item or none, split per household, pay by card or on delivery."""
    status, body = checkout(
        require_user(), data, request.get_json(silent=True), headers.get("idempotency_key")
    )
    response = jsonify(body)
    response.status_code = status
    return response


@blp.route("/orders", methods=["GET"])
@blp.arguments(OrderListArgs, location="query")
@blp.response(200, page_of(OrderSchema))
@blp.errors(401)
@login_required
def list_orders(args):
    """Orders the caller bought; for households and co-op admins also the orders holding their
    seller orders, showing only those parts."""
    user = require_user()
    services.expire_overdue_for(user)
    page = paginate(services.orders_for(user, args.get("status")), args["page"], args["per_page"])
    page["items"] = [services.order_view(order, user) for order in page["items"]]
    return page


@blp.route("/orders/<int:order_id>", methods=["GET"])
@blp.response(200, OrderSchema)
@blp.errors(401, 404)
@login_required
def get_order(order_id):
    """An order: the buyer sees all of it; a household or co-op admin only its seller orders."""
    user = require_user()
    order = services.get_order_for(user, order_id)
    if order.buyer_id == user.id:
        services.refresh_card_payment(order)
    view = services.order_view(order, user)
    return view


@blp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@blp.arguments(OrderCancelSchema)
@blp.response(200, OrderSchema)
@blp.errors(400, 401, 403, 404, 409, 502, 503)
@login_required
def cancel_order(data, order_id):
    """The buyer cancels before anything shipped: stock back, card payments refunded in full."""
    user = require_user()
    order = services.cancel_order(user, services.get_order_for(user, order_id), data.get("reason"))
    view = services.order_view(order, user)
    return view


@blp.route("/seller/orders", methods=["GET"])
@blp.arguments(SellerOrderListArgs, location="query")
@blp.response(200, page_of(SellerOrderDetailSchema))
@blp.errors(401, 403)
@login_required
def list_seller_orders(args):
    """The caller's household's seller orders, newest first, with where to ship."""
    user = require_user()
    query = services.seller_orders_of(user, args.get("status"))
    services.expire_overdue_for_household(user)
    page = paginate(query, args["page"], args["per_page"])
    page["items"] = [services.seller_order_detail(so) for so in page["items"]]
    return page


def _seller_action(action: str, schema, doc: str):
    def view(*args, seller_order_id):
        data = args[0] if args else {}
        user = require_user()
        seller_order = services.get_seller_order_for(user, seller_order_id)
        if action == "ship":
            services.ship(user, seller_order, data.get("carrier"), data.get("tracking_number"))
        elif action == "deliver":
            services.deliver(user, seller_order)
        else:
            services.cancel_part(user, seller_order, data["reason"])
        view_ = services.seller_order_detail(seller_order)
        return view_

    view.__name__ = f"{action}_seller_order"
    view.__doc__ = doc
    view = login_required(view)
    view = blp.errors(400, 401, 403, 404, 409, *((502, 503) if action == "cancel" else ()))(view)
    view = blp.response(200, SellerOrderDetailSchema)(view)
    if schema is not None:
        view = blp.arguments(schema)(view)
    blp.route(f"/seller-orders/<int:seller_order_id>/{action}", methods=["POST"])(view)


_seller_action("ship", ShipSchema, "The household ships its part (carrier and tracking optional).")
_seller_action("deliver", None, "The household's part was delivered (cash collected for COD).")
_seller_action(
    "cancel", SellerOrderCancelSchema, "The household cancels its part: restock and refund it."
)
