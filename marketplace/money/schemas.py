from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from ..fields import NAME_MAX, StrictInteger, Text, positive_id
from .banks import NAPAS_BANKS, bank_account_name
from .models import LEDGER_KINDS

MAX_VND = 10**15


class PayoutAccountSchema(Schema):
    """A household's bank account for payouts (the full seller view)."""

    bank_bin = fields.String(required=True, metadata={"description": "NAPAS 6-digit bank BIN"})
    account_no = fields.String(required=True)
    account_name = fields.String(required=True)


class PayoutAccountInSchema(Schema):
    bank_bin = fields.String(
        required=True,
        validate=validate.OneOf(list(NAPAS_BANKS), error="Not the BIN of a NAPAS bank."),
        metadata={"description": "6-digit NAPAS BIN, e.g. 970436 (Vietcombank)"},
    )
    account_no = fields.String(
        required=True,
        validate=validate.Regexp(r"\A[0-9]{6,19}\Z", error="6 to 19 digits."),
    )
    account_name = Text(required=True, max_length=NAME_MAX)

    @validates("account_name")
    def has_letters(self, value, **kwargs):
        if not bank_account_name(value):
            raise ValidationError("Give the account holder's name.")

    @post_load
    def as_banks_print_it(self, data, **kwargs):
        return {**data, "account_name": bank_account_name(data["account_name"])}


class BalanceSchema(Schema):
    pending_vnd = fields.Integer(required=True)
    available_vnd = fields.Integer(required=True)
    paid_out_vnd = fields.Integer(required=True)
    held_vnd = fields.Integer(required=True, metadata={"description": "in open payout batches"})


class LedgerEntrySchema(Schema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(LEDGER_KINDS))
    amount_vnd = fields.Integer(required=True)
    seller_order_id = fields.Integer(allow_none=True)
    payout_id = fields.Integer(allow_none=True)
    balance_after_vnd = fields.Integer(required=True)
    note = fields.String(allow_none=True)


class CodItemSchema(Schema):
    seller_order_id = fields.Integer(required=True)
    amount_vnd = fields.Integer(required=True)
    delivered_at = fields.DateTime(required=True)


class CodOutstandingSchema(Schema):
    items = fields.List(fields.Nested(CodItemSchema), required=True)
    total_vnd = fields.Integer(required=True)


class RemittanceCreateSchema(Schema):
    seller_order_ids = fields.List(
        positive_id(), required=True, validate=validate.Length(min=1, max=1000)
    )
    amount_vnd = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_VND))
    reference = Text(required=True, max_length=NAME_MAX)


class RemittanceSchema(Schema):
    id = fields.Integer(required=True)
    coop_id = fields.Integer(required=True)
    amount_vnd = fields.Integer(required=True)
    reference = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class PayoutCreateSchema(Schema):
    min_amount_vnd = StrictInteger(load_default=50_000, validate=validate.Range(min=1, max=MAX_VND))


class PayoutItemSchema(Schema):
    id = fields.Integer(required=True)
    seller_id = fields.Integer(required=True)
    amount_vnd = fields.Integer(required=True)
    payout_account = fields.Nested(PayoutAccountSchema, required=True)
    vietqr = fields.String(required=True, metadata={"description": "VietQR payload to scan"})
    status = fields.String(required=True, validate=validate.OneOf(("held", "paid")))
    reference = fields.String(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)


class PayoutBatchSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("open", "paid")))
    min_amount_vnd = fields.Integer(required=True)
    total_vnd = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    items = fields.List(fields.Nested(PayoutItemSchema), required=True)


class MarkPaidSchema(Schema):
    reference = Text(required=True, max_length=NAME_MAX)


class CommissionSchema(Schema):
    commission_bps = StrictInteger(required=True, validate=validate.Range(min=0, max=10_000))
