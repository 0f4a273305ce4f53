"""The co-op console: moderation queues, households with assisted onboarding and claim-code
slips, certification verification, and the audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..auth.models import User
from ..auth.services import claimable
from ..catalogue import services as catalogue
from ..catalogue.models import PRODUCT_STATUSES
from ..coops.models import Coop
from ..coops.services import audit_log, can_moderate, get_coop
from ..errors import Conflict, Forbidden, ValidationError
from ..extensions import db
from ..http import paginate
from ..places import all_provinces, wards_of
from ..sellers import services as sellers
from ..sellers.schemas import SELLER_STATUSES, AssistedOnboardingSchema, ReasonSchema
from .actions import perform
from .blueprint import bp
from .forms import ascii_int, load_form, service_errors
from .i18n import error_text
from .session import login_required, page_user, safe_next
from .storefront import page_number

PER_PAGE = 50
QUEUE_SIZE = 100


def moderated_coop(coop_id: int) -> tuple[User, Coop]:
    """The co-op, for its admins and platform admins only (403 for others, as the API)."""
    user = page_user()
    coop = get_coop(coop_id)
    if not can_moderate(user, coop.id):
        raise Forbidden("Only this co-op's admins use its console.")
    return user, coop


def _reason() -> str | None:
    """The reason of a moderation form, validated like the API's (None when not given)."""
    if not request.form.get("reason", "").strip():
        return None
    data, errors = load_form(ReasonSchema(), request.form)
    if data is None:
        raise ValidationError(details=errors)
    return data["reason"]


@bp.route("/coop/<int:coop_id>")
@login_required
def coop_home(coop_id: int):
    """The moderation queues: households waiting for approval and listings waiting for review."""
    _user, coop = moderated_coop(coop_id)
    households = paginate(sellers.coop_sellers(coop.id, "submitted"), 1, QUEUE_SIZE)
    listings = paginate(catalogue.products_of_coop(coop.id, "pending_review"), 1, QUEUE_SIZE)
    return render_template(
        "web/coop_home.html",
        coop=coop,
        households=households["items"],
        households_total=households["total"],
        listings=listings["items"],
        listings_total=listings["total"],
    )


@bp.route("/coop/households/<int:seller_id>/moderate", methods=["POST"])
@login_required
def moderate_household(seller_id: int):
    """Approve, reject, suspend or reinstate a household (a reason for reject and suspend)."""
    user = page_user()
    seller = sellers.get_seller_for(user, seller_id)
    action = request.form.get("action", "")
    if action not in sellers.MODERATION_ACTIONS:
        raise ValidationError(details={"action": ["Unknown action."]})
    reason = _reason_or_flash(action in ("reject", "suspend"))
    if reason is not False:
        done = {
            "approve": gettext("%(name)s is approved.", name=seller.display_name),
            "reject": gettext("%(name)s is rejected.", name=seller.display_name),
            "suspend": gettext("%(name)s is suspended.", name=seller.display_name),
            "reinstate": gettext("%(name)s is reinstated.", name=seller.display_name),
        }
        perform(lambda: sellers.moderate(seller, action, user, reason), done[action])
    return redirect(_back(url_for("web.coop_home", coop_id=seller.coop_id)))


@bp.route("/coop/products/<int:product_id>/moderate", methods=["POST"])
@login_required
def moderate_product(product_id: int):
    """Approve or reject a listing under review, or remove one on sale (with a reason)."""
    user = page_user()
    product = catalogue.get_product_for(user, product_id)
    action = request.form.get("action", "")
    if action not in catalogue.MODERATION_ACTIONS:
        raise ValidationError(details={"action": ["Unknown action."]})
    reason = _reason_or_flash(action in ("reject", "remove"))
    if reason is not False:
        done = {
            "approve": gettext("%(name)s is on sale.", name=product.name),
            "reject": gettext("%(name)s is rejected.", name=product.name),
            "remove": gettext("%(name)s is removed from sale.", name=product.name),
        }
        perform(lambda: catalogue.transition(user, product, action, reason), done[action])
    return redirect(_back(url_for("web.coop_home", coop_id=product.seller.coop_id)))


def _reason_or_flash(required: bool):
    """The reason, None when not needed and not given, or False (with a message) when missing."""
    try:
        reason = _reason()
    except ValidationError as exc:
        flash(error_text(exc), "error")
        return False
    if required and reason is None:
        flash(gettext("Give a reason: the household reads it."), "error")
        return False
    return reason


def _back(default: str) -> str:
    """Back to the console page the form was on (only pages of this site)."""
    target = safe_next(request.form.get("back", ""), default)
    return target if target.startswith("/coop/") and "//" not in target else default


