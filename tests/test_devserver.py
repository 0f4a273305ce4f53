"""`make run` (marketplace.devserver): migrate, seed the demo, start localstripe and gunicorn;
the demo buyer can log in; Ctrl-C stops both."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from marketplace.seed.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _refused(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return True
    return False


def test_make_run_serves_the_demo_with_localstripe_and_a_worker_and_ctrl_c_stops_all(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "PYTHONUNBUFFERED": "1",
        "MARKETPLACE_ENV": "development",
    }
    env.pop("JOBS_URL", None)
    for name in ("STRIPE_API_BASE", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        env.pop(name, None)
    (tmp_path / "seed").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "marketplace.devserver", "--seed-path", str(tmp_path / "seed")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            assert line is not None, "".join(seen)
            seen.append(line)
            if "Stop with Ctrl-C" in line:
                break
        output = "".join(seen)
        served = re.search(r"Serving on (http://127\.0\.0\.1:\d+)  \(pid (\d+)", output)
        stripe = re.search(r"localstripe on (http://127\.0\.0\.1:\d+) \(pid (\d+)\)", output)
        worker = re.search(r"job worker \(pid (\d+)\)", output)
        assert served and stripe and worker, output
        worker_pid = int(worker.group(1))
        assert not _gone(worker_pid)
        app_url, gunicorn_pid = served.group(1), int(served.group(2))
        stripe_url, stripe_pid = stripe.group(1), int(stripe.group(2))
        assert app_url == f"http://127.0.0.1:{port}"
        assert "buyer@demo.vn" in output and DEMO_PASSWORD in output

        assert requests.get(f"{app_url}/healthz", timeout=5).json()["status"] == "ok"
        token = requests.post(
            f"{app_url}/api/v1/auth/tokens",
            json={"login": "buyer@demo.vn", "password": DEMO_PASSWORD},
            timeout=10,
        )
        assert token.status_code == 201, token.text
        me = requests.get(
            f"{app_url}/api/v1/me",
            headers={"Authorization": f"Bearer {token.json()['token']}"},
            timeout=5,
        )
        assert me.json()["full_name"] == "Lê Thị Hoa"
        # localstripe answers (401 without a key is an answer).
        assert requests.get(f"{stripe_url}/v1/payment_intents", timeout=5).status_code == 401

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert _gone(gunicorn_pid) and _gone(stripe_pid) and _gone(worker_pid)
        assert _refused(f"{app_url}/healthz") and _refused(f"{stripe_url}/v1/payment_intents")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
