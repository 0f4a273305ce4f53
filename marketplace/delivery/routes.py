from ..auth.access import acting_on, login_required, require_user
from ..coops.services import admin_of_coop, get_coop
from ..http import Blueprint
from ..orders import services as orders
from ..orders.schemas import OrderQuoteRequestSchema
from . import services
from .schemas import (
    DeliveryMethodCreateSchema,
    DeliveryMethodListSchema,
    DeliveryMethodSchema,
    DeliveryMethodUpdateSchema,
    QuoteSchema,
)

blp = Blueprint(
    "delivery", __name__, url_prefix="/api/v1", description="Delivery methods and quotes"
)


@blp.route("/coops/<int:coop_id>/delivery-methods", methods=["GET"])
@blp.response(200, DeliveryMethodListSchema)
@blp.errors(404)
def list_methods(coop_id):
    """The co-op's active delivery methods (public)."""
    methods = services.active_methods(get_coop(coop_id).id)
    return {"items": methods}


@blp.route("/coops/<int:coop_id>/delivery-methods", methods=["POST"])
@blp.arguments(DeliveryMethodCreateSchema)
@blp.response(201, DeliveryMethodSchema)
@blp.errors(400, 401, 403, 404)
@acting_on(admin_of_coop(services.METHODS_FOR_ADMINS))
def create_method(data, coop_id):
    """Add a pickup point or a delivery service (the co-op's admins)."""
    method = services.create_method(require_user(), get_coop(coop_id), data)
    return method


@blp.route("/coops/<int:coop_id>/delivery-methods/<int:method_id>", methods=["PATCH"])
@blp.arguments(DeliveryMethodUpdateSchema)
@blp.response(200, DeliveryMethodSchema)
@blp.errors(400, 401, 403, 404)
@acting_on(services.method_of_coop)
def update_method(data, coop_id, method_id):
    """Change a delivery method (the co-op's admins); orders placed before keep their fee."""
    user = require_user()
    method = services.get_method_for(user, get_coop(coop_id), method_id)
    return services.update_method(method, data)


@blp.route("/coops/<int:coop_id>/delivery-methods/<int:method_id>", methods=["DELETE"])
@blp.response(204)
@blp.errors(401, 403, 404)
@acting_on(services.method_of_coop)
def deactivate_method(coop_id, method_id):
    """Stop offering a delivery method (the co-op's admins); orders that used it keep it."""
    services.deactivate_method(
        services.get_method_for(require_user(), get_coop(coop_id), method_id)
    )


@blp.route("/orders/quote", methods=["POST"])
@blp.arguments(OrderQuoteRequestSchema)
@blp.response(200, QuoteSchema)
@blp.errors(400, 401)
@login_required
def quote(data):
    """What delivery each household's part would cost and by when it would arrive, before paying;
    nothing is reserved or written."""
    return orders.quote(require_user(), data)
