"""/api/openapi.json documents every route, its errors in the one shape, and bearer security."""

import re


def _operations(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    return spec, spec["paths"]


def test_every_route_is_documented(app):
    spec, paths = _operations(app)
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.rule in ("/api/openapi.json",) or rule.endpoint == "static":
            continue
        if rule.endpoint.startswith("web."):
            continue  # pages for people, not API operations (walked by tests/test_web_walk.py)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []


def test_every_operation_documents_errors_in_the_error_shape(app):
    spec, paths = _operations(app)
    assert "Error" in spec["components"]["schemas"]
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {"error"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path == "/healthz" or method not in ("get", "post", "patch", "put", "delete"):
                continue
            errors = [
                code
                for code in operation["responses"]
                if code.startswith(("4", "5")) or code == "default"
            ]
            assert errors, f"{method.upper()} {path} documents no error response"


def test_login_required_operations_declare_bearer_security(app):
    spec, paths = _operations(app)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert paths["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in paths["/api/v1/coops"]["get"]
