import datetime as dt
import logging

import click
from flask import current_app

from ..delivery.deadlines import cancel_overdue_shipments, remind_ship_by_soon
from ..errors import AppError
from ..payments.stripe_client import StripeClient
from ..unit_of_work import TransactionalGroup, transaction
from . import services
from .idempotency import forget_keys

log = logging.getLogger("marketplace.orders")

orders_cli = TransactionalGroup(
    "orders", help="Orders: reservation expiry, ship-by deadlines, old idempotency keys."
)


@orders_cli.command("expire")
def expire_command() -> None:
    """Release the stock of unpaid card and bank-transfer orders past their TTL (run it every minute;
    reads of an order also do it lazily)."""
    expired = expire_unpaid_orders()
    click.echo(f"expired {expired} order{'s' if expired != 1 else ''}")


def expire_unpaid_orders() -> int:
    """Expire every overdue unpaid order, one short transaction each (an order another process
    holds or has expired already is skipped), then cancel their PaymentIntents. `flask orders
    expire` and the job worker's minute sweep."""
    expired = 0
    to_cancel: list[tuple[int, str]] = []
    for order_id in services.overdue_order_ids():
        # One short transaction per order: a webhook for another order never waits on us.
        with transaction():
            if services.expire_order(order_id):
                expired += 1
                payment = services.lock_order(order_id).payment
                if payment.provider_id:
                    to_cancel.append((payment.id, payment.provider_id))
    _cancel_intents(to_cancel)
    return expired


def _cancel_intents(intents: list[tuple[int, str]]) -> None:
    """Best effort: cancel the expired orders' PaymentIntents so they can no longer be paid (a
    payment that still arrives is refunded by the webhook)."""
    if not intents or not current_app.config.get("STRIPE_SECRET_KEY"):
        return
    client = StripeClient.from_config(current_app.config)
    for payment_id, intent_id in intents:
        try:
            client.cancel_payment_intent(intent_id, idempotency_key=f"pi-cancel-{payment_id}")
        except (AppError, ValueError) as exc:
            log.warning("could not cancel %s of an expired order: %s", intent_id, exc)


@orders_cli.command("expire-shipments")
def expire_shipments_command() -> None:
    """Cancel confirmed seller orders not shipped by their ship_by (not_shipped_in_time): stock
    back, paid part refunded (run it every minute; reads do it lazily too)."""
    cancelled = cancel_overdue_shipments()
    click.echo(
        f"cancelled {cancelled} seller order{'s' if cancelled != 1 else ''} not shipped in time"
    )


@orders_cli.command("remind-ship-by")
def remind_ship_by_command() -> None:
    """Tell households whose confirmed seller orders must ship within 4 hours (once per seller
    order, whoever runs it; run it every minute)."""
    reminded = remind_ship_by_soon()
    click.echo(f"reminded {reminded} seller order{'s' if reminded != 1 else ''} to ship within 4 h")


@orders_cli.command("forget-keys")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=7,
    show_default=True,
    help="Forget the Idempotency-Keys sent more than this many days ago.",
)
def forget_keys_command(days: int) -> None:
    """Delete old Idempotency-Key records (run it daily): a retry comes within minutes, and a key
    reused after DAYS is a new order."""
    forgotten = forget_keys(dt.timedelta(days=days))
    click.echo(
        f"forgot {forgotten} idempotency key{'s' if forgotten != 1 else ''} older than {days} days"
    )
