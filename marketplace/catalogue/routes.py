from ..auth.access import acting_on, admin_required, current_user, login_required, require_user
from ..coops.services import can_moderate, get_coop
from ..errors import Forbidden
from ..http import Blueprint, PageArgs, page_of, paginate
from ..sellers.schemas import ReasonSchema
from ..sellers.services import get_seller_for, sees_full_view
from . import response_cache, services
from .schemas import (
    CategoryCreateSchema,
    CategoryNodeSchema,
    CategoryTreeSchema,
    CategoryUpdateSchema,
    ProductCreateSchema,
    ProductListArgs,
    ProductSchema,
    ProductStatusArgs,
    ProductUpdateSchema,
    StockAdjustmentSchema,
    StockMovementSchema,
)

blp = Blueprint("catalogue", __name__, url_prefix="/api/v1", description="Categories and products")
PRODUCT_PAGE = page_of(ProductSchema)()


@blp.route("/categories", methods=["GET"])
@blp.response(200, CategoryTreeSchema)
def list_categories():
    """The category tree: root categories, each with its children."""
    return {"items": services.category_tree()}


@blp.route("/categories", methods=["POST"])
@blp.arguments(CategoryCreateSchema)
@blp.response(201, CategoryNodeSchema)
@blp.errors(400, 401, 403, 409)
@admin_required
def create_category(data):
    """Add a category (platform admin)."""
    category = services.create_category(**data)
    return category


@blp.route("/categories/<int:category_id>", methods=["PATCH"])
@blp.arguments(CategoryUpdateSchema)
@blp.response(200, CategoryNodeSchema)
@blp.errors(400, 401, 403, 404)
@admin_required
def update_category(data, category_id):
    """Change a category's shelf lives (platform admin): `shelf_life_hours` and
    `cold_shelf_life_hours`, hours from 1 to 87,600 or null (not known); the cold one is never
    less than the ambient one. Products without their own shelf life follow."""
    return services.set_shelf_lives(services.get_category_by_id(category_id), data)


@blp.route("/products", methods=["GET"])
@blp.arguments(ProductListArgs, location="query")
@blp.response(200, PRODUCT_PAGE)
def list_products(args):
    """The public catalogue: active products of approved households, filtered and sorted."""

    def page():
        filters = dict(args)
        sort, number, per_page = filters.pop("sort"), filters.pop("page"), filters.pop("per_page")
        return services.catalogue_page(filters, sort, number, per_page)

    return response_cache.serve("products", args, page, PRODUCT_PAGE)


@blp.route("/products", methods=["POST"])
@blp.arguments(ProductCreateSchema)
@blp.response(201, ProductSchema)
@blp.errors(400, 401, 403)
@login_required
def create_product(data):
    """List a product (an approved household); it waits for the co-op's review."""
    product = services.create_product(require_user(), data)
    return product


@blp.route("/products/<int:product_id>", methods=["GET"])
@blp.response(200, ProductSchema)
@blp.errors(404)
def get_product(product_id):
    """A product: visible ones for anyone; any status for its household and co-op admins."""
    return services.get_product_for(current_user(), product_id)


@blp.route("/products/<int:product_id>", methods=["PATCH"])
@blp.arguments(ProductUpdateSchema)
@blp.response(200, ProductSchema)
@blp.errors(400, 401, 403, 404, 409)
@acting_on(services.owner_of_product)
def update_product(data, product_id):
    """Edit a listing (its household). Name, description, category or images send an active
    listing back to review; price and the other fields do not."""
    user = require_user()
    product = services.update_product(user, services.get_product_for(user, product_id), data)
    return product


@blp.route("/products/<int:product_id>", methods=["DELETE"])
@blp.response(204)
@blp.errors(401, 403, 404, 409)
@login_required
def archive_product(product_id):
    """Archive a listing (its household): gone from the catalogue, kept in order history."""
    user = require_user()
    services.transition(user, services.get_product_for(user, product_id), "archive")


def _action_route(action: str, with_reason: bool, who: str):
    def view(*args, product_id):
        data = args[0] if args else {}
        user = require_user()
        product = services.get_product_for(user, product_id)
        services.transition(user, product, action, data.get("reason"))
        return product

    view.__name__ = f"{action}_product"
    view.__doc__ = f"{action.capitalize()} a listing ({who})."
    view = acting_on(
        services.moderator_of_product
        if action in services.MODERATION_ACTIONS
        else services.owner_of_product
    )(view)
    view = blp.errors(400, 401, 403, 404, 409)(view)
    view = blp.response(200, ProductSchema)(view)
    if with_reason:
        view = blp.arguments(ReasonSchema)(view)
    blp.route(f"/products/<int:product_id>/{action}", methods=["POST"])(view)


for _action, _with_reason, _who in (
    ("approve", False, "an admin of its household's co-op"),
    ("reject", True, "an admin of its household's co-op"),
    ("remove", True, "an admin of its household's co-op"),
    ("pause", False, "its household"),
    ("resume", False, "its household"),
):
    _action_route(_action, _with_reason, _who)


@blp.route("/products/<int:product_id>/stock-adjustments", methods=["POST"])
@blp.arguments(StockAdjustmentSchema)
@blp.response(200, ProductSchema)
@blp.errors(400, 401, 403, 404, 409)
@acting_on(services.owner_of_product)
def adjust_stock(data, product_id):
    """Correct the stock with a reason (its household); never below zero."""
    user = require_user()
    product = services.get_product_for(user, product_id)
    services.adjust_stock(user, product, data["delta"], data["reason"])
    return product


@blp.route("/products/<int:product_id>/stock-movements", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(StockMovementSchema))
@blp.errors(401, 403, 404)
@login_required
def stock_movements(args, product_id):
    """Why the stock changed, newest first (its household and co-op admins)."""
    user = require_user()
    product = services.get_product_for(user, product_id)
    if not services.manages(user, product):
        raise Forbidden("Only the household and its co-op see stock movements.")
    return paginate(services.stock_movements(product), args["page"], args["per_page"])


@blp.route("/coops/<int:coop_id>/products", methods=["GET"])
@blp.arguments(ProductStatusArgs, location="query")
@blp.response(200, page_of(ProductSchema))
@blp.errors(401, 403, 404)
@login_required
def coop_products(args, coop_id):
    """The co-op's listings in any status, e.g. the review queue with ?status=pending_review."""
    coop = get_coop(coop_id)
    if not can_moderate(require_user(), coop.id):
        raise Forbidden("Only this co-op's admins see all its listings.")
    query = services.products_of_coop(coop.id, args.get("status"))
    return paginate(query, args["page"], args["per_page"])


@blp.route("/sellers/<int:seller_id>/products", methods=["GET"])
@blp.arguments(ProductStatusArgs, location="query")
@blp.response(200, page_of(ProductSchema))
@blp.errors(401, 403, 404)
@login_required
def seller_products(args, seller_id):
    """A household's listings in any status (the household itself and its co-op admins)."""
    user = require_user()
    seller = get_seller_for(user, seller_id)
    if not sees_full_view(user, seller):
        raise Forbidden("Only the household and its co-op see all its listings.")
    query = services.products_of_seller(seller.id, args.get("status"))
    return paginate(query, args["page"], args["per_page"])
