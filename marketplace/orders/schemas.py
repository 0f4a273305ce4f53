from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..catalogue.schemas import SellerRefSchema
from ..delivery.schemas import DeliveryRefSchema, deliveries_field, each_seller_once
from ..fields import NAME_MAX, REASON_MAX, Phone, StrictInteger, Text, positive_id
from ..http import PageArgs
from ..payments import bank_transfer
from .models import ORDER_STATUSES, PAYMENT_METHODS, SELLER_ORDER_STATUSES

MAX_ITEMS = 100
MAX_QUANTITY = 1_000_000
NOTE_MAX = 1000
PROVIDER_ID = validate.Regexp(r"^[A-Za-z0-9_]{1,255}$(?!\n)", error="Not a payment method id.")


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


class OrderQuoteRequestSchema(Schema):
    """POST /orders/quote: the order's body without its payment fields."""

    items = fields.List(
        fields.Nested(OrderItemSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
    )
    shipping_address = fields.Nested(ShippingAddressSchema, required=True)
    deliveries = deliveries_field()
    note = Text(max_length=NOTE_MAX, allow_none=True)

    @validates_schema
    def each_product_once(self, data, **kwargs):
        seen: set[int] = set()
        for index, item in enumerate(data.get("items") or []):
            if item["product_id"] in seen:
                raise ValidationError(
                    {"items": {index: {"product_id": ["Each product may appear only once."]}}}
                )
            seen.add(item["product_id"])

    @validates_schema
    def each_household_once(self, data, **kwargs):
        each_seller_once(data)


class OrderCreateSchema(OrderQuoteRequestSchema):
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    card = fields.Nested(CardSchema)

    @validates_schema
    def card_matches_method(self, data, **kwargs):
        method = data.get("payment_method")
        if method == "card" and not data.get("card"):
            raise ValidationError({"card": ["Required when payment_method is card."]})
        if method in ("cod", "bank_transfer") and data.get("card"):
            raise ValidationError({"card": ["Only for payment_method card."]})


class OrderCancelSchema(Schema):
    reason = Text(max_length=REASON_MAX, allow_none=True)


class SellerOrderCancelSchema(Schema):
    reason = Text(required=True, max_length=REASON_MAX)


class RefusedSchema(Schema):
    reason = Text(required=True, max_length=REASON_MAX)


class WeighedLineSchema(Schema):
    product_id = positive_id(required=True)
    actual_weight_g = StrictInteger(required=True, validate=validate.Range(min=1, max=10**9))


class ShipSchema(Schema):
    carrier = Text(allow_none=True)
    tracking_number = Text(allow_none=True)
    # the packed weight of each catch-weight line (orders/weighing.py)
    lines = fields.List(fields.Nested(WeighedLineSchema), validate=validate.Length(max=MAX_ITEMS))


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
    catch_weight = fields.Boolean(required=True)
    actual_weight_g = fields.Integer(allow_none=True)
    pre_ordered_quantity = fields.Integer(allow_none=True)
    lots = fields.List(fields.Nested(LineLotSchema), attribute="lot_allocations", required=True)


class SellerOrderSchema(Schema):
    id = fields.Integer(required=True)
    seller = fields.Nested(SellerRefSchema, required=True)
    status = fields.String(required=True)
    subtotal_vnd = fields.Integer(required=True)
    commission_vnd = fields.Integer(required=True)
    shipping_fee_vnd = fields.Integer(required=True)
    delivery = fields.Nested(DeliveryRefSchema, allow_none=True, required=True)
    ship_by = fields.DateTime(allow_none=True)
    promised_by = fields.DateTime(allow_none=True)
    late = fields.Boolean(required=True)
    refused_at = fields.DateTime(allow_none=True)
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
    deposit_vnd = fields.Integer(allow_none=True)
    deposit_paid_at = fields.DateTime(allow_none=True)
    next_action = fields.Dict(allow_none=True)
    failure_code = fields.String(allow_none=True)
    # Bank transfer: the text to write in the transfer, what is due and what arrived so far,
    # and the VietQR payload of what is still due (null once nothing is).
    reference = fields.String(allow_none=True)
    amount_due_vnd = fields.Integer(required=True)
    amount_received_vnd = fields.Method(
        "_received", allow_none=True, metadata={"type": "integer", "nullable": True}
    )
    vietqr = fields.Method(
        "_vietqr",
        allow_none=True,
        metadata={"type": "string", "nullable": True, "description": "NAPAS/EMVCo payload"},
    )

    def _received(self, payment) -> int | None:
        return payment.amount_received_vnd if payment.method == "bank_transfer" else None

    def _vietqr(self, payment) -> str | None:
        return bank_transfer.qr_payload(payment)


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
    shipping_total_vnd = fields.Integer(required=True)
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


class HarvestSchema(Schema):
    quantity = StrictInteger(required=True, validate=validate.Range(min=0, max=10**9))


class HarvestResultSchema(Schema):
    """Seller orders filled, partly filled and not filled; units left over as stock."""

    filled = fields.Integer(required=True)
    partial = fields.Integer(required=True)
    unfilled = fields.Integer(required=True)
    stock_added = fields.Integer(required=True)
