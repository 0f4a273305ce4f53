"""Our Stripe client against a real localstripe (and a scripted local server for retries).

Nothing here mocks the client: it talks HTTP to a server every time.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from marketplace import errors
from marketplace.payments.stripe_client import (
    StripeClient,
    clear_client_cache,
    decline_details,
    encode_form,
    intent_outcome,
)
from tests.payments_fixtures import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_NUMBERS,
    CARD_OK,
    TEST_SECRET_KEY,
    ScriptedServer,
    authenticate_3ds,
    create_card_payment_method,
)


def key(label: str) -> str:
    """A fresh Idempotency-Key, as the order flow derives one from its payment record."""
    return f"{label}-{uuid.uuid4().hex}"


@pytest.fixture
def stripe(stripe_config) -> StripeClient:
    return StripeClient(stripe_config["STRIPE_API_BASE"], stripe_config["STRIPE_SECRET_KEY"])


def pay(stripe: StripeClient, payment_method: str = CARD_OK, amount: int = 125_000, **metadata):
    return stripe.create_payment_intent(
        amount=amount,
        currency="vnd",
        payment_method=payment_method,
        metadata={"order_id": "42", **metadata},
        idempotency_key=key("pi-create"),
    )


# -- card flows against localstripe ----------------------------------------------------------------


def test_card_payment_succeeds_with_the_vnd_amount_unchanged(stripe):
    intent = pay(stripe, amount=187_500, order_number="NS-2026-000042")

    assert intent_outcome(intent) == "succeeded"
    assert intent["id"].startswith("pi_")
    assert intent["amount"] == 187_500  # zero-decimal: never ×100
    assert intent["currency"] == "vnd"
    assert intent["metadata"] == {"order_id": "42", "order_number": "NS-2026-000042"}

    stored = stripe.retrieve_payment_intent(intent["id"])
    assert stored["status"] == "succeeded"
    assert stored["amount"] == 187_500
    assert stored["metadata"]["order_number"] == "NS-2026-000042"


def test_declined_card_raises_payment_declined_with_the_decline_code(stripe):
    with pytest.raises(errors.PaymentDeclined) as caught:
        pay(stripe, CARD_DECLINED)

    declined = caught.value
    assert declined.status == 402
    assert declined.details == {
        "decline_code": "card_declined",
        "provider_message": "Your card was declined.",
    }
    # The failed intent exists at the provider; callers can record its id.
    intent = stripe.retrieve_payment_intent(declined.provider_payment_intent_id)
    assert intent["status"] == "requires_payment_method"
    assert intent_outcome(intent) == "declined"
    assert decline_details(intent)["decline_code"] == "card_declined"


def test_a_created_payment_method_with_a_declining_card_is_declined_too(stripe, localstripe_url):
    payment_method = create_card_payment_method(localstripe_url, CARD_NUMBERS["declined"])
    with pytest.raises(errors.PaymentDeclined):
        pay(stripe, payment_method)


def test_3d_secure_card_requires_action_with_next_action(stripe, localstripe_url):
    intent = pay(stripe, CARD_3DS)

    assert intent_outcome(intent) == "requires_action"
    assert intent["status"] == "requires_action"
    assert intent["next_action"]["type"] == "use_stripe_sdk"

    # The buyer passes the challenge: the intent succeeds.
    assert authenticate_3ds(localstripe_url, intent["id"])["status"] == "succeeded"
    assert intent_outcome(stripe.retrieve_payment_intent(intent["id"])) == "succeeded"


def test_failed_3d_secure_challenge_is_a_decline(stripe, localstripe_url):
    payment_method = create_card_payment_method(localstripe_url, CARD_NUMBERS["3ds_other"])
    intent = pay(stripe, payment_method)
    assert intent_outcome(intent) == "requires_action"

    after = authenticate_3ds(localstripe_url, intent["id"], success=False)

    assert intent_outcome(after) == "declined"
    assert decline_details(after)["decline_code"] == "payment_intent_authentication_failure"


def test_create_without_confirm_then_confirm(stripe):
    intent = stripe.create_payment_intent(
        amount=50_000,
        currency="VND",
        payment_method=CARD_OK,
        metadata={"order_id": "7"},
        idempotency_key=key("pi-create"),
        confirm=False,
    )
    assert intent["status"] == "requires_confirmation"
    assert intent_outcome(intent) == "processing"

    confirmed = stripe.confirm_payment_intent(intent["id"], idempotency_key=key("pi-confirm"))

    assert intent_outcome(confirmed) == "succeeded"
    assert confirmed["currency"] == "vnd"


def test_cancel_an_intent_waiting_for_3d_secure(stripe):
    intent = pay(stripe, CARD_3DS)

    cancelled = stripe.cancel_payment_intent(intent["id"], idempotency_key=key("pi-cancel"))

    assert cancelled["status"] == "canceled"
    assert intent_outcome(cancelled) == "declined"


def test_full_refund(stripe):
    intent = pay(stripe, amount=90_000)

    refund = stripe.create_refund(
        payment_intent=intent["id"],
        amount=None,
        idempotency_key=key("refund"),
        metadata={"order_id": "42"},
    )

    assert refund["id"].startswith("re_")
    assert refund["status"] == "succeeded"
    assert refund["amount"] == 90_000
    assert refund["payment_intent"] == intent["id"]
    assert refund["metadata"] == {"order_id": "42"}
    charge = stripe.retrieve_payment_intent(intent["id"])["latest_charge"]
    assert charge["amount_refunded"] == 90_000
    assert charge["refunded"] is True


def test_partial_refunds_per_seller_order(stripe):
    intent = pay(stripe, amount=150_000)

    first = stripe.create_refund(
        payment_intent=intent["id"],
        amount=60_000,
        idempotency_key=key("refund-so-1"),
        metadata={"seller_order_id": "1"},
    )
    second = stripe.create_refund(
        payment_intent=intent["id"], amount=40_000, idempotency_key=key("refund-so-2")
    )

    assert (first["amount"], second["amount"]) == (60_000, 40_000)
    assert first["metadata"] == {"seller_order_id": "1"}
    charge = stripe.retrieve_payment_intent(intent["id"])["latest_charge"]
    assert charge["amount_refunded"] == 100_000
    assert charge["refunded"] is False


def test_refund_of_a_declined_payment_is_refused_with_a_provider_error(stripe):
    with pytest.raises(errors.PaymentDeclined) as caught:
        pay(stripe, CARD_DECLINED)

    with pytest.raises(errors.PaymentProviderError) as refused:
        stripe.create_refund(
            payment_intent=caught.value.provider_payment_intent_id,
            amount=None,
            idempotency_key=key("refund"),
        )
    assert refused.value.provider_status == 400


def test_unknown_payment_method_is_a_provider_error_with_a_safe_message(stripe):
    with pytest.raises(errors.PaymentProviderError) as caught:
        pay(stripe, "pm_does_not_exist")

    assert caught.value.status == 502
    assert caught.value.provider_status == 404
    assert TEST_SECRET_KEY not in caught.value.message


def test_wrong_secret_key_never_leaks_the_key(localstripe_url):
    bad_key = "not_a_key_" + uuid.uuid4().hex
    client = StripeClient(localstripe_url, bad_key)

    with pytest.raises(errors.PaymentProviderError) as caught:
        pay(client)

    assert caught.value.provider_status == 401
    assert bad_key not in caught.value.message
    assert bad_key not in repr(client)
    assert caught.value.details is None


# -- idempotency -------------------------------------------------------------------------------------


def test_every_post_carries_the_callers_idempotency_key_and_bearer_auth():
    intent = {"id": "pi_1", "object": "payment_intent", "status": "succeeded"}
    with ScriptedServer([(200, intent)]) as server:
        client = StripeClient(server.url, "sk_test_scripted")
        client.create_payment_intent(
            amount=1,
            currency="vnd",
            payment_method=CARD_OK,
            metadata={},
            idempotency_key="pi-create-17",
        )
        client.confirm_payment_intent("pi_1", idempotency_key="pi-confirm-17")
        client.cancel_payment_intent("pi_1", idempotency_key="pi-cancel-17")
        client.create_refund(payment_intent="pi_1", amount=5, idempotency_key="refund-17-3")
        client.retrieve_payment_intent("pi_1")

    sent = [(r.method, r.path, r.headers.get("Idempotency-Key")) for r in server.requests]
    assert sent == [
        ("POST", "/v1/payment_intents", "pi-create-17"),
        ("POST", "/v1/payment_intents/pi_1/confirm", "pi-confirm-17"),
        ("POST", "/v1/payment_intents/pi_1/cancel", "pi-cancel-17"),
        ("POST", "/v1/refunds", "refund-17-3"),
        ("GET", "/v1/payment_intents/pi_1", None),
    ]
    assert {r.headers["Authorization"] for r in server.requests} == {"Bearer sk_test_scripted"}
    assert server.requests[0].form == [
        ("amount", "1"),
        ("currency", "vnd"),
        ("payment_method", CARD_OK),
        ("confirm", "true"),
    ]
    assert server.requests[3].form == [("payment_intent", "pi_1"), ("amount", "5")]


def test_a_post_without_an_idempotency_key_is_refused_before_sending(stripe):
    with pytest.raises(ValueError):
        stripe.create_refund(payment_intent="pi_x", amount=1, idempotency_key="")


def test_localstripe_ignores_idempotency_keys(stripe):
    """Recorded fact: localstripe does not replay on a repeated key (real Stripe does), so the
    order flow must not count on the provider to de-duplicate: our own records do."""
    same = key("pi-create")
    kwargs = dict(
        amount=10_000, currency="vnd", payment_method=CARD_OK, metadata={}, idempotency_key=same
    )
    first = stripe.create_payment_intent(**kwargs)
    second = stripe.create_payment_intent(**kwargs)
    assert first["id"] != second["id"]


# -- retries, timeouts, provider down -----------------------------------------------------------------


def test_503_twice_then_200_succeeds_with_one_idempotency_key_across_attempts():
    unavailable = (503, {"error": {"type": "api_error", "message": "try again"}})
    intent = {"id": "pi_retry", "status": "succeeded", "amount": 10_000, "currency": "vnd"}
    with ScriptedServer([unavailable, unavailable, (200, intent)]) as server:
        client = StripeClient(server.url, "sk_test_retry", backoff=0.01)
        result = client.create_payment_intent(
            amount=10_000,
            currency="vnd",
            payment_method=CARD_OK,
            metadata={"order_id": "5"},
            idempotency_key="pi-create-5",
        )

    assert result["id"] == "pi_retry"
    assert len(server.requests) == 3
    assert {r.headers["Idempotency-Key"] for r in server.requests} == {"pi-create-5"}
    assert len({r.body for r in server.requests}) == 1  # the same request each time


def test_429_is_retried_too():
    with ScriptedServer(
        [(429, {"error": {"type": "rate_limit_error"}}), (200, {"id": "pi_2"})]
    ) as s:
        client = StripeClient(s.url, "sk_test_retry", backoff=0.01)
        assert client.retrieve_payment_intent("pi_2") == {"id": "pi_2"}
    assert len(s.requests) == 2


def test_5xx_after_all_retries_is_a_provider_error():
    with ScriptedServer([(500, {"error": {"type": "api_error"}})]) as server:
        client = StripeClient(server.url, "sk_test_retry", max_retries=2, backoff=0.01)
        with pytest.raises(errors.PaymentProviderError) as caught:
            client.retrieve_payment_intent("pi_3")
    assert caught.value.status == 502
    assert len(server.requests) == 3  # the first try and two retries


def test_4xx_is_not_retried():
    with ScriptedServer([(400, {"error": {"type": "invalid_request_error"}})]) as server:
        client = StripeClient(server.url, "sk_test_retry", backoff=0.01)
        with pytest.raises(errors.PaymentProviderError) as caught:
            client.cancel_payment_intent("pi_4", idempotency_key="pi-cancel-4")
    assert len(server.requests) == 1
    assert caught.value.message == "The payment provider refused the request (HTTP 400)."


def test_card_error_type_is_a_decline_whatever_the_status():
    card_error = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "payment_intent": {"id": "pi_5", "status": "requires_payment_method"},
        }
    }
    with ScriptedServer([(400, card_error)]) as server:
        client = StripeClient(server.url, "sk_test_decline")
        with pytest.raises(errors.PaymentDeclined) as caught:
            client.confirm_payment_intent("pi_5", idempotency_key="pi-confirm-5")
    assert caught.value.details == {
        "decline_code": "insufficient_funds",
        "provider_message": "Your card has insufficient funds.",
    }
    assert caught.value.provider_payment_intent_id == "pi_5"


def test_closed_port_is_a_provider_error_quickly(closed_port_url):
    client = StripeClient(closed_port_url, TEST_SECRET_KEY, max_retries=2, backoff=0.01)

    started = time.monotonic()
    with pytest.raises(errors.PaymentProviderError) as caught:
        pay(client)

    assert time.monotonic() - started < 5  # refused at once, two short backoffs
    assert caught.value.status == 502
    assert caught.value.code == "payment_provider_error"
    assert TEST_SECRET_KEY not in caught.value.message


def test_read_timeout_is_retried_then_a_provider_error():
    import socket
    import threading

    # A server that accepts connections and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        client = StripeClient(url, "sk_test_slow", timeout=(1, 0.2), max_retries=1, backoff=0.01)
        with pytest.raises(errors.PaymentProviderError):
            client.retrieve_payment_intent("pi_slow")
        assert len(accepted) == 2
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


# -- configuration -------------------------------------------------------------------------------------


def test_from_config_without_a_secret_key_means_payments_unavailable():
    with pytest.raises(errors.PaymentsUnavailable):
        StripeClient.from_config(
            {"STRIPE_API_BASE": "http://127.0.0.1:9", "STRIPE_SECRET_KEY": None}
        )


def test_from_config_shares_one_client_per_base_and_key(stripe_config):
    clear_client_cache()
    first = StripeClient.from_config(stripe_config)
    again = StripeClient.from_config(dict(stripe_config))
    other = StripeClient.from_config({**stripe_config, "STRIPE_SECRET_KEY": "sk_test_other"})

    assert first is again
    assert isinstance(first.session, requests.Session)
    assert other is not first
    assert first.api_base == stripe_config["STRIPE_API_BASE"]
    assert intent_outcome(pay(first)) == "succeeded"


# -- form encoding ---------------------------------------------------------------------------------------


def test_form_encoding_of_nested_params():
    assert encode_form(
        {
            "amount": 125000,
            "currency": "vnd",
            "confirm": True,
            "capture": False,
            "metadata": {"order_id": "42", "note": "Rau muống & cà"},
            "payment_method_types": ["card"],
            "items": [{"price": "p1", "quantity": 2}, {"price": "p2"}],
            "skipped": None,
            "card": {"number": "4242", "exp": {"month": 12}},
        }
    ) == [
        ("amount", "125000"),
        ("currency", "vnd"),
        ("confirm", "true"),
        ("capture", "false"),
        ("metadata[order_id]", "42"),
        ("metadata[note]", "Rau muống & cà"),
        ("payment_method_types[0]", "card"),
        ("items[0][price]", "p1"),
        ("items[0][quantity]", "2"),
        ("items[1][price]", "p2"),
        ("card[number]", "4242"),
        ("card[exp][month]", "12"),
    ]


def test_form_encoding_refuses_floats_for_money():
    with pytest.raises(TypeError):
        encode_form({"amount": 125000.0})


def test_empty_metadata_and_none_are_left_out():
    assert encode_form({"metadata": {}, "amount": None}) == []


def test_unicode_metadata_round_trips_through_localstripe(stripe):
    intent = pay(stripe, province="Hải Phòng", recipient="Nguyễn Thị Hà")
    assert intent["metadata"]["province"] == "Hải Phòng"
    assert stripe.retrieve_payment_intent(intent["id"])["metadata"]["recipient"] == "Nguyễn Thị Hà"


def test_provider_ids_are_checked_before_they_go_into_a_url(stripe):
    with pytest.raises(ValueError):
        stripe.retrieve_payment_intent("../v1/charges")


# -- the localstripe launcher ----------------------------------------------------------------------------


def test_launcher_serves_loopback_only_keeps_no_pickle_and_stops_on_sigterm():
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys
    from pathlib import Path

    pickle_file = Path("/tmp/localstripe.pickle")
    before = pickle_file.stat().st_mtime_ns if pickle_file.exists() else None
    process = subprocess.Popen(
        [sys.executable, "-m", "marketplace.payments.localstripe_server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        ready = process.stdout.readline()
        match = re.fullmatch(r"localstripe ready on http://127\.0\.0\.1:(\d+)\n", ready)
        assert match, ready
        port = int(match.group(1))
        url = f"http://127.0.0.1:{port}"
        client = StripeClient(url, TEST_SECRET_KEY)
        assert intent_outcome(pay(client)) == "succeeded"

        # Not reachable on the host's other addresses (localstripe's own CLI binds "::").
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("192.0.2.1", 9))  # sends nothing; picks the outgoing interface
                own_address = probe.getsockname()[0]
        except OSError:  # no network at all: loopback is all there is
            own_address = "127.0.0.1"
        if not own_address.startswith("127."):
            with pytest.raises(OSError):
                socket.create_connection((own_address, port), timeout=2).close()

        after = pickle_file.stat().st_mtime_ns if pickle_file.exists() else None
        assert after == before  # nothing written to /tmp/localstripe.pickle

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


def test_localstripe_webhooks_verify_with_our_signature_check(stripe, localstripe_url):
    from marketplace.payments.signature import verify_signature
    from tests.payments_fixtures import TEST_WEBHOOK_SECRET, register_webhook

    with ScriptedServer([(200, {"received": True})]) as receiver:
        register_webhook(localstripe_url, receiver.url, name="signature-test")
        try:
            intent = pay(stripe)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not any(
                intent["id"].encode() in r.body for r in receiver.requests
            ):
                time.sleep(0.1)
        finally:  # port 9 (discard): nothing listens, no later test server can get it
            register_webhook(localstripe_url, "http://127.0.0.1:9/", name="signature-test")

    delivered = [r for r in receiver.requests if intent["id"].encode() in r.body]
    assert delivered, "localstripe sent no webhook"
    event = delivered[0]
    verify_signature(event.body, event.headers["Stripe-Signature"], TEST_WEBHOOK_SECRET)
    assert b'"payment_intent.succeeded"' in event.body
