from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..catalogue.schemas import SellerRefSchema
from ..fields import NAME_MAX, REASON_MAX, Phone, StrictInteger, Text, positive_id
from ..http import PageArgs
from .models import ORDER_STATUSES, PAYMENT_METHODS, SELLER_ORDER_STATUSES

MAX_ITEMS = 100
MAX_QUANTITY = 1_000_000
NOTE_MAX = 1000
PROVIDER_ID = validate.Regexp(r"^[A-Za-z0-9_]{1,255}$", error="Not a payment method id.")


class OrderItemSchema(Schema):
    product_id = positive_id(required=True)
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class ShippingAddressSchema(Schema):
    recipient_name = Text(required=True)
    phone = Phone(required=True)
    province_code = StrictInteger(required=True, validate=validate.Range(min=0, max=10**6))
    ward_code = StrictInteger(required=True, validate=validate.Range(min=0, max=10**7))
    address_line = Text(required=True, max_length=NAME_MAX)


class CardSchema(Schema):
    payment_method_id = fields.String(required=True, validate=PROVIDER_ID)


class OrderCreateSchema(Schema):
    items = fields.List(
        fields.Nested(OrderItemSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
    )
    shipping_address = fields.Nested(ShippingAddressSchema, required=True)
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    card = fields.Nested(CardSchema)
    note = Text(max_length=NOTE_MAX, allow_none=True)

    @validates_schema
    def card_matches_method(self, data, **kwargs):
        method = data.get("payment_method")
        if method == "card" and not data.get("card"):
            raise ValidationError({"card": ["Required when payment_method is card."]})
        if method == "cod" and data.get("card"):
            raise ValidationError({"card": ["Only for payment_method card."]})

    @validates_schema
    def each_product_once(self, data, **kwargs):
        seen: set[int] = set()
        for index, item in enumerate(data.get("items") or []):
            if item["product_id"] in seen:
                raise ValidationError(
                    {"items": {index: {"product_id": ["Each product may appear only once."]}}}
                )
            seen.add(item["product_id"])


class OrderCancelSchema(Schema):
    reason = Text(max_length=REASON_MAX, allow_none=True)


class SellerOrderCancelSchema(Schema):
    reason = Text(required=True, max_length=REASON_MAX)


class ShipSchema(Schema):
    carrier = Text(allow_none=True)
    tracking_number = Text(allow_none=True)


# ---- responses ----------------------------------------------------------------------------


class LineLotSchema(Schema):
    code = fields.String(required=True)
    quantity = fields.Integer(required=True)


class OrderLineSchema(Schema):
    product_id = fields.Integer(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    unit_price_vnd = fields.Integer(required=True)
    quantity = fields.Integer(required=True)
    line_total_vnd = fields.Integer(required=True)
    lots = fields.List(fields.Nested(LineLotSchema), attribute="lot_allocations", required=True)


class SellerOrderSchema(Schema):
    id = fields.Integer(required=True)
    seller = fields.Nested(SellerRefSchema, required=True)
    status = fields.String(required=True)
    subtotal_vnd = fields.Integer(required=True)
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    shipped_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineSchema), required=True)


class PaymentSchema(Schema):
    method = fields.String(required=True)
    status = fields.String(required=True)
    provider_id = fields.String(allow_none=True)
    amount_vnd = fields.Integer(required=True)
    refunded_vnd = fields.Integer(required=True)
    next_action = fields.Dict(allow_none=True)
    failure_code = fields.String(allow_none=True)


class ShippingAddressOutSchema(Schema):
    recipient_name = fields.String(required=True)
    phone = fields.String(required=True)
    province_code = fields.Integer(required=True)
    ward_code = fields.Integer(required=True)
    address_line = fields.String(required=True)


class OrderSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    payment = fields.Nested(PaymentSchema, required=True)
    items_total_vnd = fields.Integer(required=True)
    total_vnd = fields.Integer(required=True)
    seller_orders = fields.List(fields.Nested(SellerOrderSchema), required=True)
    shipping_address = fields.Nested(ShippingAddressOutSchema, required=True)
    note = fields.String(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class OrderRefSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    payment = fields.Nested(PaymentSchema, required=True)
    shipping_address = fields.Nested(ShippingAddressOutSchema, required=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)


class SellerOrderDetailSchema(SellerOrderSchema):
    """A household's view of its part: the order it belongs to, with where to ship."""

    order = fields.Nested(OrderRefSchema, required=True)
    created_at = fields.DateTime(required=True)


class OrderListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))


class SellerOrderListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(SELLER_ORDER_STATUSES))
