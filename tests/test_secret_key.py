"""One SECRET_KEY per deployment: in development it is generated once into the instance folder and
every process (each gunicorn worker) reads the same one, so a session made by one worker is valid
on the others; production still requires the variable."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.config import ConfigError, build_config
from tests.factories import PASSWORD, build_world
from tests.web import Browser

ROOT = Path(__file__).resolve().parent.parent


def test_two_apps_of_one_instance_folder_share_the_key_and_the_sessions(
    app, api, app_config, tmp_path
):
    world = build_world(app, api)
    settings = {k: v for k, v in app_config.items() if k != "SECRET_KEY"}
    instance = tmp_path / "instance"
    first = create_app(settings, instance_path=str(instance))
    second = create_app(settings, instance_path=str(instance))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    page = Browser(first.test_client())
    r = page.post("/login", {"login": world.buyer.user["email"], "password": PASSWORD})
    assert r.status_code == 302
    form_token = page.csrf_token("/")  # a form served by the first worker
    other_worker = Browser(second.test_client())
    other_worker.client.set_cookie("session", page.client.get_cookie("session").value)
    assert other_worker.get("/orders").status_code == 200
    # The CSRF token one worker put in a form is accepted by the other.
    r = other_worker.post("/logout", {"csrf_token": form_token}, csrf=False)
    assert r.status_code == 302

    elsewhere = create_app(settings, instance_path=str(tmp_path / "other-instance"))
    assert elsewhere.config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_workers_starting_together_agree_on_one_key(tmp_path):
    code = (
        "import sys; from pathlib import Path; from marketplace.config import build_config;"
        "print(build_config(sys.argv[1], {})['SECRET_KEY'])"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    keys = {w.communicate(timeout=60)[0].strip() for w in workers}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]


def test_production_still_requires_the_variable(tmp_path):
    with pytest.raises(ConfigError):
        build_config(str(tmp_path), {"MARKETPLACE_ENV": "production"})
    assert not (tmp_path / "secret_key").exists()
    config = build_config(str(tmp_path), {"MARKETPLACE_ENV": "production", "SECRET_KEY": "k" * 40})
    assert config["SECRET_KEY"] == "k" * 40
