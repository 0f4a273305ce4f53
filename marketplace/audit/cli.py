"""`flask audit money`."""

from __future__ import annotations

import sys

import click
from flask import current_app

from ..payments.stripe_client import StripeClient
from ..unit_of_work import TransactionalGroup
from .money import audit

audit_cli = TransactionalGroup("audit", help="Check the whole database for what must always hold.")


@audit_cli.command("money")
def money_command() -> None:
    """Stock against its movements, orders that add up, refunds within charges and, with a payment
    provider configured, charges against the provider's PaymentIntents. Exit 1 on any finding."""
    client = (
        StripeClient.from_config(current_app.config)
        if current_app.config.get("STRIPE_SECRET_KEY")
        else None
    )
    findings = audit(client)
    for finding in findings:
        click.echo(str(finding))
    checked = "stock, orders, refunds" + (", provider" if client else " (no payment provider)")
    if findings:
        click.echo(f"{len(findings)} finding(s) ({checked})", err=True)
        sys.exit(1)
    click.echo(f"money audit clean ({checked})")
