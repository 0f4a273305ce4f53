"""What a bank transfer reported by the notifier does to its order (registered with
payments.bank_transfer, which never imports orders): lock the order, then count the money."""

from __future__ import annotations

from ..payments import bank_transfer
from ..payments.models import BankTransfer
from . import services as orders


@bank_transfer.applies_to_orders
def apply_transfer(record: BankTransfer, order_id: int) -> None:
    bank_transfer.apply_to_locked_order(record, orders.lock_order(order_id), orders.mark_paid)
