import click
from flask.cli import AppGroup

from ..extensions import db
from . import services

orders_cli = AppGroup("orders", help="Orders: reservation expiry.")


@orders_cli.command("expire")
def expire_command() -> None:
    """Release the stock of unpaid card orders past RESERVATION_TTL_MINUTES (run it every minute;
    reads of an order also do it lazily)."""
    expired = 0
    for order_id in services.overdue_order_ids():
        # One short transaction per order: a webhook for another order never waits on us.
        if services.expire_order(order_id):
            expired += 1
        db.session.commit()
    click.echo(f"expired {expired} order{'s' if expired != 1 else ''}")
