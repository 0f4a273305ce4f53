"""The job queue: Huey, on an SQLite file under instance/ by default (no server to run) or on
Redis when JOBS_URL is set (several hosts share one queue). See docs/jobs.md for the choice.

Each app has its own queue object (built on first use); its tasks run inside an app context of
the worker's app, one unit of work per item as the code they call decides.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.exceptions import TaskLockedException

log = logging.getLogger("marketplace.jobs")
EXTENSION = "marketplace.jobs"


class JobQueue:
    def __init__(self, app: Flask):
        self.app = app
        self._huey: Huey | None = None
        self._tasks: dict[str, Any] = {}
        self._periodic: dict[str, Callable[[], Any]] = {}
        self._lock = threading.Lock()

    @property
    def huey(self) -> Huey:
        with self._lock:
            if self._huey is None:
                self._huey = self._build()
        return self._huey

    def _build(self) -> Huey:
        from .tasks import PERIODIC, TASKS  # the tasks import the features, which import us

        url = self.app.config.get("JOBS_URL")
        name = self.app.config.get("JOBS_QUEUE_NAME") or "marketplace"
        if url:
            huey = RedisHuey(name, url=url)
        else:
            path = Path(self.app.config["JOBS_SQLITE_FILE"])
            path.parent.mkdir(parents=True, exist_ok=True)
            huey = SqliteHuey(name, filename=str(path))
        for name, func in TASKS.items():
            self._tasks[name] = huey.task(name=name)(self._in_app(func))
        for job in PERIODIC:
            run = self._in_app(self._alone(huey, job.name, job.run))
            self._periodic[job.name] = run
            huey.periodic_task(job.schedule, name=job.name)(run)
        return huey

    @staticmethod
    def _alone(huey: Huey, name: str, func: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``func`` under the queue-wide lock ``name``; skipped while another worker holds it."""

        @functools.wraps(func)
        def run():
            try:
                with huey.lock_task(name):
                    return func()
            except TaskLockedException:
                log.info("%s is running in another worker; skipped", name)
                return None

        return run

    def run_periodic(self, name: str) -> Any:
        """Run one periodic job now, in this thread, as the worker would (tests, ops)."""
        _ = self.huey
        return self._periodic[name]()

    def _in_app(self, func: Callable[..., Any]) -> Callable[..., Any]:
        app = self.app

        @functools.wraps(func)
        def run(*args, **kwargs):
            with app.app_context():
                return func(*args, **kwargs)

        return run

    def enqueue(self, name: str, *args: Any) -> bool:
        """Put a job on the queue; False (logged) when the queue cannot be reached: the periodic
        sweeps pick up what a lost message would have done."""
        try:
            _ = self.huey  # builds the queue and registers the tasks on first use
            self._tasks[name](*args)
        except Exception:  # noqa: BLE001 - a queue outage must not fail the request
            log.exception("could not enqueue job %s", name)
            return False
        return True


def job_queue(app: Flask | None = None) -> JobQueue:
    app = app or current_app._get_current_object()
    queue = app.extensions.get(EXTENSION)
    if queue is None:
        queue = app.extensions[EXTENSION] = JobQueue(app)
    return queue


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = JobQueue(app)
