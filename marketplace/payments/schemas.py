"""Bank transfer (VietQR): the notifier's transactions in, the admin's lists out."""

from __future__ import annotations

import datetime as dt

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..clock import VIETNAM
from ..fields import StrictInteger
from ..http import PageArgs

MAX_AMOUNT = 10**15  # VND; far beyond any transfer, well inside 64 bits


class _StoredText(fields.String):
    """Text the database can store: no NUL, no lone surrogate."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError("Not valid text.") from exc
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        return text


def _text(max_length: int, **kwargs) -> _StoredText:
    return _StoredText(allow_none=True, validate=validate.Length(max=max_length), **kwargs)


class TransactionId(fields.Field):
    """The notifier's transaction id: a positive integer (SePay) or a short text, kept as text."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
            return str(value)
        if isinstance(value, str) and value.isascii() and value.isprintable():
            text = value.strip()
            if 0 < len(text) <= 64:
                return text
        raise ValidationError("A positive integer or 1-64 printable ASCII characters.")


class TransactionDate(fields.Field):
    """SePay's `2026-12-07 14:02:37`, the time in Vietnam; ISO 8601 with an offset is also taken."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("A date and time such as 2026-12-07 14:02:37.")
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValidationError("A date and time such as 2026-12-07 14:02:37.") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=VIETNAM)
        return moment.astimezone(dt.UTC)


class BankTransferNotificationSchema(Schema):
    """One transaction as SePay's webhook sends it; fields it may add later are ignored."""

    class Meta:
        unknown = EXCLUDE

    id = TransactionId(
        required=True,
        metadata={"description": "the notifier's transaction id (SePay: an integer); once only"},
    )
    gateway = _text(100)
    transaction_at = TransactionDate(
        data_key="transactionDate",
        allow_none=True,
        metadata={"type": "string", "example": "2026-12-07 14:02:37"},
    )
    account_number = _text(64, data_key="accountNumber")
    code = _text(100)
    content = _text(2000)
    transfer_type = fields.String(
        data_key="transferType", required=True, validate=validate.OneOf(("in", "out"))
    )
    transfer_amount = StrictInteger(
        data_key="transferAmount", required=True, validate=validate.Range(min=1, max=MAX_AMOUNT)
    )
    accumulated = StrictInteger(
        allow_none=True, validate=validate.Range(min=-MAX_AMOUNT, max=MAX_AMOUNT)
    )
    sub_account = _text(100, data_key="subAccount")
    reference_code = _text(100, data_key="referenceCode")
    description = _text(2000)


class WebhookSuccessSchema(Schema):
    success = fields.Boolean(required=True)


class OrderNumberSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)


class BankTransferSchema(Schema):
    id = fields.Integer(required=True)
    provider_id = fields.String(required=True)
    gateway = fields.String(allow_none=True)
    transaction_at = fields.DateTime(allow_none=True)
    account_number = fields.String(allow_none=True)
    transfer_type = fields.String(required=True)
    amount_vnd = fields.Integer(required=True)
    content = fields.String(allow_none=True)
    reference_code = fields.String(allow_none=True)
    matched = fields.Boolean(required=True)
    order = fields.Nested(OrderNumberSchema, allow_none=True)
    outcome = fields.String(
        required=True,
        metadata={"description": "paid, partial, overpaid, owed_back, unmatched or outgoing"},
    )
    applied_vnd = fields.Integer(required=True)
    owed_back_vnd = fields.Integer(required=True)
    received_at = fields.DateTime(required=True)


class BankTransferListArgs(PageArgs):
    matched = fields.Boolean(
        metadata={"description": "true: transfers naming an order; false: unmatched and outgoing"}
    )


class OwedRefundSchema(Schema):
    id = fields.Integer(required=True)
    order = fields.Nested(OrderNumberSchema, required=True, attribute="payment.order")
    seller_order_id = fields.Integer(allow_none=True)
    amount_vnd = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "owed or refunded"})
    reason = fields.String(allow_none=True)
    refunded_at = fields.DateTime(allow_none=True)
    refunded_reference = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)


class OwedRefundListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(("owed", "refunded")), load_default="owed")


class RefundedSchema(Schema):
    reference = _StoredText(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the reference of the bank transfer that gave the money back"},
    )
