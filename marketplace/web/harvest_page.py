"""A household records the harvest of a pre-order product: first a preview of who gets what
(a dry run of the same allocation, nothing written), then the harvest itself."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..errors import AppError, Forbidden, NotFound
from ..orders import harvest
from ..orders.schemas import HarvestSchema
from ..unit_of_work import rollback
from .blueprint import bp
from .forms import load_form
from .household import my_household, my_product
from .i18n import error_text
from .session import login_required


@bp.route("/dashboard/products/<int:product_id>/harvest", methods=["GET"])
@login_required
def harvest_form(product_id: int):
    """The harvest form; with ``?quantity=`` the preview of the allocation it would make."""
    user, _seller = my_household()
    product = my_product(user, product_id)
    errors: dict[str, list[str]] = {}
    shares = None
    allocation = None
    if "quantity" in request.args:
        data, errors = load_form(HarvestSchema(), request.args)
        if data is not None:
            try:
                allocation, waiting = harvest.preview(user, product, data["quantity"])
            except AppError as exc:
                if isinstance(exc, Forbidden | NotFound):
                    raise
                errors = {"_schema": [error_text(exc)]}
            else:
                by_id = {so.id: so for so in waiting}
                shares = [(by_id[s.pre_order.seller_order_id], s) for s in allocation.shares]
    waiting_orders = harvest.pre_ordered(product) if product.sale_mode == "pre_order" else []
    return render_template(
        "web/harvest.html",
        p=product,
        waiting=waiting_orders,
        allocation=allocation,
        shares=shares,
        quantity=request.args.get("quantity", ""),
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/dashboard/products/<int:product_id>/harvest", methods=["POST"])
@login_required
def record_harvest(product_id: int):
    """Record the harvest (once): pre-orders confirmed or refunded, the rest becomes stock."""
    user, _seller = my_household()
    product = my_product(user, product_id)
    data, errors = load_form(HarvestSchema(), request.form)
    if data is None:
        flash(gettext("Give the harvested quantity (0 or more)."), "error")
        return redirect(url_for("web.harvest_form", product_id=product.id))
    try:
        result = harvest.record_harvest(user, product, data["quantity"])
    except (Forbidden, NotFound):
        raise
    except AppError as exc:
        rollback()
        flash(error_text(exc), "error")
        return redirect(url_for("web.harvest_form", product_id=product.id))
    flash(
        gettext(
            "Harvest recorded: %(filled)s pre-orders filled, %(partial)s in part, %(unfilled)s "
            "not filled (refunded); %(stock)s added to stock.",
            filled=result.filled,
            partial=result.partial,
            unfilled=result.unfilled,
            stock=result.stock_added,
        ),
        "success",
    )
    return redirect(url_for("web.dashboard", _anchor=f"product-{product.id}"))
