"""`make run`: migrate, load the seed data and the demo accounts, build the search index, start
localstripe on 127.0.0.1 (unless STRIPE_API_BASE is set), the job worker (`flask jobs worker`),
and serve the app with gunicorn on 127.0.0.1:$PORT.

Ctrl-C stops everything this started.

    python -m marketplace.devserver [--seed-path seed_data]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from .config import build_config
from .seed.demo import DEMO_PASSWORD, LOGINS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# What the demo gives localstripe and the app (test keys: localstripe accepts any sk_test_ key).
DEMO_STRIPE_SECRET_KEY = "sk_test_nongsan_demo"
DEMO_STRIPE_WEBHOOK_SECRET = "whsec_nongsan_demo"
_READY = re.compile(r"localstripe ready on (http://127\.0\.0\.1:\d+)")


def _flask(env: dict[str, str], *args: str) -> int:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=False
    ).returncode


def _must(returncode: int, what: str) -> None:
    if returncode != 0:
        raise SystemExit(f"✘ {what} failed (exit {returncode}); nothing was started.")


def start_localstripe() -> tuple[subprocess.Popen, str]:
    """localstripe on a free port of 127.0.0.1; its URL once it accepts connections."""
    process = subprocess.Popen(
        [sys.executable, "-m", "marketplace.payments.localstripe_server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    for line in process.stdout:
        match = _READY.search(line)
        if match:
            # Keep the pipe drained so localstripe never blocks writing its log.
            threading.Thread(target=_drain, args=(process,), daemon=True).start()
            return process, match.group(1)
        if time.monotonic() > deadline:
            break
    process.kill()
    raise SystemExit("✘ localstripe did not start.")


def _drain(process: subprocess.Popen) -> None:
    for _line in process.stdout or ():
        pass


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return True
        time.sleep(0.2)
    return False


def _register_webhook(stripe_url: str, app_url: str, secret: str) -> None:
    """localstripe then POSTs its events (3-D Secure completions …) to our webhook."""
    with contextlib.suppress(requests.RequestException):
        requests.post(
            f"{stripe_url}/_config/webhooks/demo",
            data={"url": f"{app_url}/api/v1/payments/stripe/webhook", "secret": secret},
            timeout=5,
        )


def _stop(process: subprocess.Popen | None, sig: int, timeout: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the marketplace locally with demo data.")
    parser.add_argument("--seed-path", default=str(ROOT / "seed_data"), help="CSV seed folder")
    args = parser.parse_args(argv)

    config = build_config(str(ROOT / "instance"))
    port = config["PORT"]
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)

    localstripe = None
    server = None
    worker = None
    try:
        print("→ Migrating the database …", flush=True)
        _must(_flask(env, "db", "upgrade"), "flask db upgrade")
        print("→ Loading the seed data and the demo accounts …", flush=True)
        _must(_flask(env, "seed", "--path", args.seed_path, "--demo"), "flask seed --demo")
        if importlib.util.find_spec("marketplace.search.cli") is not None:
            print("→ Checking the search index …", flush=True)
            if _flask(env, "search", "check") != 0:
                _must(_flask(env, "search", "rebuild"), "flask search rebuild")
        if env.get("STRIPE_API_BASE"):
            print(f"→ Card payments go to STRIPE_API_BASE={env['STRIPE_API_BASE']}", flush=True)
        else:
            localstripe, stripe_url = start_localstripe()
            env["STRIPE_API_BASE"] = stripe_url
            env.setdefault("STRIPE_SECRET_KEY", DEMO_STRIPE_SECRET_KEY)
            env.setdefault("STRIPE_WEBHOOK_SECRET", DEMO_STRIPE_WEBHOOK_SECRET)
            print(f"→ localstripe on {stripe_url} (pid {localstripe.pid})", flush=True)
        worker = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "jobs", "worker"], cwd=ROOT, env=env
        )
        print(f"→ job worker (pid {worker.pid})", flush=True)
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env
        )
        if not _wait_healthy(url, server):
            print("✘ The app did not answer /healthz; see the log above.", flush=True)
            return 1
        if localstripe is not None:
            _register_webhook(env["STRIPE_API_BASE"], url, env["STRIPE_WEBHOOK_SECRET"])
        _print_banner(url, server.pid)
        return server.wait()
    except KeyboardInterrupt:
        print("\n→ Stopping …", flush=True)
        return 0
    finally:
        # gunicorn stops gracefully on SIGINT (it may have got Ctrl-C from the terminal too).
        _stop(server, signal.SIGINT)
        # The worker finishes the jobs in hand on SIGINT (a report being written, a send).
        _stop(worker, signal.SIGINT)
        _stop(localstripe, signal.SIGTERM)


def _print_banner(url: str, pid: int) -> None:
    print(f"\n✔ Serving on {url}  (pid {pid}; API under /api/v1, docs at /api/openapi.json)")
    print(f"  Demo logins, password {DEMO_PASSWORD}:")
    for role, login in LOGINS:
        print(f"    {role:<17} {login}")
    print(
        f'  Try: curl -s {url}/api/v1/auth/tokens -H "Content-Type: application/json" '
        f'-d \'{{"login": "buyer@demo.vn", "password": "{DEMO_PASSWORD}"}}\''
    )
    print("  Stop with Ctrl-C.\n", flush=True)


if __name__ == "__main__":
    # Ctrl-C and SIGTERM (a supervisor) stop the children; SIGINT is set explicitly because a
    # shell starting us in the background (`make run &`) leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
