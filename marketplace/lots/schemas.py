from marshmallow import Schema, fields, validate

from ..fields import DESCRIPTION_MAX, REASON_MAX, Day, StrictInteger, Text, positive_id
from .services import trace_url

CODE_PATTERN = r"^[A-Za-z0-9]{4,20}$"
AREA_CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,49}$",
    error="Letters, digits and . _ / - only, at most 50 characters.",
)


class LotCreateSchema(Schema):
    harvested_on = Day(required=True)
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=10**9))
    code = fields.String(
        validate=validate.Regexp(CODE_PATTERN, error="4 to 20 letters and digits."),
        metadata={"description": "Optional; generated when absent (8 characters)."},
    )
    planting_area_code = Text(max_length=50, allow_none=True, validate=[AREA_CODE])
    packing_house_code = Text(max_length=50, allow_none=True, validate=[AREA_CODE])
    certification_id = positive_id(allow_none=True)
    note = Text(max_length=DESCRIPTION_MAX, allow_none=True)


class LotCertificationSchema(Schema):
    id = fields.Integer(required=True)
    scheme = fields.String(required=True)
    certificate_no = fields.String(required=True)
    valid_until = fields.Date(required=True)


class LotSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    product_id = fields.Integer(required=True)
    harvested_on = fields.Date(required=True)
    quantity = fields.Integer(required=True)
    remaining = fields.Integer(required=True)
    planting_area_code = fields.String(allow_none=True, required=True)
    packing_house_code = fields.String(allow_none=True, required=True)
    certification = fields.Nested(LotCertificationSchema, allow_none=True, required=True)
    note = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["active", "recalled"]})
    recalled_at = fields.DateTime(allow_none=True)
    recall_reason = fields.String(allow_none=True)
    trace_url = fields.Function(trace_url, required=True, metadata={"type": "string"})
    created_at = fields.DateTime(required=True)


class RecallSchema(Schema):
    reason = Text(required=True, max_length=REASON_MAX)


class TraceProductSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    images = fields.List(fields.String(), required=True)


class TraceHouseholdSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    commune = fields.String(allow_none=True, required=True)
    province = fields.String(allow_none=True, required=True)


class TraceCoopSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class TraceCertificationSchema(Schema):
    scheme = fields.String(required=True)
    certificate_no = fields.String(required=True)
    valid_until = fields.Date(required=True)


class TraceSchema(Schema):
    """The public trace record of a lot: where the produce came from, never who bought it."""

    code = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["active", "recalled"]})
    product = fields.Nested(TraceProductSchema, required=True)
    household = fields.Nested(TraceHouseholdSchema, required=True)
    coop = fields.Nested(TraceCoopSchema, required=True)
    harvested_on = fields.Date(required=True)
    planting_area_code = fields.String(allow_none=True, required=True)
    packing_house_code = fields.String(allow_none=True, required=True)
    certification = fields.Nested(TraceCertificationSchema, allow_none=True, required=True)
    shelf_life_hours = fields.Integer(allow_none=True, required=True)
    sold_on = fields.List(fields.Date(), required=True)
    shipped_on = fields.List(fields.Date(), required=True)
    recalled_at = fields.DateTime(allow_none=True, required=True)
    recall_reason = fields.String(allow_none=True, required=True)
    trace_url = fields.String(required=True)


class LotOrderSchema(Schema):
    seller_order_id = fields.Integer(required=True)
    order_id = fields.Integer(required=True)
    order_number = fields.String(required=True)
    status = fields.String(required=True)
    quantity = fields.Integer(required=True)
    placed_at = fields.DateTime(required=True)
    shipped_at = fields.DateTime(allow_none=True, required=True)
    delivered_at = fields.DateTime(allow_none=True, required=True)
