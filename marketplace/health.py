"""GET /healthz: is the app, its database and its search index answering?"""

from flask import current_app
from marshmallow import Schema, fields
from sqlalchemy import text

from .extensions import db
from .http import Blueprint

blp = Blueprint("ops", __name__, description="Operations")


class HealthSchema(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    search = fields.String(required=True)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to answer means "down" here
        db.session.rollback()
        return False


def _search_ok() -> bool:
    search = current_app.extensions.get("marketplace.search")
    if search is None:
        return True
    try:
        return bool(search.healthy())
    except Exception:  # a broken index is "down", not a 500
        return False


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="A part is down")
def healthz():
    """Liveness and readiness of the app and what it depends on."""
    database, search = _database_ok(), _search_ok()
    body = {
        "status": "ok" if database and search else "degraded",
        "database": "ok" if database else "down",
        "search": "ok" if search else "down",
    }
    return body, (200 if database and search else 503)
