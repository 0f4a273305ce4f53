"""`make run`: migrate, load the demo data, and serve the app with gunicorn on 127.0.0.1:$PORT.

Ctrl-C stops everything this started.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from .config import build_config

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _flask(*args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, check=True)


def main() -> int:
    config = build_config(str(ROOT / "instance"))
    port = config["PORT"]
    print("→ Migrating the database …", flush=True)
    _flask("db", "upgrade")
    print(f"\n✔ Serving on http://127.0.0.1:{port}  (API under /api/v1, docs at /api/openapi.json)")
    print(
        "  Create a platform admin: .venv/bin/flask --app wsgi users create-admin "
        "--email you@example.vn --password-stdin"
    )
    print("  Stop with Ctrl-C.\n", flush=True)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT
    )
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.send_signal(signal.SIGINT)
        return server.wait()


if __name__ == "__main__":
    sys.exit(main())
