"""Every error has one JSON shape — never an HTML page, never a stack trace."""

import logging

import pytest

from tests.factories import PASSWORD, new_user

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def error_of(response, status, code):
    assert response.status_code == status, (response.status_code, response.data[:300])
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    return body["error"]


def test_malformed_json_is_400(api):
    r = api.client.post(
        "/api/v1/auth/register", data='{"email": "a@b.vn",', content_type="application/json"
    )
    error_of(r, 400, "bad_request")


def test_missing_body_and_wrong_content_type_are_400(api):
    error_of(api.client.post("/api/v1/auth/register"), 400, "bad_request")
    r = api.client.post(
        "/api/v1/auth/register",
        data="email=a@b.vn",
        content_type="application/x-www-form-urlencoded",
    )
    error_of(r, 400, "bad_request")


def test_invalid_utf8_is_400(api):
    r = api.client.post(
        "/api/v1/auth/register", data=b'{"full_name": "\xff\xfe"}', content_type="application/json"
    )
    error_of(r, 400, "bad_request")


@pytest.mark.parametrize("body", [[1, 2], "chuỗi", 42, None])
def test_json_that_is_not_an_object_is_422(api, body):
    import json

    r = api.client.post(
        "/api/v1/auth/register", data=json.dumps(body), content_type="application/json"
    )
    assert r.status_code in (400, 422)
    error_of(r, r.status_code, "bad_request" if r.status_code == 400 else "validation_error")


def test_deeply_nested_json_is_refused_cleanly(api):
    body = "[" * 50_000 + "]" * 50_000
    r = api.client.post("/api/v1/auth/register", data=body, content_type="application/json")
    assert r.status_code in (400, 422)


def test_body_over_one_mebibyte_is_413(api):
    r = api.post(
        "/auth/register",
        {"email": "a@b.vn", "password": PASSWORD, "full_name": "x" * (1024 * 1024)},
    )
    error_of(r, 413, "payload_too_large")


def test_long_field_under_the_body_limit_is_422(api):
    r = api.post(
        "/auth/register", {"email": "a@b.vn", "password": PASSWORD, "full_name": "ư" * 100_000}
    )
    error = error_of(r, 422, "validation_error")
    assert "full_name" in error["details"]


def test_unknown_url_and_wrong_method(api):
    error_of(api.get("/khong-co-dau"), 404, "not_found")
    error_of(api.client.get("/khong-co"), 404, "not_found")
    r = api.client.put("/api/v1/coops")
    error_of(r, 405, "method_not_allowed")
    assert "GET" in r.headers["Allow"]


def test_validation_details_are_field_to_messages(api):
    error = error_of(
        api.post("/auth/register", {"email": 5, "password": PASSWORD}), 422, "validation_error"
    )
    assert isinstance(error["details"]["email"], list) and isinstance(
        error["details"]["full_name"], list
    )


def test_query_parameters_of_the_wrong_type_are_422(api):
    error = error_of(api.get("/coops?per_page=500"), 422, "validation_error")
    assert "per_page" in error["details"]
    error_of(api.get("/coops?page=một"), 422, "validation_error")


def test_unhandled_exception_is_500_with_request_id_and_no_stack_trace(app, caplog):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    with caplog.at_level(logging.ERROR, logger="marketplace"):
        r = app.test_client().get("/boom", headers={"X-Request-ID": "req-123"})
    error = error_of(r, 500, "internal_error")
    assert error["details"] == {"request_id": "req-123"}
    assert r.headers["X-Request-ID"] == "req-123"
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "hunter2" not in text and "RuntimeError" not in text
    assert any("req-123" in rec.getMessage() for rec in caplog.records)


def test_security_headers_and_request_id_on_success(api):
    r = api.get("/coops")
    for name, value in SECURITY_HEADERS.items():
        assert r.headers[name] == value
    assert len(r.headers["X-Request-ID"]) >= 16


def test_injection_strings_are_just_text(api):
    nasty = "Robert'); DROP TABLE users;-- <script>alert(1)</script> ${7*7} {{7*7}}"
    user = new_user(api, full_name=nasty)
    assert user.api.get("/me").get_json()["full_name"] == nasty
    assert api.get("/coops?page=1%27%20OR%201=1").status_code == 422


def test_healthz(api):
    r = api.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok", "search": "ok"}


def test_patch_without_a_body_is_400(app, api):
    from tests.factories import build_world

    world = build_world(app, api)
    r = world.household.api.patch(f"/sellers/{world.household.seller['id']}")
    error_of(r, 400, "bad_request")
