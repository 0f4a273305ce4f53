from marshmallow import Schema, fields, validate

from ..fields import StrictInteger
from ..http import MAX_PER_PAGE, PageArgs


class FeedArgs(PageArgs):
    unread = fields.Boolean(load_default=False)


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    event = fields.String(required=True)
    channel = fields.String(required=True)
    text = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True)


class FeedSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    unread_count = fields.Integer(required=True)


class MarkReadSchema(Schema):
    ids = fields.List(
        StrictInteger(validate=validate.Range(min=1, max=2**31 - 1)),
        validate=validate.Length(max=MAX_PER_PAGE * 10),
    )
