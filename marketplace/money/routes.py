from flask import Response

from ..auth.access import admin_required, login_required, require_user
from ..http import Blueprint, PageArgs, page_of, paginate
from . import services
from .schemas import (
    BalanceSchema,
    CodOutstandingSchema,
    LedgerEntrySchema,
    MarkPaidSchema,
    PayoutBatchSchema,
    PayoutCreateSchema,
    RemittanceCreateSchema,
    RemittanceSchema,
)

blp = Blueprint(
    "money", __name__, url_prefix="/api/v1", description="Balances, COD remittance and payouts"
)


@blp.route("/sellers/<int:seller_id>/balance", methods=["GET"])
@blp.response(200, BalanceSchema)
@blp.errors(401, 404)
@login_required
def seller_balance(seller_id):
    """What a household has earned: pending (in the hold or COD cash not handed over yet),
    available for the next payout, and paid out (the household, its co-op admins, admins)."""
    return services.balance_of(require_user(), seller_id)


@blp.route("/sellers/<int:seller_id>/ledger", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(LedgerEntrySchema))
@blp.errors(401, 404, 422)
@login_required
def seller_ledger(args, seller_id):
    """A household's ledger entries, newest first (append-only)."""
    query = services.ledger_of(require_user(), seller_id)
    return paginate(query, args["page"], args["per_page"])


@blp.route("/coops/<int:coop_id>/cod-outstanding", methods=["GET"])
@blp.response(200, CodOutstandingSchema)
@blp.errors(401, 403, 404)
@login_required
def cod_outstanding(coop_id):
    """Delivered cash-on-delivery seller orders whose cash the co-op has not handed over yet."""
    return services.cod_outstanding(require_user(), coop_id)


@blp.route("/coops/<int:coop_id>/cod-remittances", methods=["POST"])
@blp.arguments(RemittanceCreateSchema)
@blp.response(201, RemittanceSchema)
@blp.errors(400, 401, 403, 404, 409, 422)
@admin_required
def record_remittance(data, coop_id):
    """Record cash received from a co-op: exactly what those seller orders collected, each once."""
    return services.record_remittance(
        require_user(), coop_id, data["seller_order_ids"], data["amount_vnd"], data["reference"]
    )


@blp.route("/payouts", methods=["POST"])
@blp.arguments(PayoutCreateSchema)
@blp.response(201, PayoutBatchSchema)
@blp.errors(400, 401, 403, 422)
@admin_required
def create_payout_batch(data):
    """A batch of every household whose available balance reaches the minimum and that has a
    bank account; the money is held by the batch until each item is marked paid."""
    return services.create_batch(require_user(), data["min_amount_vnd"])


@blp.route("/payouts", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(PayoutBatchSchema))
@blp.errors(401, 403, 422)
@admin_required
def list_payout_batches(args):
    """Payout batches, newest first."""
    return paginate(services.list_batches(require_user()), args["page"], args["per_page"])


@blp.route("/payouts/<int:batch_id>", methods=["GET"])
@blp.response(200, PayoutBatchSchema)
@blp.errors(401, 403, 404)
@admin_required
def get_payout_batch(batch_id):
    return services.get_batch(require_user(), batch_id)


@blp.route("/payouts/<int:batch_id>/items/<int:item_id>/paid", methods=["POST"])
@blp.arguments(MarkPaidSchema)
@blp.response(200, PayoutBatchSchema)
@blp.errors(400, 401, 403, 404, 409, 422)
@admin_required
def mark_payout_item_paid(data, batch_id, item_id):
    """The transfer was made: the household's ledger gets its `payout` entry (once; 409 after)."""
    services.mark_paid(require_user(), batch_id, item_id, data["reference"])
    return services.get_batch(require_user(), batch_id)


@blp.route("/payouts/<int:batch_id>/export.csv", methods=["GET"])
@blp.doc(
    responses={
        "200": {
            "description": "The bank batch file, one row per item",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
)
@blp.errors(401, 403, 404)
@admin_required
def export_payout_batch(batch_id):
    """The bank batch file: `bank_bin,account_no,account_name,amount_vnd,description`."""
    body = services.export_csv(require_user(), batch_id)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="payout-{batch_id}.csv"'},
    )
