from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..fields import NAME_MAX, StrictInteger, Text, positive_id
from .models import KINDS, MAX_LEAD_TIME_HOURS

MAX_FEE_VND = 100_000_000
MAX_PROVINCES = 100
OPENING_HOURS_MAX = 200


def _fee(**kwargs) -> StrictInteger:
    return StrictInteger(validate=validate.Range(min=0, max=MAX_FEE_VND), **kwargs)


class PickupAddressSchema(Schema):
    province_code = StrictInteger(required=True, validate=validate.Range(min=0, max=10**6))
    ward_code = StrictInteger(required=True, validate=validate.Range(min=0, max=10**7))
    address_line = Text(required=True, max_length=NAME_MAX)
    opening_hours = Text(required=True, max_length=OPENING_HOURS_MAX)


class DeliveryMethodFieldsSchema(Schema):
    """What a co-op admin sets on a delivery method (POST requires the required ones)."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = Text(required=True)
    pickup_address = fields.Nested(PickupAddressSchema, allow_none=True)
    provinces = fields.List(
        StrictInteger(validate=validate.Range(min=0, max=10**6)),
        validate=validate.Length(max=MAX_PROVINCES),
    )
    base_fee_vnd = _fee(required=True)
    per_kg_fee_vnd = _fee(required=True)
    free_over_vnd = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=10**12))
    lead_time_hours = StrictInteger(
        required=True, validate=validate.Range(min=0, max=MAX_LEAD_TIME_HOURS)
    )
    cold_chain = fields.Boolean(required=True)


class DeliveryMethodCreateSchema(DeliveryMethodFieldsSchema):
    @validates_schema
    def pickup_has_an_address(self, data, **kwargs):
        if data.get("kind") == "pickup" and not data.get("pickup_address"):
            raise ValidationError({"pickup_address": ["Required for a pickup method."]})


class DeliveryMethodUpdateSchema(DeliveryMethodFieldsSchema):
    """Any subset; the result is checked as a whole (a pickup still needs its address)."""

    def on_bind_field(self, field_name, field_obj):
        field_obj.required = False


class PickupAddressOutSchema(Schema):
    province_code = fields.Integer(required=True)
    province_name = fields.String(allow_none=True)
    ward_code = fields.Integer(required=True)
    ward_name = fields.String(allow_none=True)
    address_line = fields.String(required=True)
    opening_hours = fields.String(required=True)


class DeliveryMethodSchema(Schema):
    id = fields.Integer(required=True)
    coop_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    pickup_address = fields.Nested(
        PickupAddressOutSchema, allow_none=True, attribute="pickup_place"
    )
    provinces = fields.List(fields.Integer(), required=True)
    base_fee_vnd = fields.Integer(required=True)
    per_kg_fee_vnd = fields.Integer(required=True)
    free_over_vnd = fields.Integer(allow_none=True)
    lead_time_hours = fields.Integer(required=True)
    cold_chain = fields.Boolean(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class DeliveryMethodListSchema(Schema):
    items = fields.List(fields.Nested(DeliveryMethodSchema), required=True)


# ---- choosing at checkout ------------------------------------------------------------------


class DeliveryChoiceSchema(Schema):
    seller_id = positive_id(required=True)
    method_id = positive_id(required=True)


def deliveries_field() -> fields.List:
    return fields.List(
        fields.Nested(DeliveryChoiceSchema), validate=validate.Length(max=100), load_default=list
    )


def each_seller_once(data: dict) -> None:
    seen: set[int] = set()
    for index, choice in enumerate(data.get("deliveries") or []):
        if choice["seller_id"] in seen:
            raise ValidationError(
                {"deliveries": {index: {"seller_id": ["Each household may appear only once."]}}}
            )
        seen.add(choice["seller_id"])


class DeliveryRefSchema(Schema):
    """The method a seller order travels by, as it was when chosen."""

    method_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    cold_chain = fields.Boolean(required=True)


class DeliveryOptionSchema(Schema):
    method_id = fields.Integer(required=True, attribute="method.id")
    kind = fields.String(required=True, attribute="method.kind")
    name = fields.String(required=True, attribute="method.name")
    fee_vnd = fields.Integer(required=True)
    cold_chain = fields.Boolean(required=True, attribute="method.cold_chain")
    promised_by = fields.DateTime(required=True)


class SellerOrderQuoteSchema(Schema):
    seller_id = fields.Integer(required=True, attribute="seller.id")
    subtotal_vnd = fields.Integer(required=True)
    weight_g = fields.Integer(required=True)
    options = fields.List(fields.Nested(DeliveryOptionSchema), required=True)


class QuoteSchema(Schema):
    items_total_vnd = fields.Integer(required=True)
    seller_orders = fields.List(fields.Nested(SellerOrderQuoteSchema), required=True)
