"""A household's own seller profile: start one (self-onboarding), edit it, submit it to the co-op."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..coops.services import list_coops
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..places import all_provinces, wards_of
from ..sellers import services as sellers
from ..sellers.schemas import SellerCreateSchema, SellerUpdateSchema
from .actions import perform
from .blueprint import bp
from .forms import ascii_int, load_form, service_errors
from .i18n import error_text
from .session import login_required, page_user


def _current(seller) -> dict:
    return {
        "display_name": seller.display_name,
        "phone": seller.phone,
        "province_code": seller.province_code,
        "ward_code": seller.ward_code,
        "address_line": seller.address_line,
        "description": seller.description,
        "farm_area_m2": seller.farm_area_m2,
        "coop_id": seller.coop_id,
    }


@bp.route("/dashboard/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Start selling (a draft profile in a co-op), or edit the profile."""
    user = page_user()
    seller = user.seller
    errors: dict[str, list[str]] = {}
    if request.method == "GET":
        form = _current(seller) if seller else {"phone": user.phone or ""}
    else:
        form = request.form
    if request.method == "POST" and not request.form.get("refresh"):
        schema = SellerUpdateSchema() if seller else SellerCreateSchema()
        data, errors = load_form(schema, request.form, blank_is_none=seller is not None)
        if data is not None:
            try:
                if seller is None:
                    sellers.create_seller(user, **data)
                else:
                    current = _current(seller)
                    sellers.update_seller(
                        seller, {k: v for k, v in data.items() if current.get(k) != v}
                    )
            except (ValidationError, Conflict) as exc:
                db.session.rollback()
                errors = service_errors(exc) or {"_schema": [error_text(exc)]}
            else:
                flash(gettext("Profile saved."), "success")
                return redirect(url_for("web.dashboard"))
    province = _int_or_none(form.get("province_code"))
    return render_template(
        "web/profile.html",
        seller=seller,
        form=form,
        errors=errors,
        coops=db.session.scalars(list_coops()).all(),
        provinces=all_provinces(),
        wards=wards_of(province) if province else [],
    ), (422 if errors else 200)


@bp.route("/dashboard/profile/submit", methods=["POST"])
@login_required
def submit_profile():
    """Send the profile to the co-op for approval (draft or rejected → submitted)."""
    user = page_user()
    if user.seller is None:
        return redirect(url_for("web.profile"))
    perform(
        lambda: sellers.submit(user.seller, user),
        gettext("Sent: your co-op reviews your profile."),
    )
    return redirect(url_for("web.dashboard"))


def _int_or_none(value) -> int | None:
    return ascii_int(value, max_digits=6)
