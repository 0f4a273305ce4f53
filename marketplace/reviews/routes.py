from ..auth.access import acting_on, current_user, require_user
from ..catalogue.services import get_product_for
from ..http import Blueprint, PageArgs, page_of, paginate
from . import services
from .schemas import HideSchema, ReplySchema, ReviewCreateSchema, ReviewSchema

blp = Blueprint("reviews", __name__, url_prefix="/api/v1", description="Product reviews")


@blp.route("/products/<int:product_id>/reviews", methods=["POST"])
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewSchema)
@blp.errors(400, 401, 403, 404, 409)
@acting_on(
    lambda user, product_id: services.require_reviewer(user, get_product_for(user, product_id))
)
def create_review(data, product_id):
    """Review a product you received (a delivered order holding it); once per product."""
    user = require_user()
    product = get_product_for(user, product_id)
    return services.create_review(user, product, data["rating"], data.get("text"))


@blp.route("/products/<int:product_id>/reviews", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(ReviewSchema))
@blp.errors(404)
def list_reviews(args, product_id):
    """A product's visible reviews, newest first (public)."""
    product = get_product_for(current_user(), product_id)
    return paginate(services.visible_reviews(product.id), args["page"], args["per_page"])


@blp.route("/reviews/<int:review_id>/reply", methods=["POST"])
@blp.arguments(ReplySchema)
@blp.response(200, ReviewSchema)
@blp.errors(400, 401, 403, 404, 409)
@acting_on(
    lambda user, review_id: services.require_replier(user, services.get_review_for(user, review_id))
)
def reply(data, review_id):
    """The household answers a review of its product, once."""
    user = require_user()
    return services.reply(user, services.get_review_for(user, review_id), data["text"])


@blp.route("/reviews/<int:review_id>/hide", methods=["POST"])
@blp.arguments(HideSchema)
@blp.response(200, ReviewSchema)
@blp.errors(400, 401, 403, 404, 409)
@acting_on(
    lambda user, review_id: services.require_hider(user, services.get_review_for(user, review_id))
)
def hide(data, review_id):
    """Hide a review (an admin of the household's co-op; written to the co-op audit log)."""
    user = require_user()
    return services.hide(user, services.get_review_for(user, review_id), data["reason"])
