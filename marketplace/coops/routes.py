from ..auth.access import admin_required, login_required, require_user
from ..errors import Forbidden
from ..http import Blueprint, PageArgs, page_of, paginate
from . import services
from .schemas import (
    AuditEntrySchema,
    CoopAdminCreateSchema,
    CoopCreateSchema,
    CoopSchema,
    CoopUpdateSchema,
)

blp = Blueprint("coops", __name__, url_prefix="/api/v1", description="Co-ops and their admins")


@blp.route("/coops", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(CoopSchema))
def list_coops(args):
    """All co-ops, by name."""
    return paginate(services.list_coops(), args["page"], args["per_page"])


@blp.route("/coops", methods=["POST"])
@blp.arguments(CoopCreateSchema)
@blp.response(201, CoopSchema)
@blp.errors(400, 401, 403, 409)
@admin_required
def create_coop(data):
    """Create a co-op (platform admin)."""
    coop = services.create_coop(**data)
    return coop


@blp.route("/coops/<int:coop_id>", methods=["GET"])
@blp.response(200, CoopSchema)
@blp.errors(404)
def get_coop(coop_id):
    """One co-op."""
    return services.get_coop(coop_id)


@blp.route("/coops/<int:coop_id>", methods=["PATCH"])
@blp.arguments(CoopUpdateSchema)
@blp.response(200, CoopSchema)
@blp.errors(400, 401, 403, 404, 422)
@admin_required
def update_coop(data, coop_id):
    """Change a co-op's commission (platform admin): basis points of each seller order's subtotal,
    fixed on the seller orders placed from now on."""
    return services.update_coop(services.get_coop(coop_id), data)


@blp.route("/coops/<int:coop_id>/admins", methods=["POST"])
@blp.arguments(CoopAdminCreateSchema)
@blp.response(204)
@blp.errors(400, 401, 403, 404)
@admin_required
def add_admin(data, coop_id):
    """Appoint a user as an admin of this co-op (platform admin)."""
    services.add_admin(services.get_coop(coop_id), data["user_id"])


@blp.route("/coops/<int:coop_id>/admins/<int:user_id>", methods=["DELETE"])
@blp.response(204)
@blp.errors(401, 403, 404)
@admin_required
def remove_admin(coop_id, user_id):
    """Remove a co-op admin (platform admin)."""
    services.remove_admin(services.get_coop(coop_id), user_id)


@blp.route("/coops/<int:coop_id>/audit", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(AuditEntrySchema))
@blp.errors(401, 403, 404)
@login_required
def audit_log(args, coop_id):
    """The co-op's moderation log, newest first (its co-op admins and platform admins)."""
    coop = services.get_coop(coop_id)
    if not services.can_moderate(require_user(), coop.id):
        raise Forbidden("Only this co-op's admins can read its audit log.")
    return paginate(services.audit_log(coop.id), args["page"], args["per_page"])
