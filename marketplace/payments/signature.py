"""Stripe webhook signatures: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256>[,v1=…]`.

The signed text is f"{t}." followed by the raw request body, keyed with the endpoint's signing secret
(STRIPE_WEBHOOK_SECRET). Stripe sends several v1 values while a secret is being rolled; any match is
enough. Timestamps further than `tolerance` seconds from now are refused (replayed deliveries).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from .. import errors

DEFAULT_TOLERANCE = 300  # seconds; Stripe's libraries use 5 minutes too


def _expected(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign_payload(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """A valid `Stripe-Signature` header value for `payload` (tests, docs, local tools)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={_expected(payload, secret, timestamp)}"


def verify_signature(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: int | None = None,
) -> None:
    """Raise errors.InvalidSignature unless `header` signs `payload` with `secret` recently enough."""
    if not header:
        raise errors.InvalidSignature("The Stripe-Signature header is missing.")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise errors.InvalidSignature(
                    "The Stripe-Signature timestamp is malformed."
                ) from None
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise errors.InvalidSignature("The Stripe-Signature header is malformed.")
    now = int(time.time()) if now is None else now
    if abs(now - timestamp) > tolerance:
        raise errors.InvalidSignature("The Stripe-Signature timestamp is outside the tolerance.")
    expected = _expected(payload, secret, timestamp)
    # Compare every candidate in constant time; never short-cut on the first mismatch's content.
    matched = False
    for candidate in signatures:
        if hmac.compare_digest(expected.encode("ascii"), candidate.encode("ascii", "replace")):
            matched = True
    if not matched:
        raise errors.InvalidSignature("The Stripe-Signature does not match the payload.")
