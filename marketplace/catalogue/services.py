"""Categories, products (listings), listing moderation and the public catalogue query."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.models import User
from ..clock import today_vn
from ..coops.services import can_moderate, record_audit, require_coop_admin
from ..errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError, field_error
from ..extensions import db
from ..lots.models import Lot
from ..notifications import services as notifications
from ..places import check_place
from ..search.text import slugify
from ..sellers.models import Seller
from ..sellers.services import forbid_own_household
from . import sale_mode, stock
from .models import UNIT_WEIGHTS_G, Category, Product, StockMovement

# The listing state machine: (status, action) → new status. Anything else is 409.
# `archive` (DELETE) is allowed from every status but archived itself.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending_review", "approve"): "active",
    ("pending_review", "reject"): "rejected",
    ("active", "pause"): "paused",
    ("paused", "resume"): "active",
    ("active", "remove"): "removed",
    ("rejected", "edit"): "pending_review",
    ("active", "edit"): "pending_review",
    # A paused listing is not a way round review: resuming it must not publish unreviewed text.
    ("paused", "edit"): "pending_review",
    **{
        (status, "archive"): "archived"
        for status in ("pending_review", "active", "paused", "rejected", "removed")
    },
}
MODERATION_ACTIONS = ("approve", "reject", "remove")
OWNER_ACTIONS = ("pause", "resume", "archive")
# Editing these sends an active or paused listing back to review; price, stock and the rest do not.
REVIEWED_FIELDS = ("name", "description", "category_slug", "images")


def visible_products() -> Select:
    """The one definition of what buyers may see: active products of approved households.

    Used by the catalogue list, the product detail view, checkout and search.
    """
    return (
        select(Product)
        .join(Product.seller)
        .where(Product.status == "active", Seller.status == "approved")
    )


def with_relations(query: Select) -> Select:
    """Load everything a product's representation needs in a constant number of statements."""
    return query.options(
        joinedload(Product.category),
        joinedload(Product.seller).joinedload(Seller.coop),
        selectinload(Product.seller, Seller.certifications),
        selectinload(Product.photos),
    )


# ---- categories -------------------------------------------------------------------------


def category_tree() -> list[Category]:
    """The root categories, each with its ``children`` (and theirs) filled in: the whole tree in
    one statement."""
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    children: dict[int, list[Category]] = {c.id: [] for c in categories}
    for category in categories:
        if category.parent_id in children:
            children[category.parent_id].append(category)
    for category in categories:
        set_committed_value(category, "children", children[category.id])
    return [c for c in categories if c.parent_id not in children]


def get_category(slug: str, field: str = "category_slug") -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise field_error(field, f"No category '{slug}'.")
    return category


def create_category(
    *,
    name: str,
    slug: str | None = None,
    parent_slug: str | None = None,
    shelf_life_hours: int | None = None,
    cold_shelf_life_hours: int | None = None,
) -> Category:
    slug = slug or slugify(name)
    if not slug:
        raise field_error(
            "slug", "Give a slug: the name has no letters or digits to make one from."
        )
    check_shelf_lives(shelf_life_hours, cold_shelf_life_hours)
    parent = get_category(parent_slug, "parent_slug") if parent_slug else None
    if db.session.scalar(select(Category.id).where(Category.slug == slug)) is not None:
        raise Conflict(f"A category with slug '{slug}' exists.", {"slug": ["Already taken."]})
    position = (
        db.session.scalar(select(Category.position).order_by(Category.position.desc()).limit(1))
        or 0
    ) + 1
    category = Category(
        slug=slug,
        name=name,
        parent=parent,
        position=position,
        shelf_life_hours=shelf_life_hours,
        cold_shelf_life_hours=cold_shelf_life_hours,
    )
    db.session.add(category)
    db.session.flush()
    return category


def categories_by_slug() -> dict[str, Category]:
    return {c.slug: c for c in db.session.scalars(select(Category))}


