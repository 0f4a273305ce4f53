"""The trace page a buyer reaches by scanning a crate label: /t/<code>."""

from __future__ import annotations

from flask import render_template

from ..lots import services as lots
from .blueprint import bp


@bp.route("/t/<code>")
def trace_page(code: str):
    """Where this lot's produce came from (the same record as GET /api/v1/lots/{code})."""
    return render_template("web/trace.html", t=lots.trace_record(lots.get_lot(code)))
