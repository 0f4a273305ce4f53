"""The household dashboard: listings with their status, add/edit, stock, certifications."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..auth.models import User
from ..catalogue import services as catalogue
from ..catalogue.models import PRODUCT_STATUSES, UNITS, Product
from ..catalogue.schemas import ProductCreateSchema, ProductUpdateSchema, StockAdjustmentSchema
from ..errors import AppError, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..http import paginate
from ..places import all_provinces
from ..sellers import services as sellers
from ..sellers.models import Seller
from ..sellers.schemas import SCHEMES, CertificationCreateSchema
from .actions import perform
from .blueprint import bp
from .forms import load_form, service_errors
from .i18n import error_text
from .session import login_required, page_user
from .storefront import page_number

PER_PAGE = 50


def my_household() -> tuple[User, Seller]:
    """The logged-in user and their household; the dashboard is for households only."""
    user = page_user()
    if user.seller is None:
        raise Forbidden("Only a household has a dashboard.")
    return user, user.seller


def my_product(user: User, product_id: int) -> Product:
    """One of the caller's own listings (404 for anyone else's, whatever their role)."""
    product = catalogue.get_product_for(user, product_id)
    if product.seller.user_id != user.id:
        raise NotFound("No such product.")
    return product


@bp.route("/dashboard")
@login_required
def dashboard():
    """My listings with their status, stock and actions."""
    if page_user().seller is None:
        return redirect(url_for("web.profile"))  # start selling first
    user, seller = my_household()
    status = request.args.get("status") or None
    if status is not None and status not in PRODUCT_STATUSES:
        status = None
    result = paginate(catalogue.products_of_seller(seller.id, status), page_number(), PER_PAGE)
    return render_template(
        "web/dashboard.html",
        seller=seller,
        result=result,
        status=status,
    )


def _product_form(template: str, *, product=None, form=None, errors=None, status=200):
    user, seller = my_household()
    return render_template(
        template,
        product=product,
        form=form or {},
        errors=errors or {},
        categories=catalogue.category_tree(),
        units=UNITS,
        provinces=all_provinces(),
        default_province=seller.province_code,
    ), status


@bp.route("/dashboard/products/new", methods=["GET", "POST"])
@login_required
def new_product():
    """A short phone-friendly form; the listing waits for the co-op's review."""
    user, seller = my_household()
    if seller.status != "approved":
        flash(
            gettext("Your co-op approves your profile first; then you can list products."), "error"
        )
        return redirect(url_for("web.dashboard"))
    if request.method == "GET":
        return _product_form("web/product_form.html")
    data, errors = load_form(ProductCreateSchema(), request.form)
    if data is not None:
        try:
            product = catalogue.create_product(user, data)
        except ValidationError as exc:
            db.session.rollback()
            errors = service_errors(exc) or {"_schema": [error_text(exc)]}
        else:
            flash(gettext("Listing saved: the co-op reviews it before it goes on sale."), "success")
            return redirect(url_for("web.dashboard", _anchor=f"product-{product.id}"))
    return _product_form("web/product_form.html", form=request.form, errors=errors, status=422)


def _current_values(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "description": product.description,
        "category_slug": product.category.slug,
        "unit": product.unit,
        "unit_price_vnd": product.unit_price_vnd,
        "min_order_quantity": product.min_order_quantity,
        "harvest_start": product.harvest_start,
        "harvest_end": product.harvest_end,
        "origin_province_code": product.origin_province_code,
        "origin_area": product.origin_area,
        "images": list(product.images or []),
    }


@bp.route("/dashboard/products/<int:product_id>/edit", methods=["GET", "POST"])
@login_required
def edit_product(product_id: int):
    """Edit a listing; only what changed is sent to the service, so an untouched name does not
    send an active listing back to review."""
    user, _seller = my_household()
    product = my_product(user, product_id)
    current = _current_values(product)
    status_before = product.status
    if request.method == "GET":
        return _product_form("web/product_form.html", product=product, form=current)
    data, errors = load_form(ProductUpdateSchema(), request.form, blank_is_none=True)
    if data is not None:
        changes = {k: v for k, v in data.items() if current.get(k) != v}
        try:
            catalogue.update_product(user, product, changes)
        except ValidationError as exc:
            db.session.rollback()
            errors = service_errors(exc) or {"_schema": [error_text(exc)]}
        except AppError as exc:
            db.session.rollback()
            if isinstance(exc, Forbidden | NotFound):
                raise
            errors = {"_schema": [error_text(exc)]}
        else:
            if product.status != status_before:
                flash(
                    gettext("Saved. Changed listings are reviewed by the co-op again."), "success"
                )
            else:
                flash(gettext("Saved."), "success")
            return redirect(url_for("web.dashboard", _anchor=f"product-{product.id}"))
    return _product_form(
        "web/product_form.html", product=product, form=request.form, errors=errors, status=422
    )


@bp.route("/dashboard/products/<int:product_id>/stock", methods=["POST"])
@login_required
def adjust_stock(product_id: int):
    """Add or take away stock with a reason (harvest came in, fruit spoiled …)."""
    user, _seller = my_household()
    product = my_product(user, product_id)
    data, errors = load_form(StockAdjustmentSchema(), request.form)
    if data is None:
        for messages in errors.values():
            flash(" ".join(gettext(m) for m in messages), "error")
    else:
        perform(
            lambda: catalogue.adjust_stock(user, product, data["delta"], data["reason"]),
            gettext("Stock updated."),
        )
    return _back_to_listing(product)


@bp.route("/dashboard/products/<int:product_id>/status", methods=["POST"])
@login_required
def product_status(product_id: int):
    """Pause, resume or archive one of my listings."""
    user, _seller = my_household()
    product = my_product(user, product_id)
    action = request.form.get("action", "")
    if action not in catalogue.OWNER_ACTIONS:
        raise ValidationError(details={"action": ["Unknown action."]})
    messages = {
        "pause": gettext("Listing paused: buyers no longer see it."),
        "resume": gettext("Listing back on sale."),
        "archive": gettext("Listing archived."),
    }
    perform(lambda: catalogue.transition(user, product, action), messages[action])
    return _back_to_listing(product)


def _back_to_listing(product: Product):
    if request.headers.get("HX-Request"):
        return render_template("web/_listing_row.html", p=product, hx=True)
    return redirect(url_for("web.dashboard", _anchor=f"product-{product.id}"))


@bp.route("/dashboard/certifications", methods=["GET", "POST"])
@login_required
def certifications():
    """My certifications (buyers see them once the co-op has verified them), and a new one."""
    user, seller = my_household()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = load_form(CertificationCreateSchema(), request.form)
        if data is not None:
            perform(
                lambda: sellers.add_certification(seller, user, **data),
                gettext("Certification added: the co-op verifies it."),
            )
            return redirect(url_for("web.certifications"))
    return render_template(
        "web/certifications.html",
        seller=seller,
        schemes=SCHEMES,
        errors=errors,
        form=request.form,
    ), (422 if errors else 200)