def update_category(
    category: Category, *, name: str, parent_slug: str | None, **shelf_lives: int | None
) -> Category:
    """Rename a category, move it under another (never under itself or its descendants), or
    change its ``shelf_life_hours`` / ``cold_shelf_life_hours``."""
    parent = get_category(parent_slug, "parent_slug") if parent_slug else None
    if parent is not None and parent.id in category_and_descendants(category.slug):
        raise field_error("parent_slug", "A category cannot be placed under itself.")
    category.name = name
    category.parent = parent
    for field, hours in shelf_lives.items():
        setattr(category, field, hours)
    db.session.flush()
    return category


def get_category_by_id(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("No such category.")
    return category


def check_shelf_lives(ambient: int | None, cold: int | None) -> None:
    """422 when a category would keep less cooled than at ambient temperature."""
    if ambient is not None and cold is not None and cold < ambient:
        raise field_error(
            "cold_shelf_life_hours",
            f"Must not be less than shelf_life_hours ({ambient}): cooling never shortens it.",
        )


def set_shelf_lives(category: Category, changes: dict[str, int | None]) -> Category:
    """PATCH /categories/{id}: change ``shelf_life_hours`` and/or ``cold_shelf_life_hours``
    (hours, or None: not known). Kept cooled, produce never keeps less than at ambient
    temperature: a cold shelf life below the ambient one is 422. Products without their own shelf
    life follow at once (quotes and checkouts of new orders; placed orders keep their
    delivery snapshot)."""
    check_shelf_lives(
        changes.get("shelf_life_hours", category.shelf_life_hours),
        changes.get("cold_shelf_life_hours", category.cold_shelf_life_hours),
    )
    for field, hours in changes.items():
        setattr(category, field, hours)
    db.session.flush()
    return category


def category_and_descendants(slug: str) -> list[int]:
    """Ids of the category with this slug and of all categories below it ([] when unknown)."""
    rows = db.session.execute(select(Category.id, Category.parent_id, Category.slug)).all()
    root = next((r.id for r in rows if r.slug == slug), None)
    if root is None:
        return []
    ids, frontier = {root}, [root]
    while frontier:
        frontier = [r.id for r in rows if r.parent_id in frontier and r.id not in ids]
        ids.update(frontier)
    return sorted(ids)


# ---- representation ---------------------------------------------------------------------


# ---- who may see and do what ------------------------------------------------------------


def manages(user: User | None, product: Product) -> bool:
    """The owner household, its co-op's admins and platform admins see a listing in any status."""
    return user is not None and (
        product.seller.user_id == user.id or can_moderate(user, product.seller.coop_id)
    )


def get_product_for(user: User | None, product_id: int) -> Product:
    """The product as ``user`` may see it: visible ones for anyone, others to who manages them.

    One statement: for a single product, its household's few certifications and its photos are
    joined in too (a second round trip costs more than the repeated product columns)."""
    # Whether buyers may see it comes from the one rule, visible_products(), in the same statement.
    visible = (
        visible_products()
        .with_only_columns(Product.id)
        .where(Product.id == product_id)
        .correlate(None)
        .scalar_subquery()
    )
    query = select(Product, visible.label("visible_id")).where(Product.id == product_id)
    row = (
        db.session.execute(
            query.options(
                joinedload(Product.category),
                joinedload(Product.seller).joinedload(Seller.coop),
                joinedload(Product.seller).joinedload(Seller.certifications),
                # its few photos too (at most 10): still one round trip
                joinedload(Product.photos),
            )
        )
        .unique()
        .one_or_none()
    )
    if row is None:
        raise NotFound("No such product.")
    product, visible_id = row
    if visible_id is None and not manages(user, product):
        raise NotFound("No such product.")
    return product


def require_owner(user: User, product: Product) -> None:
    """403 unless ``user`` is the household that lists the product."""
    if product.seller.user_id != user.id:
        raise Forbidden("Only the household that lists this product can do this.")


def require_moderator(user: User, product: Product) -> None:
    """403 unless ``user`` moderates the listing: an admin of its household's co-op (not the
    household itself, even when it is one)."""
    require_coop_admin(
        user,
        product.seller.coop_id,
        "Only an admin of this household's co-op moderates its listings.",
    )
    forbid_own_household(user, product.seller)


def owner_of_product(user: User, product_id: int) -> None:
    """The route's check that ``user`` acts on its own listing (404, then 403)."""
    require_owner(user, get_product_for(user, product_id))


def moderator_of_product(user: User, product_id: int) -> None:
    """The route's check that ``user`` moderates this listing (404, then 403)."""
    require_moderator(user, get_product_for(user, product_id))


# ---- listing life cycle -----------------------------------------------------------------


def _approved_seller_of(user: User) -> Seller:
    seller = user.seller
    if seller is None or seller.status != "approved":
        raise Forbidden("Only an approved household can list products.")
    return seller


def _check_origin(code: int) -> None:
    errors = check_place(code, None)
    if errors:
        raise ValidationError(details={"origin_province_code": errors["province_code"]})


def create_product(user: User, data: dict[str, Any]) -> Product:
    """A new listing of the caller's household, waiting for its co-op's review."""
    return create_listing(_approved_seller_of(user), data, actor=user)


def create_listing(
    seller: Seller, data: dict[str, Any], *, actor: User | None, status: str = "pending_review"
) -> Product:
    """A listing of ``seller`` from ProductCreateSchema data (plus an optional ``sku``).

    The API creates it ``pending_review``; the seed loader, acting for the co-op, ``active``.
    """
    _check_origin(data["origin_province_code"])
    errors = sale_mode.check_new_listing(data)
    if errors:
        raise ValidationError(details=errors)
    category = get_category(data["category_slug"])
    opening_stock = sale_mode.opening_stock(data)
    product = Product(
        seller_id=seller.id,
        sku=data.get("sku"),
        name=data["name"],
        description=data["description"],
        category_id=category.id,
        unit=data["unit"],
        unit_price_vnd=data["unit_price_vnd"],
        stock_quantity=0,
        min_order_quantity=data.get("min_order_quantity", 1),
        harvest_start=data.get("harvest_start"),
        harvest_end=data.get("harvest_end"),
        origin_province_code=data["origin_province_code"],
        origin_area=data.get("origin_area"),
        images=data.get("images", []),
        unit_weight_g=data.get("unit_weight_g") or UNIT_WEIGHTS_G.get(data["unit"], 1000),
        own_shelf_life_hours=data.get("shelf_life_hours"),
        status=status,
        sale_mode=data.get("sale_mode", "in_stock"),
        expected_quantity=data.get("expected_quantity"),
        pre_order_cap_pct=data.get("pre_order_cap_pct", 70),
        deposit_pct=data.get("deposit_pct", 30),
        catch_weight=data.get("catch_weight", False),
    )
    db.session.add(product)
    db.session.flush()
    if opening_stock:
        reason = "Pre-order allowance" if product.sale_mode == "pre_order" else "Opening stock"
        stock.adjust_stock(product, opening_stock, reason, actor)
    return product


STOCK_EDIT_REASON = "Sửa số lượng tồn kho"


def update_product(user: User, product: Product, changes: dict[str, Any]) -> Product:
    """The owner edits a listing. Reviewed fields of an active, paused or rejected listing send it
    (back) to review; price, unit, quantities and harvest dates do not."""
    require_owner(user, product)
    return edit_listing(product, changes, actor=user)


def edit_listing(
    product: Product,
    changes: dict[str, Any],
    *,
    actor: User | None,
    review: bool = True,
    stock_reason: str = STOCK_EDIT_REASON,
) -> Product:
    """Apply ProductUpdateSchema ``changes``; ``review=False`` (the co-op's own seed data) keeps
    the status instead of sending an edited listing back to review."""
    if product.status == "archived":
        raise InvalidTransition("An archived product cannot be edited.")
    start = changes.get("harvest_start", product.harvest_start)
    end = changes.get("harvest_end", product.harvest_end)
    if start and end and end < start:
        raise field_error("harvest_end", "Must not be before harvest_start.")
    if "origin_province_code" in changes:
        _check_origin(changes["origin_province_code"])
    sale_mode.check_edit(product, changes)
    sale_mode.apply_allowance_change(product, changes, stock_reason, actor)
    if "category_slug" in changes:
        changes = dict(changes)
        product.category_id = get_category(changes.pop("category_slug")).id
        changes["category_slug"] = None  # still counts as a reviewed change
    if "stock_quantity" in changes:
        _stock_not_in_lots(product)
        changes = dict(changes)
        stock.set_stock(product, changes.pop("stock_quantity"), stock_reason, actor)
    reviewed = any(name in changes for name in REVIEWED_FIELDS)
    for name, value in changes.items():
        if name == "shelf_life_hours":
            product.own_shelf_life_hours = value
        elif name != "category_slug":
            setattr(product, name, value)
    if review and reviewed and (product.status, "edit") in TRANSITIONS:
        product.status = TRANSITIONS[(product.status, "edit")]
    db.session.flush()
    return product


def products_by_sku(skus: Iterable[str]) -> dict[str, Product]:
    """Products by their natural key (the seed's ``sku``), in one query."""
    skus = list(skus)
    if not skus:
        return {}
    rows = db.session.scalars(select(Product).where(Product.sku.in_(skus)))
    return {p.sku: p for p in rows}


def transition(user: User, product: Product, action: str, reason: str | None = None) -> Product:
    """Move a listing along its state machine; moderation goes to the co-op audit log."""
    if action in MODERATION_ACTIONS:
        require_moderator(user, product)
    else:
        require_owner(user, product)
    new_status = TRANSITIONS.get((product.status, action))
    if new_status is None:
        raise InvalidTransition(
            f"Cannot {action} a product in status '{product.status}'.",
            {"status": product.status, "action": action},
        )
    product.status = new_status
    notifications.listing_moderated(product, action, reason)
    if action in MODERATION_ACTIONS:
        record_audit(
            coop_id=product.seller.coop_id,
            actor=user,
            action=f"product.{action}",
            target_type="product",
            target_id=product.id,
            reason=reason,
        )
    db.session.flush()
    return product


def _stock_not_in_lots(product: Product) -> None:
    """A product with lots changes stock only through them (lots hold exactly its stock)."""
    if db.session.scalar(select(Lot.id).where(Lot.product_id == product.id).limit(1)) is not None:
        raise Conflict(
            "This product's stock comes from its harvest lots: record a lot to add stock.",
            {"stock_quantity": ["Changed through lots only."]},
        )


def adjust_stock(user: User, product: Product, delta: int, reason: str) -> Product:
    require_owner(user, product)
    if product.status == "archived":
        raise InvalidTransition("An archived product's stock cannot change.")
    if product.sale_mode == "pre_order":
        raise InvalidTransition(
            "A pre-order's stock is what is left of its allowance: change expected_quantity, "
            "or record the harvest.",
            {"sale_mode": product.sale_mode, "action": "adjust_stock"},
        )
    _stock_not_in_lots(product)
    return stock.adjust_stock(product, delta, reason, user)


def stock_movements(product: Product) -> Select:
    return (
        select(StockMovement)
        .where(StockMovement.product_id == product.id)
        .options(joinedload(StockMovement.actor))
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
    )


# ---- queries ----------------------------------------------------------------------------

SORT_ORDERS = {
    "newest": (Product.created_at.desc(), Product.id.desc()),
    "price": (Product.unit_price_vnd.asc(), Product.id.asc()),
    "-price": (Product.unit_price_vnd.desc(), Product.id.desc()),
    "name": (Product.name.asc(), Product.id.asc()),
}


def filter_products(query: Select, filters: dict[str, Any]) -> Select:
    """Apply the catalogue's filters (shared by GET /products and GET /search)."""
    if filters.get("category"):
        query = query.where(Product.category_id.in_(category_and_descendants(filters["category"])))
    if filters.get("province_code") is not None:
        query = query.where(Product.origin_province_code == filters["province_code"])
    if filters.get("coop_id") is not None:
        query = query.where(Seller.coop_id == filters["coop_id"])
    if filters.get("seller_id") is not None:
        query = query.where(Product.seller_id == filters["seller_id"])
    if filters.get("min_price") is not None:
        query = query.where(Product.unit_price_vnd >= filters["min_price"])
    if filters.get("max_price") is not None:
        query = query.where(Product.unit_price_vnd <= filters["max_price"])
    if filters.get("in_season") is not None:
        today = today_vn()
        in_window = (Product.harvest_start <= today) & (Product.harvest_end >= today)
        query = query.where(
            in_window if filters["in_season"] else ~in_window | Product.harvest_start.is_(None)
        )
    if filters.get("in_stock") is not None:
        query = query.where(
            Product.stock_quantity > 0 if filters["in_stock"] else Product.stock_quantity == 0
        )
    return query


def catalogue(filters: dict[str, Any], sort: str = "newest") -> Select:
    """The public catalogue: visible products matching the filters, in the given order."""
    query = filter_products(visible_products(), filters)
    return with_relations(query.order_by(*SORT_ORDERS[sort]))


# GET /products counts the matches only this far beyond the start of the page (docs/catalogue.md).
COUNT_AHEAD = 1000


def catalogue_page(filters: dict[str, Any], sort: str, page: int, per_page: int) -> dict[str, Any]:
    """A page of the public catalogue, ``{items, page, per_page, total, capped}``, in one
    statement.

    ``total`` is the number of matching products counted up to ``(page - 1) * per_page +
    COUNT_AHEAD``: exact below that, that number when at least as many match (a lower bound that
    grows as the buyer pages on). Counting every visible row would make each page linear in the
    catalogue (≈ 40 ms at 100,000 products); this is at most about a thousand index entries.
    ``capped`` says that the count stopped there (the pages say "more than …").
    """
    offset = (page - 1) * per_page
    matching = filter_products(visible_products(), filters)
    counted = (
        matching.with_only_columns(Product.id, maintain_column_froms=True)
        .limit(offset + COUNT_AHEAD)
        .subquery()
    )
    total = select(func.count()).select_from(counted).scalar_subquery()
    query = (
        matching.add_columns(total.label("total"))
        .order_by(*SORT_ORDERS[sort])
        .limit(per_page)
        .offset(offset)
        .options(
            joinedload(Product.category),
            joinedload(Product.seller).joinedload(Seller.coop),
            # a page's households hold few certifications and its products at most 10 photos
            # each: joined, not a second round trip
            joinedload(Product.seller).joinedload(Seller.certifications),
            joinedload(Product.photos),
        )
    )
    rows = db.session.execute(query).unique().all()
    # past the last page no row carries the count
    count = rows[0].total if rows else db.session.scalar(select(total))
    return {
        "items": [row[0] for row in rows],
        "page": page,
        "per_page": per_page,
        "total": count,
        "capped": count >= offset + COUNT_AHEAD,
    }


def products_of_coop(coop_id: int, status: str | None) -> Select:
    query = select(Product).join(Product.seller).where(Seller.coop_id == coop_id)
    if status:
        query = query.where(Product.status == status)
    return with_relations(query.order_by(Product.created_at.desc(), Product.id.desc()))


def products_of_seller(seller_id: int, status: str | None) -> Select:
    query = select(Product).join(Product.seller).where(Product.seller_id == seller_id)
    if status:
        query = query.where(Product.status == status)
    return with_relations(query.order_by(Product.created_at.desc(), Product.id.desc()))
