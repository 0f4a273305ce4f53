"""The platform admin's pages: a home linking to payouts, categories and co-ops; the category tree
with its shelf lives and a form to add a category; each co-op's commission.

Forms are validated by the API's schemas and saved by the API's services (PATCH /categories/{id},
POST /categories, PATCH /coops/{id}); anyone but a platform admin is refused before any look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..auth.models import User
from ..catalogue import services as catalogue
from ..catalogue.models import Category
from ..catalogue.schemas import CategoryCreateSchema, CategoryUpdateSchema
from ..coops import services as coops
from ..coops.schemas import CoopUpdateSchema
from ..errors import AppError, Conflict, Forbidden, ValidationError
from ..http import paginate
from ..unit_of_work import rollback
from .actions import perform
from .blueprint import bp
from .forms import load_form, service_errors
from .i18n import N_, error_text, percent_of_bps
from .session import login_required, page_user
from .storefront import page_number

PER_PAGE = 50
Errors = dict[str, list[str]]


def platform_admin() -> User:
    """The logged-in platform admin; anyone else gets 403 before anything is looked up, so a
    stranger learns nothing, not even which ids exist."""
    user = page_user()
    if not user.is_admin:
        raise Forbidden(N_("Only a platform admin uses these pages."))
    return user


@bp.route("/admin")
@login_required
def admin_home():
    """Where the platform admin starts: payouts, categories, co-ops."""
    platform_admin()
    return render_template("web/admin_home.html")


# ---- categories ---------------------------------------------------------------------------


def _with_depth(nodes: list[Category], depth: int = 0) -> Iterator[tuple[Category, int]]:
    """The tree as (category, depth), parents before their children: the options of "under"."""
    for node in nodes:
        yield node, depth
        yield from _with_depth(node.children, depth + 1)


def _categories_page(
    *, failed_id: int | None = None, errors: Errors | None = None, add_form: Any = None
):
    """The category tree, each with its shelf-life form, and the form to add one. ``failed_id``
    names the row whose form is shown again with ``errors``; without it, ``errors`` belong to
    the add form."""
    errors = errors or {}
    tree = catalogue.category_tree()
    return render_template(
        "web/admin_categories.html",
        tree=tree,
        options=list(_with_depth(tree)),
        failed_id=failed_id,
        row_errors=errors if failed_id is not None else {},
        add_errors=errors if failed_id is None else {},
        form=request.form,
        add_form=add_form if add_form is not None else {},
    ), (422 if errors else 200)


def _refusal(exc: AppError, ambient: int | None) -> Errors:
    """A service's refusal as field errors in the page's language. Its cold-versus-ambient 422
    names the ambient hours in English, so the page words it itself with the same hours; a 409
    (a taken slug) keeps its message above the form and its field message next to the field."""
    errors = service_errors(exc) if isinstance(exc.details, dict) else {}
    if "cold_shelf_life_hours" in errors and ambient is not None:
        errors["cold_shelf_life_hours"] = [
            gettext(
                "Must not be less than the shelf life at room temperature (%(hours)s h): "
                "cooling never makes produce keep less long.",
                hours=ambient,
            )
        ]
    if isinstance(exc, Conflict) or not errors:
        errors["_schema"] = [error_text(exc)]
    return errors


def _save(action: Callable[[], Any], success: str, ambient: int | None) -> Errors:
    """Run a service action as the request's unit of work. A refusal about the form's fields (a
    422, or the 409 of a taken slug) is rolled back and returned as field errors, so the form is
    shown again with them (422) rather than as a message on the next page; {} when saved."""
    try:
        action()
    except (ValidationError, Conflict) as exc:
        rollback()
        return _refusal(exc, ambient)
    flash(success, "success")
    return {}


@bp.route("/admin/categories", methods=["GET", "POST"])
@login_required
def admin_categories():
    """The category tree with each category's shelf lives; POST adds a category."""
    platform_admin()
    if request.method == "GET":
        return _categories_page()
    data, errors = load_form(CategoryCreateSchema(), request.form)
    if data is not None:
        created: list[Category] = []
        errors = _save(
            lambda: created.append(catalogue.create_category(**data)),
            gettext("Category %(name)s added.", name=data["name"]),
            data.get("shelf_life_hours"),
        )
        if not errors:
            anchor = f"category-{created[0].id}"
            return redirect(url_for("web.admin_categories", _anchor=anchor))
    return _categories_page(errors=errors, add_form=request.form)


@bp.route("/admin/categories/<int:category_id>", methods=["POST"])
@login_required
def admin_category(category_id: int):
    """Change a category's shelf lives. Both fields are posted; an empty one means "not known"
    (None), as null does in PATCH /categories/{id}."""
    platform_admin()
    category = catalogue.get_category_by_id(category_id)
    data, errors = load_form(CategoryUpdateSchema(), request.form, blank_is_none=True)
    if data is not None:
        ambient = data.get("shelf_life_hours", category.shelf_life_hours)
        errors = _save(
            lambda: catalogue.set_shelf_lives(category, data),
            gettext("Shelf lives of %(name)s saved.", name=category.name),
            ambient,
        )
        if not errors:
            return redirect(url_for("web.admin_categories", _anchor=f"category-{category.id}"))
    return _categories_page(failed_id=category.id, errors=errors)


# ---- co-ops -------------------------------------------------------------------------------


def _coops_page(*, failed_id: int | None = None, errors: Errors | None = None):
    """Every co-op (a page of them) with its commission and a form to change it."""
    errors = errors or {}
    result = paginate(coops.list_coops(), page_number(), PER_PAGE)
    return render_template(
        "web/admin_coops.html",
        result=result,
        failed_id=failed_id,
        errors=errors,
        form=request.form,
    ), (422 if errors else 200)


@bp.route("/admin/coops")
@login_required
def admin_coops():
    """The co-ops and the platform's commission on each one's sales."""
    platform_admin()
    return _coops_page()


@bp.route("/admin/coops/<int:coop_id>/commission", methods=["POST"])
@login_required
def admin_coop_commission(coop_id: int):
    """Change a co-op's commission (basis points). Seller orders keep the commission they were
    placed with: the new one applies to orders placed from now on."""
    platform_admin()
    coop = coops.get_coop(coop_id)
    data, errors = load_form(CoopUpdateSchema(), request.form)
    if data is None:
        return _coops_page(failed_id=coop.id, errors=errors)
    perform(
        lambda: coops.update_coop(coop, data),
        gettext(
            "The commission of %(name)s is now %(percent)s, for seller orders placed from now on.",
            name=coop.name,
            percent=percent_of_bps(data["commission_bps"]),
        ),
    )
    page = page_number()
    return redirect(
        url_for("web.admin_coops", page=page if page > 1 else None, _anchor=f"coop-{coop.id}")
    )
