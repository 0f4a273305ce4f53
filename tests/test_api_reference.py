"""`make api-docs` writes docs/api.md from the OpenAPI document: every operation the app serves
is in it, with its auth, its body fields and its error codes.

The generated text is not compared with the committed docs/api.md: other branches add routes and
the file is regenerated after merging."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def reference(tmp_path) -> str:
    output = tmp_path / "api.md"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "api_reference.py"), "--output", str(output)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return output.read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, str]:
    """Operation heading (`### \\`GET /path\\``) → the text up to the next heading."""
    sections: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("#"):
            current = line.removeprefix("### ").strip("`") if line.startswith("### `") else None
            if current:
                sections[current] = ""
        elif current:
            sections[current] += line + "\n"
    return sections


def test_every_operation_of_the_openapi_document_has_a_section(app, reference):
    spec = app.test_client().get("/api/openapi.json").get_json()
    sections = _sections(reference)
    expected = {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }
    assert len(expected) > 40
    assert expected - set(sections) == set()
    for path in spec["paths"]:
        assert f" {path}`" in reference, path


def test_an_operation_shows_its_auth_body_fields_and_error_codes(reference):
    sections = _sections(reference)

    checkout = sections["POST /api/v1/orders"]
    assert "Auth: **bearer token**." in checkout
    assert "| `Idempotency-Key` | header | string | no |" in checkout
    assert "| `items[].quantity` | integer | yes | ≥ 1; ≤ 1000000 |" in checkout
    assert "| `payment_method` | string | yes | one of `card`, `cod`, `bank_transfer` |" in checkout
    assert "| 201 | Created | [Order](#schema-order) |" in checkout
    assert "`insufficient_stock`" in checkout and "`payment_declined`" in checkout

    assert "Auth: **public**." in sections["GET /api/v1/products"]
    assert '<a id="schema-order"></a>' in reference
