"""The job worker: `flask jobs worker` catches up on what was written while it was down and sends
each notification once even when two workers run; periodic sweeps run twice at once do no harm."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import StockMovement
from marketplace.extensions import db
from marketplace.jobs.queue import job_queue
from marketplace.jobs.tasks import PERIODIC
from marketplace.notifications import events
from marketplace.notifications.models import Notification
from tests.orders_helpers import build_shop, order_body, stock_of
from tests.payments_fixtures import CARD_3DS
from tests.test_orders_expiry import make_overdue, status_of
from tests.worker_helpers import stop, wait_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_config(app_config, gateway, stripe_config):
    return {
        **app_config,
        **stripe_config,
        "SMS_API_URL": f"{gateway.url}/sms",
        "SMS_API_KEY": "k",
    }


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def start_worker(app, tmp_path, gateway) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        "SMS_API_URL": f"{gateway.url}/sms",
        "SMS_API_KEY": "k",
        "MARKETPLACE_ENV": "development",
        "SECRET_KEY": "test",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("SMTP_URL", "ZALO_ZNS_URL", "STRIPE_SECRET_KEY"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--threads", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def sms_statuses(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.status).where(
                    Notification.channel == "sms", Notification.event == events.SELLER_ORDER_NEW
                )
            )
        )


def test_orders_placed_while_the_worker_is_down_are_sent_once_when_workers_start(
    app, shop, gateway, tmp_path
):
    numbers = []
    for quantity in (1, 2, 3):
        order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], quantity)]))
        numbers.append(order.get_json()["number"])
    time.sleep(1.5)
    assert gateway.sent("/sms") == []  # no worker yet: nothing sent, nothing lost
    assert sms_statuses(app) == ["queued"] * 3

    # Two workers start at once and race for the same outbox.
    workers = [start_worker(app, tmp_path, gateway) for _ in range(2)]
    try:
        assert wait_for(lambda: sms_statuses(app) == ["sent"] * 3), gateway.requests
        time.sleep(2)  # give a duplicate every chance to arrive
    finally:
        outputs = [stop(worker) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    texts = sorted(r["json"]["text"] for r in gateway.sent("/sms"))
    order_sms = [t for t in texts if "đơn hàng mới" in t]
    assert len(order_sms) == 3, texts
    assert all(any(number in t for t in order_sms) for number in numbers)
    assert all("job worker stopped" in output for output in outputs)

    # Stopped, an order comes in; started again, the worker catches up with it alone.
    late = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 4)])).get_json()
    worker = start_worker(app, tmp_path, gateway)
    try:
        assert wait_for(lambda: sms_statuses(app) == ["sent"] * 4)
    finally:
        stop(worker)
    order_sms = [r for r in gateway.sent("/sms") if "đơn hàng mới" in r["json"]["text"]]
    assert len(order_sms) == 4
    assert late["number"] in order_sms[-1]["json"]["text"]


def run_twice_at_once(app, name: str) -> list:
    queue = job_queue(app)
    results: list = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(queue.run_periodic(name))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_workers_expiring_reservations_at_once_release_stock_once(app, shop):
    orders = []
    for product in (shop.lychee, shop.lychee, shop.rice, shop.rice):
        body = order_body([(product["id"], 5)], "card", CARD_3DS)
        r = shop.buyer.api.post("/orders", body)
        assert r.status_code == 201, r.get_json()
        orders.append(r.get_json())
    assert (stock_of(app, shop.lychee["id"]), stock_of(app, shop.rice["id"])) == (90, 40)
    for order in orders:
        make_overdue(app, order["id"])
    results = run_twice_at_once(app, "expire_reservations")
    assert sorted(r or 0 for r in results) == [0, 4]
    assert (stock_of(app, shop.lychee["id"]), stock_of(app, shop.rice["id"])) == (100, 50)
    assert {status_of(app, order["id"]) for order in orders} == {"expired"}
    with app.app_context():
        releases = db.session.scalar(
            select(func.count()).where(
                StockMovement.order_id.in_([order["id"] for order in orders]),
                StockMovement.delta > 0,
            )
        )
    assert releases == 4
    assert [r or 0 for r in run_twice_at_once(app, "expire_reservations")] == [0, 0]


def test_two_workers_delivering_at_once_send_each_notification_once(app, shop, gateway):
    for quantity in (1, 2, 3, 4, 5):
        shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], quantity)]))
    with app.app_context():
        queued = db.session.scalar(select(func.count()).where(Notification.channel == "sms"))
    run_twice_at_once(app, "deliver_notifications")
    assert len(gateway.sent("/sms")) == queued
    assert len({(r["json"]["to"], r["json"]["text"]) for r in gateway.sent("/sms")}) == queued
    run_twice_at_once(app, "deliver_notifications")
    assert len(gateway.sent("/sms")) == queued


def test_every_periodic_sweep_runs_twice_without_harm(app, shop):
    names = [job.name for job in PERIODIC]
    assert {
        "expire_reservations",
        "deliver_notifications",
        "forget_idempotency_keys",
        "check_search_index",
    } <= set(names)
    for name in names:
        first = job_queue(app).run_periodic(name)
        second = job_queue(app).run_periodic(name)
        if name == "check_search_index":
            assert first is True and second is True  # the index is in step
        elif isinstance(first, int):
            assert second == 0, name
