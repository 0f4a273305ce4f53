"""Our small client for the Stripe API (and Stripe-compatible servers such as localstripe).

Plain `requests` instead of the stripe SDK: one `requests.Session` per (base URL, key), timeouts on
every call, retries with exponential backoff on connection errors, timeouts, 5xx and 429 that reuse
the SAME `Idempotency-Key`, and provider errors mapped to ours (`errors.PaymentDeclined`,
`errors.PaymentProviderError`). Only the parameters the checkout flow needs are sent: localstripe
answers 400 to ones it does not know (`description`, …).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .. import errors

log = logging.getLogger("marketplace.payments")

# What intent_outcome() answers; the order flow branches on these four.
SUCCEEDED, REQUIRES_ACTION, DECLINED, PROCESSING = (
    "succeeded",
    "requires_action",
    "declined",
    "processing",
)

_clients: dict[tuple[str, str], StripeClient] = {}
_clients_lock = threading.Lock()


def encode_form(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Stripe-style form encoding: nested dicts as `key[sub]`, lists as `key[0]`, `key[1]`, ….

    None values are left out; booleans become "true"/"false". Floats are refused: money is int VND.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        _encode_value(str(key), value, pairs)
    return pairs


def _encode_value(key: str, value: Any, pairs: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for sub, item in value.items():
            _encode_value(f"{key}[{sub}]", item, pairs)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _encode_value(f"{key}[{index}]", item, pairs)
    elif isinstance(value, bool):  # before int: bool is an int
        pairs.append((key, "true" if value else "false"))
    elif isinstance(value, float):
        raise TypeError(f"{key}: floats are not sent to the payment provider (money is int VND)")
    else:
        pairs.append((key, str(value)))


def intent_outcome(intent: Mapping[str, Any]) -> str:
    """Tell a PaymentIntent's result apart: "succeeded", "requires_action", "declined", "processing".

    A card that fails during confirm leaves the intent in `requires_payment_method` with a
    `last_payment_error`: that is a decline, as is a cancelled intent. Anything not final yet
    (processing, requires_capture, requires_confirmation) is "processing": wait for the webhook.
    """
    status = intent.get("status")
    if status == "succeeded":
        return SUCCEEDED
    if status in ("requires_action", "requires_source_action") or (
        intent.get("next_action") and status not in ("canceled", "requires_payment_method")
    ):
        return REQUIRES_ACTION
    if status in ("requires_payment_method", "canceled"):
        return DECLINED
    return PROCESSING


def decline_details(intent: Mapping[str, Any]) -> dict[str, str | None]:
    """The `details` of a PaymentDeclined for an intent that intent_outcome() calls declined."""
    error = intent.get("last_payment_error") or {}
    return {
        "decline_code": error.get("decline_code") or error.get("code") or "card_declined",
        "provider_message": error.get("message"),
    }


class StripeClient:
    """A Stripe API client bound to one base URL and one secret key (thread-safe enough to share)."""

    def __init__(
        self,
        api_base: str,
        secret_key: str,
        *,
        timeout: tuple[float, float] = (3.05, 15),
        max_retries: int = 2,
        backoff: float = 0.2,
    ):
        self.api_base = api_base.rstrip("/")
        self._secret_key = secret_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.session = requests.Session()
        # Retries are ours (with backoff and the same key); a bigger pool for concurrent checkouts.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "Authorization": f"Bearer {secret_key}",
                "User-Agent": "nong-san-marketplace/1 (+requests)",
                "Accept": "application/json",
            }
        )

    def __repr__(self) -> str:  # never show the key
        return f"<StripeClient {self.api_base}>"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeClient:
        """The process-wide client for the app's STRIPE_API_BASE and STRIPE_SECRET_KEY.

        Raises PaymentsUnavailable (503) when no secret key is configured.
        """
        key = config.get("STRIPE_SECRET_KEY")
        if not key:
            raise errors.PaymentsUnavailable()
        base = (config.get("STRIPE_API_BASE") or "https://api.stripe.com").rstrip("/")
        with _clients_lock:
            client = _clients.get((base, key))
            if client is None:
                client = _clients[(base, key)] = cls(
                    base, key, timeout=tuple(config.get("STRIPE_TIMEOUT") or (3.05, 15))
                )
            return client

    # -- PaymentIntents --------------------------------------------------------------------------

    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        payment_method: str,
        metadata: dict[str, str],
        idempotency_key: str,
        confirm: bool = True,
    ) -> dict:
        """Create (and by default confirm) a PaymentIntent. VND is zero-decimal: amount as-is.

        A card declined during confirm raises PaymentDeclined; 3-D Secure comes back as an intent
        with status requires_action and next_action (see intent_outcome()).
        """
        params = {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": payment_method,
            "metadata": metadata,
            "confirm": confirm,
        }
        try:
            return self._request("POST", "/v1/payment_intents", params, idempotency_key)
        except errors.PaymentDeclined as declined:
            if not getattr(declined, "provider_payment_intent_id", None):
                declined.provider_payment_intent_id = self._intent_of_charge(  # type: ignore[attr-defined]
                    getattr(declined, "provider_charge_id", None)
                )
            raise

    def _intent_of_charge(self, charge_id: str | None) -> str | None:
        """localstripe's decline names the charge, not the intent: look the intent up (best effort)."""
        if not charge_id:
            return None
        try:
            charge = self._request("GET", f"/v1/charges/{_path_id(charge_id)}")
        except (errors.AppError, ValueError):
            return None
        return charge.get("payment_intent")

    def confirm_payment_intent(self, intent_id: str, *, idempotency_key: str) -> dict:
        return self._request(
            "POST", f"/v1/payment_intents/{_path_id(intent_id)}/confirm", {}, idempotency_key
        )

    def retrieve_payment_intent(self, intent_id: str) -> dict:
        return self._request("GET", f"/v1/payment_intents/{_path_id(intent_id)}")

    def list_payment_intents(self, *, limit: int = 100, starting_after: str | None = None) -> dict:
        params: dict[str, Any] = {"limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        return self._request("GET", "/v1/payment_intents", params)

    def cancel_payment_intent(self, intent_id: str, *, idempotency_key: str) -> dict:
        return self._request(
            "POST", f"/v1/payment_intents/{_path_id(intent_id)}/cancel", {}, idempotency_key
        )

    # -- Refunds ---------------------------------------------------------------------------------

    def create_refund(
        self,
        *,
        payment_intent: str,
        amount: int | None,
        idempotency_key: str,
        metadata: dict[str, str] | None = None,
    ) -> dict:
        """Refund `amount` VND of a PaymentIntent (None: the whole charge).

        Pass the amount explicitly after a partial refund: localstripe does not cap the total.
        """
        params = {"payment_intent": payment_intent, "amount": amount, "metadata": metadata}
        return self._request("POST", "/v1/refunds", params, idempotency_key)

    # -- transport -------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict:
        url = self.api_base + path
        headers: dict[str, str] = {}
        data: list[tuple[str, str]] | None = None
        query: list[tuple[str, str]] | None = None
        if method == "POST":
            if not idempotency_key:
                raise ValueError("every POST to the payment provider needs an Idempotency-Key")
            headers["Idempotency-Key"] = idempotency_key
            data = encode_form(params or {})
            # An empty body still gets the form content type (Stripe expects it on POSTs).
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif params:
            query = encode_form(params)

        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method, url, data=data, params=query, headers=headers, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt < self.max_retries:
                    attempt += 1
                    self._sleep(attempt, None)
                    continue
                log.warning(
                    "payment provider unreachable: %s %s: %s", method, path, type(exc).__name__
                )
                raise errors.PaymentProviderError() from None
            if _retryable(response.status_code) and attempt < self.max_retries:
                attempt += 1
                self._sleep(attempt, response.headers.get("Retry-After"))
                continue
            return self._result(method, path, response)

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2 ** (attempt - 1))
        if retry_after:
            # Honour the server's hint, within reason: a request thread is waiting.
            with contextlib.suppress(ValueError):
                delay = max(delay, min(float(retry_after), 2.0))
        time.sleep(delay)

    def _result(self, method: str, path: str, response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        if 200 <= status < 300 and isinstance(body, dict):
            return body
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        provider_message = _scrub(str(error.get("message") or ""), self._secret_key)
        if status == 402 or error.get("type") == "card_error":
            declined = errors.PaymentDeclined(
                details={
                    "decline_code": error.get("decline_code")
                    or error.get("code")
                    or "card_declined",
                    "provider_message": provider_message or None,
                }
            )
            _annotate(declined, status, error)
            raise declined
        log.warning(
            "payment provider answered %s to %s %s: %s %s",
            status,
            method,
            path,
            error.get("code") or error.get("type"),
            provider_message,
        )
        if 200 <= status < 300:
            failure = errors.PaymentProviderError("The payment provider sent an unreadable answer.")
        elif status >= 500 or status == 429:
            failure = errors.PaymentProviderError()
        else:
            failure = errors.PaymentProviderError(
                f"The payment provider refused the request (HTTP {status})."
            )
        _annotate(failure, status, error)
        raise failure


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _path_id(value: str) -> str:
    # Provider ids are [A-Za-z0-9_]; refuse anything that could change the URL path.
    if not value or not all(c.isalnum() or c == "_" for c in value):
        raise ValueError(f"not a provider id: {value!r}")
    return value


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "[secret key]") if secret else text


def _annotate(exc: errors.AppError, status: int, error: Mapping[str, Any]) -> None:
    """Keep what callers may branch on (not shown to API clients): status, code, ids."""
    exc.provider_status = status  # type: ignore[attr-defined]
    exc.provider_code = error.get("code")  # type: ignore[attr-defined]
    exc.provider_type = error.get("type")  # type: ignore[attr-defined]
    exc.provider_param = error.get("param")  # type: ignore[attr-defined]
    exc.provider_charge_id = error.get("charge")  # type: ignore[attr-defined]
    intent = error.get("payment_intent")
    exc.provider_payment_intent_id = (  # type: ignore[attr-defined]
        intent.get("id") if isinstance(intent, Mapping) else intent
    )


def clear_client_cache(keys: Iterable[tuple[str, str]] | None = None) -> None:
    """Forget cached clients (tests that point the app at a new server)."""
    with _clients_lock:
        if keys is None:
            _clients.clear()
        for key in keys or ():
            _clients.pop(key, None)
