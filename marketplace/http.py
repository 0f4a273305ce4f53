"""HTTP plumbing shared by the feature blueprints: the JSON body parser, pagination, error docs."""

from __future__ import annotations

import json
from functools import wraps

import flask_smorest
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from .errors import BadRequest
from .extensions import db
from .fields import StrictInteger
from .unit_of_work import in_transaction


class JsonBodyParser(FlaskParser):
    """Refuses a missing or non-JSON body with 400 instead of treating it as an empty object."""

    def load_json(self, req, schema):
        # An action whose body fields are all optional (`/ship {carrier?}`, `/cancel {reason?}`)
        # may be posted without a body; a PATCH or a create still needs one.
        if (
            req.method == "POST"
            and not req.get_data(cache=True)
            and not any(f.required for f in schema.fields.values())
        ):
            return {}
        return super().load_json(req, schema)

    def _raw_load_json(self, req):
        body = req.get_data(cache=True)
        if not body:
            raise BadRequest("A JSON body is required.")
        if not req.is_json:
            raise BadRequest("Send the body as JSON (Content-Type: application/json).")
        return load_json_body(body)


class Unstorable:
    """Stands for a JSON value the app cannot keep: an integer beyond 64 bits (thousands of
    digits included: Python would refuse to parse them) or text with a lone surrogate or a NUL.
    It is neither a number nor a string, so every schema field refuses it with 422."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unstorable value>"


UNSTORABLE = Unstorable()
INT64 = 2**63


def storable_text(text: str) -> bool:
    """Text that UTF-8 and both databases accept: no lone surrogates, no NUL."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_int(digits: str):
    if len(digits.lstrip("-")) > 19:  # before int(): thousands of digits are slow, then refused
        return UNSTORABLE
    value = int(digits)
    return value if -INT64 <= value < INT64 else UNSTORABLE


def _key(name: str) -> str:
    # A field name is echoed in a 422 ("Unknown field."): it must be printable as UTF-8.
    if storable_text(name):
        return name
    return name.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _clean(value):
    if isinstance(value, str):
        return value if storable_text(value) else UNSTORABLE
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_key(k): _clean(v) for k, v in value.items()}
    return value


def load_json_body(body: bytes):
    """Parse a JSON request body: 400 when it is not JSON; values the app cannot store become
    UNSTORABLE (422 from the schema, naming the field) instead of a 500 further on."""
    try:
        return _clean(json.loads(body.decode("utf-8"), parse_int=_parse_int))
    except RecursionError as exc:
        raise BadRequest("The JSON body is nested too deeply.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The body is not valid JSON.") from exc


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint whose views each run as one unit of work (unit_of_work.py)."""

    ARGUMENTS_PARSER = JsonBodyParser()

    def add_url_rule(self, rule, endpoint=None, view_func=None, *args, **kwargs):
        if view_func is not None:
            view_func = in_transaction(_caller_checked_first(view_func))
        super().add_url_rule(rule, endpoint, view_func, *args, **kwargs)

    def arguments(self, schema, *args, **kwargs):
        """flask-smorest's, with one schema instance per route: given a class, webargs would build
        (and deep-copy the fields of) a new instance, nested ones included, on every request."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)

    def errors(self, *statuses: int):
        """Document the error responses a route can give, in the one error shape."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, response="DEFAULT_ERROR")(func)
            return func

        return decorator


def _caller_checked_first(view):
    """Authentication (401) and role (403) before the body and query are parsed (400, 422): the
    decorators ``login_required``/``admin_required`` name their check on the view
    (``check_caller``), and functools.wraps carries it out through the argument decorators."""
    check = getattr(view, "check_caller", None)
    if check is None:
        return view

    @wraps(view)
    def checked(*args, **kwargs):
        check()
        return view(*args, **kwargs)

    return checked


MAX_PER_PAGE = 100


class PageArgs(Schema):
    page = StrictInteger(from_text=True, load_default=1, validate=validate.Range(min=1, max=10**6))
    per_page = StrictInteger(
        from_text=True, load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE)
    )


_page_schemas: dict[type, type] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The list envelope {items, page, per_page, total} around ``item_schema``."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "page": fields.Integer(required=True),
                "per_page": fields.Integer(required=True),
                "total": fields.Integer(required=True),
            },
        )
    return _page_schemas[item_schema]


def paginate(query: Select, page: int, per_page: int, *, count_query: Select | None = None) -> dict:
    """Run ``query`` for one page and count the whole result; returns the list envelope."""
    count_source = count_query if count_query is not None else query
    total = db.session.scalar(
        select(func.count()).select_from(count_source.order_by(None).subquery())
    )
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "page": page, "per_page": per_page, "total": total or 0}


def paginate_rows(query: Select, page: int, per_page: int) -> dict:
    """paginate() for a query of columns: the items are row mappings instead of models."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).mappings()
    return {"items": rows.all(), "page": page, "per_page": per_page, "total": total or 0}


MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in our routes: 0 … 2³¹−1 in ASCII digits. Larger numbers cannot name a row, so
    they are a 404 rather than a database error; so are other digits (`/products/٣`, which
    werkzeug's ``\\d+`` would read as 3) and numbers too long to convert."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def id_param_schema(_converter) -> dict:
    return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
