from marshmallow import Schema, fields, validate

from ..fields import DESCRIPTION_MAX, StrictInteger, Text, positive_id

SLUG = validate.Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lower-case ASCII letters, digits and '-'."
)


class CoopSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    province_code = fields.Integer(required=True)
    province_name = fields.String(allow_none=True)
    ward_code = fields.Integer(allow_none=True)
    ward_name = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    commission_bps = fields.Integer(
        required=True, metadata={"description": "platform commission, basis points (500 = 5 %)"}
    )
    created_at = fields.DateTime(required=True)


class CoopCreateSchema(Schema):
    name = Text(required=True)
    slug = fields.String(validate=[validate.Length(min=1, max=100), SLUG])
    province_code = StrictInteger(required=True)
    ward_code = StrictInteger(allow_none=True)
    description = Text(max_length=DESCRIPTION_MAX, allow_none=True)


class CoopUpdateSchema(Schema):
    commission_bps = StrictInteger(required=True, validate=validate.Range(min=0, max=10_000))


class CoopAdminCreateSchema(Schema):
    user_id = positive_id(required=True)


class ActorSchema(Schema):
    id = fields.Integer(required=True)
    full_name = fields.String(required=True)


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    actor = fields.Nested(ActorSchema, allow_none=True)
    action = fields.String(required=True)
    target_type = fields.String(required=True)
    target_id = fields.Integer(required=True)
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
