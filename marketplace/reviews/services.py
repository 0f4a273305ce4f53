"""Reviews: only buyers who received the product write one (once); the household replies once;
the co-op's admins hide what breaks the rules (audited). Ratings count visible reviews only."""

from __future__ import annotations

from sqlalchemy import Select, exists, select, update
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..catalogue.models import Product
from ..catalogue.services import get_product_for, manages
from ..clock import utcnow
from ..coops.services import record_audit, require_coop_admin
from ..errors import Conflict, Forbidden, InvalidTransition, NotFound
from ..extensions import db
from ..orders.models import Order, OrderLine, SellerOrder
from ..sellers.models import Seller
from .models import Review


def received(user: User, product_id: int) -> bool:
    """The user bought this product and a seller order holding it was delivered."""
    return bool(
        db.session.scalar(
            select(
                exists()
                .where(OrderLine.product_id == product_id)
                .where(SellerOrder.id == OrderLine.seller_order_id)
                .where(SellerOrder.status == "delivered")
                .where(Order.id == SellerOrder.order_id)
                .where(Order.buyer_id == user.id)
            )
        )
    )


def has_reviewed(user: User, product_id: int) -> bool:
    return (
        db.session.scalar(
            select(Review.id).where(Review.product_id == product_id, Review.buyer_id == user.id)
        )
        is not None
    )


def _count(review: Review, sign: int) -> None:
    """Add (+1) or take away (-1) a visible review in its product's and household's rating;
    atomic increments, so concurrent reviews never lose one."""
    for model, key in ((Product, review.product_id), (Seller, review.seller_id)):
        db.session.execute(
            update(model)
            .where(model.id == key)
            .values(
                rating_count=model.rating_count + sign,
                rating_total=model.rating_total + sign * review.rating,
            ),
            execution_options={"synchronize_session": False},
        )
    product = db.session.get(Product, review.product_id)
    if product is not None:
        db.session.refresh(product, ["rating_count", "rating_total"])


def require_reviewer(user: User, product: Product) -> None:
    """Verified purchases only: 403 without a delivered order of the product."""
    if not received(user, product.id):
        raise Forbidden("Only a buyer who received this product can review it.")


def create_review(user: User, product: Product, rating: int, text: str | None) -> Review:
    """A verified purchase's review (403 without a delivered order of it; 409 the second time)."""
    require_reviewer(user, product)
    if has_reviewed(user, product.id):
        raise Conflict("You have already reviewed this product.")
    review = Review(
        product_id=product.id,
        seller_id=product.seller_id,
        buyer_id=user.id,
        rating=rating,
        text=text or None,
    )
    db.session.add(review)
    db.session.flush()  # a concurrent second review fails here on UNIQUE (product, buyer): 409
    _count(review, +1)
    db.session.flush()
    return review


def visible_reviews(product_id: int) -> Select:
    """A product's visible reviews, newest first (public)."""
    return (
        select(Review)
        .where(Review.product_id == product_id, Review.hidden_at.is_(None))
        .options(joinedload(Review.buyer))
        .order_by(Review.created_at.desc(), Review.id.desc())
    )


def reviews_of_seller(seller_id: int, *, hidden: bool = False) -> Select:
    """A household's reviews, newest first; hidden ones only for its co-op's console."""
    query = select(Review).where(Review.seller_id == seller_id)
    if not hidden:
        query = query.where(Review.hidden_at.is_(None))
    return query.options(joinedload(Review.buyer), joinedload(Review.product)).order_by(
        Review.created_at.desc(), Review.id.desc()
    )


def reviews_of_coop(coop_id: int) -> Select:
    """Every review of the co-op's households (hidden ones too), newest first: its console."""
    return (
        select(Review)
        .join(Seller, Seller.id == Review.seller_id)
        .where(Seller.coop_id == coop_id)
        .options(joinedload(Review.buyer), joinedload(Review.product))
        .order_by(Review.created_at.desc(), Review.id.desc())
    )


def reviewable_products(user: User, product_ids: list[int]) -> set[int]:
    """Of these products, those the user received and has not reviewed yet (the order page)."""
    if not product_ids:
        return set()
    delivered = set(
        db.session.scalars(
            select(OrderLine.product_id)
            .join(SellerOrder, SellerOrder.id == OrderLine.seller_order_id)
            .join(Order, Order.id == SellerOrder.order_id)
            .where(
                Order.buyer_id == user.id,
                SellerOrder.status == "delivered",
                OrderLine.product_id.in_(product_ids),
            )
        )
    )
    reviewed = set(
        db.session.scalars(
            select(Review.product_id).where(
                Review.buyer_id == user.id, Review.product_id.in_(product_ids)
            )
        )
    )
    return delivered - reviewed


def get_review_for(user: User | None, review_id: int) -> Review:
    """A visible review of a product the user may see; hidden ones only to who manages it."""
    review = db.session.scalar(
        select(Review).where(Review.id == review_id).options(joinedload(Review.buyer))
    )
    if review is None:
        raise NotFound("No such review.")
    product = get_product_for(user, review.product_id)  # 404 when the product is not visible
    if review.hidden_at is not None and not manages(user, product):
        raise NotFound("No such review.")
    return review


def require_replier(user: User, review: Review) -> None:
    if review.product.seller.user_id != user.id:
        raise Forbidden("Only the household that sells this product can reply.")


def require_hider(user: User, review: Review) -> None:
    require_coop_admin(
        user,
        review.product.seller.coop_id,
        "Only an admin of this household's co-op can hide its reviews.",
    )


def reply(user: User, review: Review, text: str) -> Review:
    """The household answers a review, once (409 the second time)."""
    require_replier(user, review)
    if review.reply_text is not None:
        raise Conflict("This review already has a reply.")
    # Conditional: two replies at once, one wins.
    done = db.session.execute(
        update(Review)
        .where(Review.id == review.id, Review.reply_text.is_(None))
        .values(reply_text=text, replied_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not done:
        raise Conflict("This review already has a reply.")
    db.session.refresh(review)
    return review


def hide(user: User, review: Review, reason: str) -> Review:
    """A co-op admin hides a review of one of its households (audited; out of the ratings)."""
    require_hider(user, review)
    done = db.session.execute(
        update(Review)
        .where(Review.id == review.id, Review.hidden_at.is_(None))
        .values(hidden_at=utcnow(), hidden_reason=reason, hidden_by_id=user.id),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not done:
        raise InvalidTransition(
            "This review is already hidden.", {"status": "hidden", "action": "hide"}
        )
    db.session.refresh(review)
    _count(review, -1)
    record_audit(
        coop_id=review.product.seller.coop_id,
        actor=user,
        action="review.hide",
        target_type="review",
        target_id=review.id,
        reason=reason,
    )
    return review
