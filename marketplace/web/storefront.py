"""The storefront: home with what is in season, browsing by category, product and household pages."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from marshmallow import ValidationError as SchemaError

from ..catalogue import services as catalogue
from ..catalogue.schemas import ProductListArgs
from ..http import PageArgs, paginate
from ..places import all_provinces, wards_of
from ..reviews import services as reviews
from ..sellers import services as sellers
from .blueprint import bp
from .forms import ascii_int
from .session import page_user

HOME_COUNT = 12
REVIEWS_SHOWN = 20
PER_PAGE = 24


@bp.route("/")
def home():
    """In-season produce first, then what is new, and a search box."""
    in_season = catalogue.catalogue_page({"in_season": True}, "newest", 1, HOME_COUNT)
    newest = catalogue.catalogue_page({}, "newest", 1, HOME_COUNT)
    return render_template(
        "web/home.html",
        in_season=in_season["items"],
        newest=newest["items"],
        categories=catalogue.category_tree(),
        search_action=url_for("web.search"),
    )


def browse_args() -> dict:
    """The catalogue's query arguments, validated by the API's schema (blank ones ignored)."""
    raw = {k: v for k, v in request.args.items() if v != "" and k in ProductListArgs().fields}
    try:
        return ProductListArgs().load(raw)
    except SchemaError:
        abort(400)


def page_number() -> int:
    """``?page=`` of a list page, validated like the API's (400 when it is not a page number)."""
    try:
        return PageArgs().load({"page": request.args.get("page", "1")})["page"]
    except SchemaError:
        abort(400)


@bp.route("/products")
def browse():
    """The catalogue by category, origin, price and season, in the chosen order."""
    args = browse_args()
    sort, page, per_page = args.pop("sort"), args.pop("page"), args.pop("per_page")
    # Counted only so far ahead, like GET /products: a page never counts the whole catalogue.
    result = catalogue.catalogue_page(args, sort, page, min(per_page, PER_PAGE))
    return render_template(
        "web/browse.html",
        result=result,
        filters=args,
        sort=sort,
        categories=catalogue.category_tree(),
        provinces=all_provinces(),
    )


@bp.route("/products/<int:product_id>")
def product(product_id: int):
    """A product as the visitor may see it (its household and co-op also see unpublished ones)."""
    item = catalogue.get_product_for(page_user(), product_id)
    shown = paginate(reviews.visible_reviews(item.id), 1, REVIEWS_SHOWN)["items"]
    return render_template("web/product.html", p=item, reviews=shown)


@bp.route("/households/<int:seller_id>")
def household_page(seller_id: int):
    """A household's public page and what it sells."""
    user = page_user()
    seller = sellers.get_seller_for(user, seller_id)
    result = catalogue.catalogue_page({"seller_id": seller.id}, "newest", page_number(), PER_PAGE)
    shown = paginate(reviews.reviews_of_seller(seller.id), 1, REVIEWS_SHOWN)["items"]
    return render_template(
        "web/household.html",
        s=seller,
        result=result,
        reviews=shown,
    )


@bp.route("/places/wards")
def ward_options():
    """The wards of a province as <option>s: the ward picker reloads them when the province
    changes (a button does the same without JavaScript)."""
    code = ascii_int(
        request.args.get("province_code") or request.args.get("pickup_province_code"), max_digits=5
    )
    wards = wards_of(code) if code is not None else []
    return render_template("web/_ward_options.html", wards=wards, selected=None)
