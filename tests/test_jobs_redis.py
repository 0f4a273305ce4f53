"""The job queue on a real Redis (JOBS_URL=redis://…): a report asked for over the API is carried
by Redis to `flask jobs worker`, and the worker's periodic ship-by sweep, scheduled through the
same Redis queue, reaches a household by e-mail and SMS.

Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379/15); skipped when it is unreachable,
except in CI (CI=true), where that fails like PostgreSQL does. Each test has its own queue name
(its keys are huey.*.<name>) and deletes its keys afterwards, so parallel runs do not collide."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications import events
from marketplace.notifications.models import Notification
from tests.conftest import IN_CI
from tests.orders_helpers import build_shop, order_body
from tests.worker_helpers import stop, wait_for

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_queue() -> Iterator[tuple[str, str, redis.Redis]]:
    """(JOBS_URL, a queue name of this test's own, a Redis client); the queue's keys are
    deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        client.close()
        if IN_CI:
            raise RuntimeError(
                f"Redis is required in CI and unreachable at {REDIS_URL}: {exc}"
            ) from exc
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    name = f"mptest_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    try:
        yield REDIS_URL, name, client
    finally:
        keys = list(client.scan_iter(match=f"huey.*{name}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def app_config(app_config, redis_queue, smtp_server, gateway):
    url, name, _ = redis_queue
    return {
        **app_config,
        "JOBS_URL": url,
        "JOBS_QUEUE_NAME": name,
        "SMTP_URL": smtp_server[0],
        "SMS_API_URL": f"{gateway.url}/sms",
        "SMS_API_KEY": "k",
    }


def start_worker(app) -> subprocess.Popen:
    config = app.config
    env = {
        **os.environ,
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": config["SEARCH_INDEX_DIR"],
        "MEDIA_DIR": config["MEDIA_DIR"],
        "JOBS_URL": config["JOBS_URL"],
        "JOBS_QUEUE_NAME": config["JOBS_QUEUE_NAME"],
        "SMTP_URL": config["SMTP_URL"],
        "SMS_API_URL": config["SMS_API_URL"],
        "SMS_API_KEY": config["SMS_API_KEY"],
        "MARKETPLACE_ENV": "development",
        "SECRET_KEY": "test",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("ZALO_ZNS_URL", "STRIPE_SECRET_KEY"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_worker_on_redis_builds_the_report_and_sends_the_reminder(
    app, api, redis_queue, smtp_server, gateway
):
    _, name, client = redis_queue
    shop = build_shop(app, api)
    w = shop.world
    app.config["SHIP_WITHIN_HOURS"] = 3  # due for its reminder as soon as it is placed
    order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 2)])).get_json()
    report = w.coop_admin.api.post(
        f"/coops/{w.coop['id']}/reports",
        {"kind": "sales_by_household", "from": "2026-06-01", "to": "2026-06-30", "format": "csv"},
    ).get_json()
    # The report's job waits in this test's own Redis list; nothing has sent the reminder yet.
    assert client.llen(f"huey.redis.{name}") == 1
    assert w.coop_admin.api.get(f"/reports/{report['id']}").get_json()["status"] == "queued"
    with app.app_context():
        assert (
            db.session.scalars(
                select(Notification).where(Notification.event == events.SHIP_BY_SOON)
            ).all()
            == []
        )

    mailbox = smtp_server[1]
    household_mail = shop.household.user["email"]

    def reminded() -> list:
        return [m for m in mailbox.to(household_mail) if order["number"] in m["Subject"]]

    worker = start_worker(app)
    try:
        assert wait_for_long(
            lambda: w.coop_admin.api.get(f"/reports/{report['id']}").get_json()["status"] == "done"
        )
        # The new order's e-mail, then the reminder the periodic sweep wrote: both sent.
        assert wait_for_long(lambda: len(reminded()) == 2), [m["Subject"] for m in mailbox.messages]
        time.sleep(1)  # room for a duplicate to show
    finally:
        output = stop(worker)
    assert worker.returncode == 0, output
    assert f"queue {redis_queue[0]}" in output and "job worker stopped" in output
    ship_by = dt.datetime.fromisoformat(order["seller_orders"][0]["ship_by"])
    assert sorted(m["Subject"] for m in reminded()) == sorted(
        [
            f"Đơn hàng mới {order['number']}",
            f"Đơn {order['number']} cần gửi trước {events.format_time(ship_by, 'vi')}",
        ]
    )
    sms = [r["json"]["text"] for r in gateway.sent("/sms")]
    assert len([t for t in sms if order["number"] in t and "4 giờ" in t]) == 1, sms
    assert w.coop_admin.api.get(f"/reports/{report['id']}/file").status_code == 200
    # The queue was Redis, and it is drained.
    assert client.llen(f"huey.redis.{name}") == 0


def wait_for_long(condition) -> bool:
    """A Redis worker starts and schedules its periodic jobs more slowly."""
    return wait_for(condition, timeout=45)
