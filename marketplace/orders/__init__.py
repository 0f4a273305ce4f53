"""Checkout, orders split per household, seller orders, state machines, idempotency, expiry."""
