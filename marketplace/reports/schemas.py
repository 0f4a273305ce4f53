from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..fields import Day
from .models import FORMATS, KINDS, STATUSES

MAX_DAYS = 3 * 366


class ReportCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    date_from = Day(required=True, data_key="from")
    date_to = Day(required=True, data_key="to")
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))

    @validates_schema
    def period(self, data, **kwargs):
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise ValidationError({"to": ["Must not be before `from`."]})
        if start and end and (end - start).days > MAX_DAYS:
            raise ValidationError({"to": ["A report covers at most three years."]})


class ReportSchema(Schema):
    id = fields.Integer(required=True)
    coop_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    format = fields.String(required=True)
    date_from = fields.Date(required=True, data_key="from")
    date_to = fields.Date(required=True, data_key="to")
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    progress = fields.Integer(required=True)
    rows = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
