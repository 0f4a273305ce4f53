"""Search results with facet filters and the spelling suggestion, from the search service."""

from __future__ import annotations

from flask import abort, render_template, request
from marshmallow import ValidationError as SchemaError

from ..search.schemas import SearchArgs
from ..search.services import search as run_search
from .blueprint import bp

PER_PAGE = 24


@bp.route("/search")
def search():
    """What buyers typed, matched without accents, with filters by category and province."""
    raw = {k: v for k, v in request.args.items() if v != "" and k in SearchArgs().fields}
    try:
        args = SearchArgs().load(raw)
    except SchemaError:
        abort(400)
    q = args.pop("q", None)
    page, per_page = args.pop("page"), min(args.pop("per_page"), PER_PAGE)
    result = run_search(q, args, page, per_page)
    return render_template("web/search.html", q=q or "", result=result, filters=args)