@bp.route("/coop/<int:coop_id>/households")
@login_required
def coop_households(coop_id: int):
    """The co-op's households, by status."""
    _user, coop = moderated_coop(coop_id)
    status = request.args.get("status") or None
    if status not in SELLER_STATUSES:
        status = None
    result = paginate(sellers.coop_sellers(coop.id, status), page_number(), PER_PAGE)
    return render_template(
        "web/coop_households.html",
        coop=coop,
        result=result,
        status=status,
        statuses=SELLER_STATUSES,
    )


@bp.route("/coop/<int:coop_id>/households/<int:seller_id>")
@login_required
def coop_household(coop_id: int, seller_id: int):
    """One household of the co-op: its profile, certifications to verify, its listings."""
    user, coop = moderated_coop(coop_id)
    seller = sellers.get_seller_for(user, seller_id)
    if seller.coop_id != coop.id:
        raise Forbidden("This household belongs to another co-op.")
    listings = paginate(catalogue.products_of_seller(seller.id, None), 1, QUEUE_SIZE)
    return render_template(
        "web/coop_household.html",
        coop=coop,
        s=seller,
        listings=listings["items"],
        claimable=claimable(seller.user),
    )


@bp.route("/coop/<int:coop_id>/onboard", methods=["GET", "POST"])
@login_required
def onboard(coop_id: int):
    """Assisted onboarding: the co-op creates the household and prints its claim-code slip."""
    user, coop = moderated_coop(coop_id)
    errors: dict[str, list[str]] = {}
    form = request.form if request.method == "POST" else {"province_code": coop.province_code}
    province = _int_or(form.get("province_code"), coop.province_code)
    if request.method == "POST" and not request.form.get("refresh"):
        data, errors = load_form(AssistedOnboardingSchema(), request.form)
        if data is not None:
            try:
                seller, code, claim = sellers.onboard_household(coop.id, user, **data)
            except (ValidationError, Conflict) as exc:
                db.session.rollback()
                errors = service_errors(exc) or {"_schema": [error_text(exc)]}
            else:
                return _slip(coop, seller, code, claim)
    return render_template(
        "web/onboard.html",
        coop=coop,
        form=form,
        errors=errors,
        provinces=all_provinces(),
        wards=wards_of(province),
    ), (422 if errors else 200)


def _int_or(value, default: int) -> int:
    number = ascii_int(value)
    return default if number is None else number


def _slip(coop, seller, code, claim):
    return render_template(
        "web/claim_slip.html",
        coop=coop,
        s=seller,
        code=code,
        expires_at=claim.expires_at,
        claim_url=url_for("web.claim", _external=True),
    ), 201


@bp.route("/coop/<int:coop_id>/households/<int:seller_id>/claim-code", methods=["POST"])
@login_required
def new_claim_code(coop_id: int, seller_id: int):
    """A fresh claim code for a household that lost its slip or phone; the old one stops working."""
    user, coop = moderated_coop(coop_id)
    seller = sellers.get_seller_for(user, seller_id)
    if seller.coop_id != coop.id:
        raise Forbidden("This household belongs to another co-op.")
    code, claim = sellers.new_claim_code(seller, user)
    return _slip(coop, seller, code, claim)


@bp.route(
    "/coop/<int:coop_id>/households/<int:seller_id>/certifications/<int:cert_id>/verify",
    methods=["POST"],
)
@login_required
def verify_certification(coop_id: int, seller_id: int, cert_id: int):
    """Mark a household's certification verified: buyers see it from now on."""
    user, coop = moderated_coop(coop_id)
    seller = sellers.get_seller_for(user, seller_id)
    if seller.coop_id != coop.id:
        raise Forbidden("This household belongs to another co-op.")
    perform(
        lambda: sellers.verify_certification(seller, cert_id, user),
        gettext("Certification verified: buyers see it now."),
    )
    return redirect(url_for("web.coop_household", coop_id=coop.id, seller_id=seller.id))


@bp.route("/coop/<int:coop_id>/products")
@login_required
def coop_products(coop_id: int):
    """The co-op's listings in any status (remove one that breaks the rules)."""
    _user, coop = moderated_coop(coop_id)
    status = request.args.get("status") or None
    if status not in PRODUCT_STATUSES:
        status = None
    result = paginate(catalogue.products_of_coop(coop.id, status), page_number(), PER_PAGE)
    return render_template(
        "web/coop_products.html",
        coop=coop,
        result=result,
        status=status,
        statuses=PRODUCT_STATUSES,
    )


@bp.route("/coop/<int:coop_id>/audit")
@login_required
def coop_audit(coop_id: int):
    """Who did what, when and why, newest first."""
    _user, coop = moderated_coop(coop_id)
    result = paginate(audit_log(coop.id), page_number(), PER_PAGE)
    return render_template("web/coop_audit.html", coop=coop, result=result)
