from flask import Response

from ..auth.access import acting_on, login_required, require_user
from ..coops.services import admin_of_coop
from ..http import Blueprint
from . import services
from .schemas import ReportCreateSchema, ReportSchema
from .services import CONTENT_TYPES

CSV, XLSX = CONTENT_TYPES["csv"], CONTENT_TYPES["xlsx"]

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Co-op reports")


@blp.route("/coops/<int:coop_id>/reports", methods=["POST"])
@blp.arguments(ReportCreateSchema)
@blp.response(202, ReportSchema)
@blp.errors(400, 401, 403, 404, 422)
@acting_on(admin_of_coop(services.REPORTS_FOR_ADMINS))
def request_report(data, coop_id):
    """Ask for a report (its co-op admins, admin); the job worker builds it: follow `GET
    /reports/{id}` until `done`, then download `GET /reports/{id}/file`."""
    return services.request_report(require_user(), coop_id, data)


@blp.route("/reports/<int:report_id>", methods=["GET"])
@blp.response(200, ReportSchema)
@blp.errors(401, 404)
@login_required
def get_report(report_id):
    """A report's status and progress (0–100)."""
    return services.get_report_for(require_user(), report_id)


@blp.route("/reports/<int:report_id>/file", methods=["GET"])
@blp.response(200, description="CSV (UTF-8 with a BOM) or XLSX", content_type=CSV)
@blp.doc(
    responses={
        "200": {
            "description": "CSV (UTF-8 with a BOM) or XLSX, as the report was asked for",
            "content": {
                CSV: {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
)
@blp.errors(401, 404, 409)
@login_required
def report_file(report_id):
    """The finished report's file (409 while it is not done)."""
    name, content_type, content = services.report_file(
        services.get_report_for(require_user(), report_id)
    )
    return Response(
        content,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
