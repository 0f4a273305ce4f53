"""Run localstripe (a Stripe-compatible test server) for tests and the demo, safely.

`python -m marketplace.payments.localstripe_server --port N` (N=0 picks a free port).

localstripe's own command line binds every interface and pickles its whole state to
/tmp/localstripe.pickle after each write; this launcher serves the same aiohttp app on 127.0.0.1
only, keeps the state in memory, prints one line `localstripe ready on http://127.0.0.1:PORT` once
it accepts connections, and exits cleanly on SIGTERM / SIGINT.

It also knows two Stripe test payment method ids that localstripe lacks, with the cards Stripe
documents for them, so the 3-D Secure flow can be tried without creating a payment method first:
`pm_card_threeDSecure2Required` (4000 0027 6000 3184) and `pm_card_authenticationRequired`
(4000 0025 0000 3155).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys

# Test cards Stripe documents under these ids (https://docs.stripe.com/testing), missing in localstripe.
EXTRA_TEST_PAYMENT_METHODS = {
    "pm_card_threeDSecure2Required": "4000002760003184",
    "pm_card_authenticationRequired": "4000002500003155",
}


def _patch_localstripe() -> None:
    """No pickle file in /tmp (shared, world-writable, loaded with pickle); extra test ids."""
    from localstripe import resources

    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None

    original = resources.PaymentMethod._try_get_canonical_test_article.__func__

    def canonical(cls, id):
        number = EXTRA_TEST_PAYMENT_METHODS.get(id)
        if number is None:
            return original(cls, id)
        card = {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}
        return resources.PaymentMethod(type="card", card=card)

    resources.PaymentMethod._try_get_canonical_test_article = classmethod(canonical)


async def serve(host: str, port: int) -> None:
    _patch_localstripe()
    from aiohttp import web
    from localstripe.server import app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    bound = sock.getsockname()[1]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"localstripe ready on http://{host}:{bound}", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.host, args.port))
    except OSError as exc:
        print(f"localstripe could not start on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
