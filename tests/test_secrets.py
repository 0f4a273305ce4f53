"""Secrets — passwords, bearer tokens, claim codes — never reach a log line or an error body."""

import logging

from tests.factories import PASSWORD, build_world, household_body


def test_no_password_token_or_claim_code_in_any_log_line(app, api, caplog):
    with caplog.at_level(logging.DEBUG):
        world = build_world(app, api)
        wrong = "sai-mật-khẩu-bí-mật-42"
        r = api.post("/auth/tokens", {"login": "nobody@example.vn", "password": wrong})
        assert r.status_code == 401 and wrong not in r.get_data(as_text=True)
        out = world.coop_admin.api.post(
            f"/coops/{world.coop['id']}/households", {**household_body(), "full_name": "Kín"}
        ).get_json()
        code = out["claim_code"]
        claimed = api.post("/auth/claim", {"code": code, "password": PASSWORD}).get_json()
        token = claimed["token"]
        assert api.get("/me", token=token).status_code == 200
        assert api.get("/me", token=token + "x").status_code == 401
        assert api.delete("/auth/tokens/current", token=token).status_code == 204
    lines = [record.getMessage() for record in caplog.records]
    lines += [str(record.args) for record in caplog.records if record.args]
    logged = "\n".join(lines)
    for secret in (PASSWORD, wrong, code, code.replace("-", ""), token, world.buyer.token):
        assert secret not in logged


def test_error_bodies_never_echo_a_password(api):
    password = "x" * 5  # too short: the error names the field, not the value
    r = api.post("/auth/register", {"email": "a@b.vn", "password": password, "full_name": "A"})
    assert r.status_code == 422
    assert "password" in r.get_json()["error"]["details"]
    assert password not in r.get_data(as_text=True)
