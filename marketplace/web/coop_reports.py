"""The co-op console's reports: ask for one, watch it run, download it."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError as SchemaError

from ..clock import today_vn
from ..reports import services as reports
from ..reports.schemas import ReportCreateSchema
from .blueprint import bp
from .coop_console import moderated_coop
from .session import login_required, page_user

_schema = ReportCreateSchema()


@bp.route("/coop/<int:coop_id>/reports", methods=["GET", "POST"])
@login_required
def coop_reports(coop_id: int):
    """The latest reports (refreshed while one runs) and the form that asks for a new one."""
    user, coop = moderated_coop(coop_id)
    errors: dict = {}
    today = today_vn()
    form = (
        request.form
        if request.method == "POST"
        else {
            "from": today.replace(month=1, day=1).isoformat(),
            "to": today.isoformat(),
            "format": "xlsx",
        }
    )
    if request.method == "POST":
        try:
            data = _schema.load(
                {
                    "kind": "sales_by_household",
                    "from": form.get("from", ""),
                    "to": form.get("to", ""),
                    "format": form.get("format", ""),
                }
            )
        except SchemaError as exc:
            errors = exc.messages
        else:
            reports.request_report(user, coop.id, data)
            flash(gettext("The report is being prepared; it appears below when ready."), "success")
            return redirect(url_for("web.coop_reports", coop_id=coop.id))
    listed = reports.reports_of_coop(coop.id)
    busy = any(r.status in ("queued", "running") for r in listed)
    return render_template(
        "web/coop_reports.html", coop=coop, reports=listed, busy=busy, form=form, errors=errors
    ), (422 if errors else 200)


@bp.route("/coop/reports/<int:report_id>/file")
@login_required
def coop_report_file(report_id: int):
    name, content_type, content = reports.report_file(
        reports.get_report_for(page_user(), report_id)
    )
    return Response(
        content,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
