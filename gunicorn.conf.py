"""gunicorn settings for this 2-core machine (see bench/README.md for the measurements)."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# Threads overlap database and payment-provider waits; workers use both cores.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = "-"
errorlog = "-"
max_requests = 10000
max_requests_jitter = 500
