"""Reviews on the pages: a buyer reviews what they received (from their order page), the
household replies from its dashboard, the co-op hides one from its console."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..catalogue.services import get_product_for
from ..errors import Forbidden
from ..http import paginate
from ..reviews import services as reviews
from ..reviews.schemas import HideSchema, ReplySchema, ReviewCreateSchema
from .actions import perform
from .blueprint import bp
from .coop_console import moderated_coop
from .forms import load_form
from .household import my_household
from .session import login_required, page_user
from .storefront import page_number

PER_PAGE = 30


def _flash_errors(errors: dict[str, list[str]]) -> None:
    for messages in errors.values():
        flash(" ".join(gettext(m) for m in messages), "error")


def _back(default: str):
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else default)


@bp.route("/products/<int:product_id>/review", methods=["POST"])
@login_required
def review_product(product_id: int):
    """A buyer's review of a product from a delivered order (403 for anyone else)."""
    user = page_user()
    product = get_product_for(user, product_id)
    if not reviews.received(user, product.id):
        raise Forbidden("Only a buyer who received this product can review it.")
    data, errors = load_form(ReviewCreateSchema(), request.form)
    if data is None:
        _flash_errors(errors)
    else:
        perform(
            lambda: reviews.create_review(user, product, data["rating"], data.get("text")),
            gettext("Thank you: your review is published."),
        )
    return _back(url_for("web.product", product_id=product.id))


@bp.route("/dashboard/reviews")
@login_required
def my_reviews():
    """Reviews of my products, newest first, with a reply form on those without a reply."""
    _user, seller = my_household()
    result = paginate(reviews.reviews_of_seller(seller.id), page_number(), PER_PAGE)
    return render_template("web/reviews_household.html", result=result, seller=seller)


@bp.route("/dashboard/reviews/<int:review_id>/reply", methods=["POST"])
@login_required
def reply_review(review_id: int):
    user, _seller = my_household()
    review = reviews.get_review_for(user, review_id)
    data, errors = load_form(ReplySchema(), request.form)
    if data is None:
        _flash_errors(errors)
    else:
        perform(lambda: reviews.reply(user, review, data["text"]), gettext("Reply published."))
    return redirect(url_for("web.my_reviews"))


@bp.route("/coop/<int:coop_id>/reviews")
@login_required
def coop_reviews(coop_id: int):
    """Reviews of the co-op's households, newest first, each with a hide action."""
    _user, coop = moderated_coop(coop_id)
    result = paginate(reviews.reviews_of_coop(coop.id), page_number(), PER_PAGE)
    return render_template("web/coop_reviews.html", coop=coop, result=result)


@bp.route("/coop/reviews/<int:review_id>/hide", methods=["POST"])
@login_required
def hide_review(review_id: int):
    user = page_user()
    review = reviews.get_review_for(user, review_id)
    coop_id = review.product.seller.coop_id
    moderated_coop(coop_id)
    data, errors = load_form(HideSchema(), request.form)
    if data is None:
        _flash_errors(errors)
    else:
        perform(lambda: reviews.hide(user, review, data["reason"]), gettext("Review hidden."))
    return redirect(url_for("web.coop_reviews", coop_id=coop_id))
