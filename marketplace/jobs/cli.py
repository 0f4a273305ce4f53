"""`flask jobs worker`: the job worker (periodic sweeps, reports) and the notification relay."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from ..notifications.delivery import NotificationRelay
from .queue import job_queue

# A plain group: the worker runs for hours, each job opens its own units of work.
jobs_cli = AppGroup("jobs", help="The job worker: periodic jobs, notifications, reports.")


@jobs_cli.command("worker")
@click.option(
    "--threads", type=click.IntRange(1, 32), default=2, show_default=True, help="Job threads."
)
def worker_command(threads: int) -> None:
    """Run jobs until Ctrl-C (finishes the jobs in hand) or SIGTERM (stops at once)."""
    app = current_app._get_current_object()
    logging.getLogger("huey").setLevel(logging.INFO)
    if not logging.getLogger("huey").handlers:
        logging.getLogger("huey").addHandler(logging.getLogger("marketplace").handlers[0])
    queue = job_queue(app)
    where = app.config.get("JOBS_URL") or app.config["JOBS_SQLITE_FILE"]
    click.echo(f"job worker: queue {_redacted(where)}, {threads} thread(s)")
    relay = NotificationRelay(app)
    relay.start()
    # flush_locks: a sweep's lock left by a worker that was killed does not block it for ever.
    consumer = queue.huey.create_consumer(
        workers=threads, worker_type="thread", periodic=True, flush_locks=True
    )
    try:
        consumer.run()
    finally:
        relay.stop()
        click.echo("job worker stopped")


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    return url
