"""Pytest plugin for payment tests: a real localstripe per test session, and helpers around it.

Loaded from tests/conftest.py (`pytest_plugins = ["tests.payments_fixtures"]`).

- `localstripe_url` (session): starts `python -m marketplace.payments.localstripe_server --port 0`
  (127.0.0.1 only, no pickle file), waits for its ready line, yields "http://127.0.0.1:PORT",
  stops it at the end of the session. Each pytest-xdist worker gets its own server.
- `stripe_config`: the app settings that point at it; `app_config.update(stripe_config)` before
  asking for `app`.
- `closed_port_url`: a base URL nothing listens on (the provider is down).
- CARD_OK / CARD_DECLINED / CARD_3DS: payment_method ids to put in `card.payment_method_id`.
- `create_card_payment_method()` makes a payment method from any test card number (what a buyer's
  browser does with Stripe.js); `authenticate_3ds()` completes (or fails) a 3-D Secure challenge.
- `ScriptedServer`: a tiny local HTTP server answering scripted responses and recording requests
  (retries, Idempotency-Key headers, form bodies).
"""

from __future__ import annotations

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent

TEST_SECRET_KEY = "sk_test_nongsan_localstripe"
TEST_WEBHOOK_SECRET = "whsec_test_nongsan_localstripe"

# Succeeds at once (4242 4242 4242 4242).
CARD_OK = "pm_card_visa"
# Declined when charged (4000 0000 0000 0341): localstripe answers 402 card_declined. NOT
# pm_card_visa_chargeDeclined: localstripe gives that one a card that is only declined when
# attached to a customer, so a PaymentIntent with it succeeds.
CARD_DECLINED = "pm_card_chargeCustomerFail"
# 3-D Secure required (4000 0027 6000 3184): the intent comes back requires_action + next_action.
# Our launcher adds this Stripe test id to localstripe; against a plain localstripe create one with
# create_card_payment_method(url, CARD_NUMBERS["3ds"]).
CARD_3DS = "pm_card_threeDSecure2Required"

CARD_NUMBERS = {
    "ok": "4242424242424242",
    "declined": "4000000000000341",
    "3ds": "4000002760003184",
    "3ds_other": "4000000000003220",
}

_READY = re.compile(r"localstripe ready on (http://127\.0\.0\.1:\d+)")


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """A fresh localstripe on 127.0.0.1 for this test session (or xdist worker)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "marketplace.payments.localstripe_server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:  # keeps the pipe drained so the server never blocks on a full pipe
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True, name="localstripe-output").start()
    try:
        url = _wait_until_ready(process, lines)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(process: subprocess.Popen, lines: queue.Queue) -> str:
    deadline = time.monotonic() + 30
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        match = _READY.search(line)
        if match:
            url = match.group(1)
            # It answers (401 without a key is an answer).
            requests.get(f"{url}/v1/payment_intents", timeout=5)
            return url
    process.kill()
    raise RuntimeError(f"localstripe did not start: {''.join(seen)[-2000:]}")


@pytest.fixture
def stripe_config(localstripe_url) -> dict[str, str]:
    """Settings for the app under test: `app_config.update(stripe_config)` before `app`."""
    return {
        "STRIPE_API_BASE": localstripe_url,
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
    }


@pytest.fixture
def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def create_card_payment_method(api_base: str, number: str = CARD_NUMBERS["ok"]) -> str:
    """A payment method id for a test card number (what Stripe.js does in a buyer's browser)."""
    response = requests.post(
        f"{api_base}/v1/payment_methods",
        data={
            "type": "card",
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2030",
            "card[cvc]": "123",
        },
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["id"]


def authenticate_3ds(api_base: str, intent_id: str, *, success: bool = True) -> dict:
    """Play the buyer's 3-D Secure challenge in localstripe; returns the updated intent.

    success=True charges the card (and localstripe then sends payment_intent.succeeded to any
    webhook registered with register_webhook()); success=False leaves requires_payment_method.
    """
    auth = {"Authorization": f"Bearer {TEST_SECRET_KEY}"}
    intent = requests.get(f"{api_base}/v1/payment_intents/{intent_id}", headers=auth, timeout=10)
    intent.raise_for_status()
    response = requests.post(
        f"{api_base}/v1/payment_intents/{intent_id}/_authenticate",
        data={
            "client_secret": intent.json()["client_secret"],
            "success": "true" if success else "false",
        },
        headers=auth,
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def register_webhook(api_base: str, url: str, secret: str = TEST_WEBHOOK_SECRET, name="tests"):
    """Make localstripe POST its events (signed with `secret`) to `url`, about 1 s after each."""
    response = requests.post(
        f"{api_base}/_config/webhooks/{name}", data={"url": url, "secret": secret}, timeout=10
    )
    response.raise_for_status()


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode(), keep_blank_values=True)


@dataclass
class ScriptedServer:
    """A local HTTP server that answers (status, json body) from a script and records requests.

    When the script runs out it repeats its last answer. Use as a context manager.
    """

    script: list[tuple[int, dict]]
    requests: list[RecordedRequest] = field(default_factory=list)

    def __enter__(self) -> ScriptedServer:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                scripted.requests.append(
                    RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
                )
                index = min(len(scripted.requests), len(scripted.script)) - 1
                status, payload = scripted.script[index]
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
