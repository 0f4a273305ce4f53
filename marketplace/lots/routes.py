from flask import Response

from ..auth.access import acting_on, login_required, require_user
from ..catalogue.services import get_product_for, owner_of_product
from ..http import Blueprint, PageArgs, page_of, paginate_rows
from . import labels, services
from .schemas import LotCreateSchema, LotOrderSchema, LotSchema, RecallSchema, TraceSchema

blp = Blueprint("lots", __name__, url_prefix="/api/v1", description="Harvest lots and tracing")


@blp.route("/products/<int:product_id>/lots", methods=["POST"])
@blp.arguments(LotCreateSchema)
@blp.response(201, LotSchema)
@blp.errors(400, 401, 403, 404, 409)
@acting_on(owner_of_product)
def create_lot(data, product_id):
    """Record a harvest lot of your product; its quantity joins the stock (movement `lot`)."""
    user = require_user()
    product = get_product_for(user, product_id)
    return services.create_lot(user, product, data)


@blp.route("/lots/<code>", methods=["GET"])
@blp.response(200, TraceSchema)
@blp.errors(404)
def trace(code):
    """The public trace record of a lot: product, household, place, harvest, certification,
    when its units were sold and shipped; never a buyer."""
    return services.trace_record(services.get_lot(code))


@blp.route("/lots/<code>/qr.svg", methods=["GET"])
@blp.doc(responses={"200": {"description": "QR code", "content": {"image/svg+xml": {}}}})
@blp.errors(404)
def qr_code(code):
    """A QR code of the lot's trace_url, for the crate label (SVG)."""
    lot = services.get_lot(code)
    response = Response(labels.qr_svg(services.trace_url(lot)), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@blp.route("/lots/<code>/orders", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(LotOrderSchema))
@blp.errors(401, 403, 404)
@login_required
def lot_orders(args, code):
    """One step forward: the seller orders holding units of the lot (its household, its
    co-op's admins)."""
    user = require_user()
    query = services.lot_orders(user, services.get_lot(code))
    return paginate_rows(query, args["page"], args["per_page"])


@blp.route("/lots/<code>/recall", methods=["POST"])
@blp.arguments(RecallSchema)
@blp.response(200, LotSchema)
@blp.errors(400, 401, 403, 404, 409)
@acting_on(lambda user, code: services.require_recaller(user, services.get_lot(code)))
def recall(data, code):
    """Recall a lot (an admin of its household's co-op): unsold units leave the stock, seller
    orders not yet shipped are cancelled and refunded; audited."""
    user = require_user()
    return services.recall(user, services.get_lot(code), data["reason"])
