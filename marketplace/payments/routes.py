from flask import request
from marshmallow import Schema, fields

from ..http import Blueprint
from . import webhooks

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
