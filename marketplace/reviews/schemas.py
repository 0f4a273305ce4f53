from marshmallow import Schema, fields, validate

from ..fields import REASON_MAX, StrictInteger, Text

TEXT_MAX = 2000


class ReviewCreateSchema(Schema):
    rating = StrictInteger(required=True, validate=validate.Range(min=1, max=5))
    text = Text(max_length=TEXT_MAX, allow_none=True)


class ReplySchema(Schema):
    text = Text(required=True, max_length=TEXT_MAX)


class HideSchema(Schema):
    reason = Text(required=True, max_length=REASON_MAX)


class ReplyViewSchema(Schema):
    text = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class ReviewSchema(Schema):
    id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    rating = fields.Integer(required=True)
    text = fields.String(allow_none=True, required=True)
    author_name = fields.String(required=True)
    reply = fields.Nested(ReplyViewSchema, allow_none=True, required=True)
    status = fields.String(required=True, metadata={"enum": ["visible", "hidden"]})
    created_at = fields.DateTime(required=True)
