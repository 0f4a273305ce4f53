from functools import wraps

from flask import request
from marshmallow import Schema, fields

from ..auth.access import admin_required
from ..http import Blueprint, page_of, paginate
from . import bank_transfer, webhooks
from .schemas import (
    BankTransferListArgs,
    BankTransferNotificationSchema,
    BankTransferSchema,
    OwedRefundListArgs,
    OwedRefundSchema,
    RefundedSchema,
    WebhookSuccessSchema,
)

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Payment provider webhooks")


class WebhookAckSchema(Schema):
    received = fields.Boolean(required=True)
    duplicate = fields.Boolean(required=True)
    outcome = fields.String(required=True)


@blp.route("/payments/stripe/webhook", methods=["POST"])
@blp.doc(
    parameters=[
        {
            "in": "header",
            "name": "Stripe-Signature",
            "required": True,
            "schema": {"type": "string"},
            "description": "t=<unix time>,v1=<hex HMAC-SHA256 of 't.body'>",
        }
    ],
    requestBody={
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
)
@blp.response(200, WebhookAckSchema)
@blp.errors(400, 409, 502, 503)
def stripe_webhook():
    """Events from the payment provider (signed with STRIPE_WEBHOOK_SECRET); each event id once."""
    ack = webhooks.receive(request.get_data(cache=True), request.headers.get("Stripe-Signature"))
    return ack


# ---- bank transfer (VietQR) ---------------------------------------------------------------


def bank_notifier_required(func):
    """`Authorization: Apikey <BANK_WEBHOOK_API_KEY>` before the body is read (401 first)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        bank_transfer.check_api_key(request.headers.get("Authorization"))
        return func(*args, **kwargs)

    return wrapper


@blp.route("/payments/bank-transfer/webhook", methods=["POST"])
@blp.doc(
    parameters=[
        {
            "in": "header",
            "name": "Authorization",
            "required": True,
            "schema": {"type": "string"},
            "description": "Apikey <BANK_WEBHOOK_API_KEY>",
        }
    ]
)
@blp.response(200, WebhookSuccessSchema)
@blp.errors(400, 401, 422, 503)
@bank_notifier_required
@blp.arguments(BankTransferNotificationSchema)
def bank_transfer_webhook(transaction):
    """A transaction on the platform's account from the bank notifier (SePay's shape); each id
    once. Every authenticated transaction is answered `{"success": true}`, matched or not."""
    bank_transfer.receive(transaction)
    return {"success": True}


@blp.route("/payments/bank-transfers", methods=["GET"])
@blp.response(200, page_of(BankTransferSchema))
@blp.errors(401, 403, 422)
@admin_required
@blp.arguments(BankTransferListArgs, location="query")
def list_bank_transfers(args):
    """The notifier's transactions, newest first (platform admin): `matched=false` lists the
    unmatched and outgoing ones to reconcile by hand."""
    return paginate(bank_transfer.transfers(args.get("matched")), args["page"], args["per_page"])


@blp.route("/payments/bank-refunds", methods=["GET"])
@blp.response(200, page_of(OwedRefundSchema))
@blp.errors(401, 403, 422)
@admin_required
@blp.arguments(OwedRefundListArgs, location="query")
def list_bank_refunds(args):
    """Money owed back to buyers who paid by bank transfer (too much, too late, or for an order
    cancelled after payment), oldest first (platform admin): to refund by hand."""
    return paginate(bank_transfer.owed_refunds(args["status"]), args["page"], args["per_page"])


@blp.route("/payments/bank-refunds/<int:refund_id>/refunded", methods=["POST"])
@blp.response(200, OwedRefundSchema)
@blp.errors(400, 401, 403, 404, 409, 422)
@admin_required
@blp.arguments(RefundedSchema)
def bank_refund_made(data, refund_id):
    """The platform admin gave the money back by hand: the refund leaves the list of money owed."""
    refund = bank_transfer.get_owed_refund(refund_id)
    return bank_transfer.record_refunded(refund, data["reference"])
