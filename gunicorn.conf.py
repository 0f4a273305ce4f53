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
# Request lines up to gunicorn's maximum reach the app, which answers a URL over 4 KiB with a 414
# in the API's error shape (gunicorn's own 414, for lines beyond this, is an HTML page).
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
max_requests = 10000
max_requests_jitter = 500
