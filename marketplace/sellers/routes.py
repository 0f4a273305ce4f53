from flask import jsonify

from ..auth.access import acting_on, current_user, login_required, require_user
from ..coops.services import admin_of_coop, can_moderate, get_coop
from ..errors import Forbidden
from ..http import Blueprint, page_of, paginate
from . import services
from .schemas import (
    AssistedOnboardingSchema,
    CertificationCreateSchema,
    CertificationSchema,
    ClaimCodeSchema,
    OnboardedHouseholdSchema,
    PublicSellerSchema,
    ReasonSchema,
    SellerCreateSchema,
    SellerQueueArgs,
    SellerSchema,
    SellerUpdateSchema,
)

blp = Blueprint("sellers", __name__, url_prefix="/api/v1", description="Household sellers")


@blp.route("/sellers", methods=["POST"])
@blp.arguments(SellerCreateSchema)
@blp.response(201, SellerSchema)
@blp.errors(400, 401, 409)
@login_required
def create_seller(data):
    """Start a household seller profile (status draft); submit it for the co-op to approve."""
    seller = services.create_seller(require_user(), **data)
    return seller


@blp.route("/sellers/<int:seller_id>", methods=["GET"])
@blp.response(200, SellerSchema)
@blp.errors(404)
def get_seller(seller_id):
    """A household: public view for anyone when approved; full view for owner and co-op admins."""
    user = current_user()
    seller = services.get_seller_for(user, seller_id)
    if services.sees_full_view(user, seller):
        return seller
    # Buyers' view: no account, phone, street address or payout account; only the
    # certifications that are verified and valid today.
    return jsonify(PublicSellerSchema().dump(seller))


@blp.route("/sellers/<int:seller_id>", methods=["PATCH"])
@blp.arguments(SellerUpdateSchema)
@blp.response(200, SellerSchema)
@blp.errors(400, 401, 403, 404)
@acting_on(services.full_viewer_of)
def update_seller(data, seller_id):
    """Edit the profile (the household itself, or an admin of its co-op)."""
    user = require_user()
    seller = services.get_seller_for(user, seller_id)
    services.require_full_view(user, seller)
    services.update_seller(seller, data)
    return seller


@blp.route("/sellers/<int:seller_id>/submit", methods=["POST"])
@blp.response(200, SellerSchema)
@blp.errors(401, 403, 404, 409)
@login_required
def submit_seller(seller_id):
    """Send the profile to the co-op for approval (draft or rejected → submitted)."""
    user = require_user()
    seller = services.submit(services.get_seller_for(user, seller_id), user)
    return seller


def _moderation_route(action: str, with_reason: bool):
    def view(*args, seller_id):
        data = args[0] if args else {}
        user = require_user()
        seller = services.get_seller_for(user, seller_id)
        services.moderate(seller, action, user, data.get("reason"))
        return seller

    view.__name__ = f"{action}_seller"
    view.__doc__ = (
        f"{action.capitalize()} a household (an admin of its co-op, or a platform admin)."
    )
    view = acting_on(services.moderator_of)(view)
    view = blp.errors(400, 401, 403, 404, 409)(view)
    view = blp.response(200, SellerSchema)(view)
    if with_reason:
        view = blp.arguments(ReasonSchema)(view)
    blp.route(f"/sellers/<int:seller_id>/{action}", methods=["POST"])(view)


for _action, _with_reason in (
    ("approve", False),
    ("reject", True),
    ("suspend", True),
    ("reinstate", False),
):
    _moderation_route(_action, _with_reason)


@blp.route("/sellers/<int:seller_id>/certifications", methods=["POST"])
@blp.arguments(CertificationCreateSchema)
@blp.response(201, CertificationSchema)
@blp.errors(400, 401, 403, 404)
@acting_on(services.full_viewer_of)
def add_certification(data, seller_id):
    """Declare a certification (VietGAP, GlobalGAP, organic, OCOP); buyers see it once verified."""
    user = require_user()
    seller = services.get_seller_for(user, seller_id)
    cert = services.add_certification(seller, user, **data)
    return cert


@blp.route("/sellers/<int:seller_id>/certifications/<int:cert_id>/verify", methods=["POST"])
@blp.response(200, CertificationSchema)
@blp.errors(401, 403, 404, 409)
@login_required
def verify_certification(seller_id, cert_id):
    """Mark a certification verified (an admin of the household's co-op)."""
    user = require_user()
    seller = services.get_seller_for(user, seller_id)
    cert = services.verify_certification(seller, cert_id, user)
    return cert


@blp.route("/coops/<int:coop_id>/households", methods=["POST"])
@blp.arguments(AssistedOnboardingSchema)
@blp.response(201, OnboardedHouseholdSchema)
@blp.errors(400, 401, 403, 404, 409)
@acting_on(admin_of_coop(services.ONBOARDING_FOR_ADMINS))
def onboard_household(data, coop_id):
    """Assisted onboarding: the co-op creates an approved household and gets its claim code."""
    seller, code, claim = services.onboard_household(coop_id, require_user(), **data)
    return {"seller": seller, "claim_code": code, "claim_code_expires_at": claim.expires_at}


@blp.route("/sellers/<int:seller_id>/claim-code", methods=["POST"])
@blp.response(201, ClaimCodeSchema)
@blp.errors(401, 403, 404, 409)
@login_required
def new_claim_code(seller_id):
    """A fresh claim code for a household the co-op created that has no password yet (else 409);
    the previous code stops working."""
    user = require_user()
    code, claim = services.new_claim_code(services.get_seller_for(user, seller_id), user)
    return {"claim_code": code, "claim_code_expires_at": claim.expires_at}


@blp.route("/coops/<int:coop_id>/sellers", methods=["GET"])
@blp.arguments(SellerQueueArgs, location="query")
@blp.response(200, page_of(SellerSchema))
@blp.errors(401, 403, 404)
@login_required
def coop_sellers(args, coop_id):
    """The co-op's households, e.g. the moderation queue with ?status=submitted."""
    coop = get_coop(coop_id)
    if not can_moderate(require_user(), coop.id):
        raise Forbidden("Only this co-op's admins see its households.")
    page = paginate(
        services.coop_sellers(coop.id, args.get("status")), args["page"], args["per_page"]
    )
    return page
