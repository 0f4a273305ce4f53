from flask import Response, jsonify, request
from marshmallow import Schema, fields, validate

from ..auth.access import acting_on, login_required, require_user
from ..catalogue.services import get_product_for, owner_of_product
from ..errors import ErrorSchema, NotFound
from ..http import Blueprint, page_of
from ..payments import bank_transfer
from . import (  # noqa: F401  (payment_events, bank_transfers: handlers they register)
    bank_transfers,
    harvest,
    idempotency,
    payment_events,
    services,
)
from .checkout import checkout, declined_error
from .schemas import (
    HarvestResultSchema,
    HarvestSchema,
    OrderCancelSchema,
    OrderCreateSchema,
    OrderListArgs,
    OrderSchema,
    RefusedSchema,
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


_order_schema = OrderSchema()
_error_schema = ErrorSchema()


def place_order_once(user, data, body, key, expected_prices=None) -> tuple[int, dict]:
    """Check out once per Idempotency-Key: 201 with the order, or 402 naming a declined one."""

    def place() -> tuple[int, dict, int]:
        result = checkout(user, data, key=key, expected_prices=expected_prices)
        if result.declined is None:
            return 201, _order_schema.dump(result.order), result.order.id
        error = declined_error(result)
        answer = {"error": {"code": error.code, "message": error.message, "details": error.details}}
        return 402, _error_schema.dump(answer), result.order.id

    return idempotency.once(user.id, key, body, place, _order_schema.dump)


@blp.route("/orders", methods=["POST"])
@blp.arguments(IdempotencyHeaderSchema, location="headers")
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
@blp.errors(400, 401, 402, 409, 502, 503)
@login_required
def create_order(headers, data):
    """Check out: reserve every item or none, split per household, pay by card, by bank transfer
    (VietQR) or on delivery."""
    status, body = place_order_once(
        require_user(), data, request.get_json(silent=True), headers.get("idempotency_key")
    )
    response = jsonify(body)  # already serialised: the stored answer of an Idempotency-Key
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
    return services.list_orders(require_user(), args.get("status"), args["page"], args["per_page"])


@blp.route("/orders/<int:order_id>", methods=["GET"])
@blp.response(200, OrderSchema)
@blp.errors(401, 404)
@login_required
def get_order(order_id):
    """An order: the buyer sees all of it; a household or co-op admin only its seller orders."""
    return services.show_order(require_user(), order_id)


@blp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@blp.arguments(OrderCancelSchema)
@blp.response(200, OrderSchema)
@blp.errors(400, 401, 403, 404, 409, 502, 503)
@acting_on(
    lambda user, order_id: services.require_buyer(user, services.get_order_for(user, order_id))
)
def cancel_order(data, order_id):
    """The buyer cancels before anything shipped: stock back, card payments refunded in full."""
    return services.cancel_order_by_buyer(require_user(), order_id, data.get("reason"))


@blp.route("/seller/orders", methods=["GET"])
@blp.arguments(SellerOrderListArgs, location="query")
@blp.response(200, page_of(SellerOrderDetailSchema))
@blp.errors(401, 403)
@login_required
def list_seller_orders(args):
    """The caller's household's seller orders, newest first, with where to ship."""
    return services.list_seller_orders(
        require_user(), args.get("status"), args["page"], args["per_page"]
    )


def _part_actor(rule):
    def check(user, seller_order_id):
        rule(user, services.get_seller_order_for(user, seller_order_id))

    return check


# Who may act on a seller order, checked before its body is read.
PART_ACTORS = {
    "ship": _part_actor(services.require_household),
    "deliver": _part_actor(services.require_household),
    "cancel": _part_actor(services.require_household),
    "refused": _part_actor(services.require_refusal_recorder),
}


def _seller_action(action: str, schema, doc: str):
    def view(*args, seller_order_id):
        data = args[0] if args else {}
        return services.act_on_seller_order(require_user(), seller_order_id, action, **data)

    view.__name__ = f"{action}_seller_order"
    view.__doc__ = doc
    view = acting_on(PART_ACTORS[action])(view)
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


@blp.route("/orders/<int:order_id>/vietqr.svg", methods=["GET"])
@blp.doc(
    responses={
        200: {
            "description": "The VietQR code of what is still due, as an SVG image",
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
        }
    }
)
@blp.errors(401, 404, 409)
@login_required
def order_vietqr(order_id):
    """The buyer's VietQR code to pay an order by bank transfer (others: 404)."""
    user = require_user()
    order = services.get_order_for(user, order_id)
    if order.buyer_id != user.id:
        raise NotFound("No such order.")
    svg = bank_transfer.qr_svg(order)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private"})


_seller_action(
    "refused",
    RefusedSchema,
    "A shipped cash-on-delivery parcel was refused at the door (the household or its co-op's "
    "admins): `refused`, no money changes hands, no restock.",
)


@blp.route("/products/<int:product_id>/harvest", methods=["POST"])
@blp.arguments(HarvestSchema)
@blp.response(200, HarvestResultSchema)
@blp.errors(400, 401, 403, 404, 409, 502, 503)
@acting_on(owner_of_product)
def record_harvest(data, product_id):
    """Record a pre-order product's harvest (its household), once: the yield goes to the paid
    pre-orders by deposit time, shortfalls are cancelled and refunded, the rest becomes stock."""
    user = require_user()
    return harvest.record_harvest(user, get_product_for(user, product_id), data["quantity"])
