"""`make api-docs`: write docs/api.md, the API reference, from the app's OpenAPI document.

The document is the one the app serves at /api/openapi.json (built without a database). One
section per tag, one entry per operation: method and path, summary, auth, parameters, request body
fields with their constraints, responses with their status codes and the error codes the app uses
for each status; then every schema a response names.

    .venv/bin/python tools/api_reference.py [--output docs/api.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from http import HTTPStatus
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "api.md"
METHODS = ("get", "post", "put", "patch", "delete")
MAX_DEPTH = 4  # request bodies are expanded inline down to this nesting depth


def build_spec() -> dict[str, Any]:
    """The OpenAPI document of an app configured for testing (no database is opened), whatever
    the environment says: the document does not depend on the configuration."""
    sys.path.insert(0, str(ROOT))
    os.environ["MARKETPLACE_ENV"] = "testing"
    os.environ["SEARCH_BACKEND"] = "whoosh"
    from marketplace import create_app

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "api-reference",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "SEARCH_INDEX_DIR": scratch,
            }
        )
        return app.test_client().get("/api/openapi.json").get_json()


def error_codes_by_status() -> dict[int, list[str]]:
    """Every error code the app answers with, grouped by HTTP status (from marketplace.errors)."""
    from marketplace import errors

    found: dict[int, set[str]] = {}
    pending = [errors.AppError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found.setdefault(cls.status, set()).add(cls.code)
    for status, (code, _message) in errors._HTTP_CODES.items():
        found.setdefault(status, set()).add(code)
    return {status: sorted(codes) for status, codes in sorted(found.items())}


# --- rendering helpers ------------------------------------------------------------------------


def _cell(text: Any) -> str:
    """Text that fits in one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: Any) -> str:
    return f"`{_cell(text)}`"


def _phrase(status: str) -> str:
    try:
        return HTTPStatus(int(status)).phrase
    except ValueError:
        return status


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _anchor(schema_name: str) -> str:
    return "schema-" + schema_name.lower()


def _schema_link(name: str) -> str:
    return f"[{name}](#{_anchor(name)})"


def _type(schema: dict[str, Any]) -> str:
    """A short type: `string (date)`, `array of OrderItem`, `Actor or null`..."""
    if "$ref" in schema:
        return _schema_link(_ref_name(schema["$ref"]))
    if "anyOf" in schema or "oneOf" in schema:
        parts = schema.get("anyOf") or schema.get("oneOf")
        kinds = []
        for part in parts:
            if part.get("nullable") and part.get("type") == "object" and "properties" not in part:
                kinds.append("null")
            else:
                kinds.append(_type(part))
        return " or ".join(kinds)
    kind = schema.get("type", "any")
    if kind == "array":
        return "array of " + _type(schema.get("items", {}))
    if "format" in schema:
        kind += f" ({schema['format']})"
    return kind


def _constraints(schema: dict[str, Any]) -> str:
    notes = []
    if "enum" in schema:
        notes.append("one of " + ", ".join(_code(v) for v in schema["enum"]))
    for key, label in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in schema:
            notes.append(f"{label} {schema[key]}")
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
    ):
        if key in schema:
            notes.append(f"{label} {schema[key]}")
    if "pattern" in schema:
        notes.append("pattern " + _code(schema["pattern"]))
    if schema.get("nullable"):
        notes.append("may be null")
    if "default" in schema:
        notes.append("default " + _code(schema["default"]))
    if schema.get("readOnly"):
        notes.append("read-only")
    if schema.get("description"):
        notes.append(_cell(schema["description"]))
    return "; ".join(notes)


class Reference:
    def __init__(self, spec: dict[str, Any], codes: dict[int, list[str]]):
        self.spec = spec
        self.schemas = spec.get("components", {}).get("schemas", {})
        self.responses = spec.get("components", {}).get("responses", {})
        self.codes = codes

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[_ref_name(schema["$ref"])]
        return schema

    # --- fields of an object schema ---

    def field_rows(
        self, schema: dict[str, Any], prefix: str = "", depth: int = 0, seen: tuple = ()
    ) -> list[tuple[str, str, str, str]]:
        """(name, type, required, constraints) rows; nested objects of a request body expanded
        with dotted names (`shipping_address.phone`, `items[].quantity`)."""
        rows = []
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            rows.append(
                (
                    _code(prefix + name),
                    _type(prop),
                    "yes" if name in required else "no",
                    _constraints(prop),
                )
            )
            target, suffix = prop, "."
            if prop.get("type") == "array":
                target, suffix = prop.get("items", {}), "[]."
            ref = target.get("$ref")
            if ref and depth < MAX_DEPTH and ref not in seen:
                nested = self.resolve(target)
                if nested.get("properties"):
                    rows.extend(
                        self.field_rows(nested, prefix + name + suffix, depth + 1, (*seen, ref))
                    )
        return rows

    @staticmethod
    def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return lines

    # --- one operation ---

    def operation(self, path: str, method: str, op: dict[str, Any], shared: list) -> list[str]:
        out = [f"### `{method.upper()} {path}`", ""]
        for key in ("summary", "description"):
            if op.get(key):
                out += [" ".join(op[key].split()), ""]
        auth = "bearer token" if op.get("security", self.spec.get("security")) else "public"
        out += [f"Auth: **{auth}**.", ""]

        parameters = [*shared, *op.get("parameters", [])]
        if parameters:
            rows = []
            for param in parameters:
                schema = param.get("schema", {})
                notes = _constraints(schema)
                if param.get("description"):
                    notes = "; ".join(filter(None, [notes, _cell(param["description"])]))
                rows.append(
                    (
                        _code(param["name"]),
                        param["in"],
                        _type(schema),
                        "yes" if param.get("required") else "no",
                        notes,
                    )
                )
            out += ["Parameters:", ""]
            out += self.table(("name", "in", "type", "required", "constraints"), rows)
            out.append("")

        body = op.get("requestBody")
        if body:
            for media, content in body.get("content", {}).items():
                schema = content.get("schema", {})
                name = _ref_name(schema["$ref"]) if "$ref" in schema else None
                resolved = self.resolve(schema)
                title = f"Request body ({media}"
                title += f", {_schema_link(name)})" if name else ")"
                title += ", required" if body.get("required") else ", optional"
                if resolved.get("additionalProperties") is False:
                    title += "; unknown fields are refused"
                out += [title + ":", ""]
                rows = self.field_rows(resolved)
                if rows:
                    out += self.table(("field", "type", "required", "constraints"), rows)
                else:
                    out.append(f"Any {_type(resolved)} (checked by the endpoint itself).")
                out.append("")

        out += ["Responses:", ""]
        rows = []
        responses = op.get("responses", {})
        for status in sorted(responses, key=lambda s: (s == "default", s)):
            response = responses[status]
            if "$ref" in response:
                response = self.responses[_ref_name(response["$ref"])]
            schema = next(iter(response.get("content", {}).values()), {}).get("schema")
            if status == "default" or status.startswith(("4", "5")):
                meaning = "any other error" if status == "default" else _phrase(status)
                codes = [] if status == "default" else self.codes.get(int(status), [])
                rows.append(
                    (status, meaning, "[Error](#errors)", ", ".join(_code(c) for c in codes))
                )
                continue
            body_text = _type(schema) if schema else ""
            rows.append((status, _phrase(status), body_text, ""))
        out += self.table(("status", "meaning", "body", "error codes of this status"), rows)
        out.append("")
        return out

    # --- schemas named by responses ---

    def used_schemas(self) -> list[str]:
        """Every component schema an operation names, directly or through another schema."""
        found: set[str] = set()
        pending: list[Any] = [self.spec.get("paths", {})]
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                ref = node.get("$ref", "")
                if ref.startswith("#/components/schemas/") and _ref_name(ref) not in found:
                    found.add(_ref_name(ref))
                    pending.append(self.schemas.get(_ref_name(ref), {}))
                pending.extend(node.values())
            elif isinstance(node, list):
                pending.extend(node)
        return sorted(found)

    def schema_section(self) -> list[str]:
        out = [
            '<a id="schemas"></a>',
            "",
            "## Schemas",
            "",
            "Every schema the endpoints above name, in alphabetical order.",
            "",
        ]
        for name in self.used_schemas():
            schema = self.schemas[name]
            out += [f'<a id="{_anchor(name)}"></a>', "", f"### {name}", ""]
            if schema.get("description"):
                out += [" ".join(schema["description"].split()), ""]
            rows = self.field_rows(schema, depth=MAX_DEPTH)  # one level: nested ones are linked
            if rows:
                out += self.table(("field", "type", "required", "notes"), rows)
            else:
                out.append(f"Any {_type(schema)}.")
            out.append("")
        return out

    # --- the whole document ---

    def render(self) -> str:
        info = self.spec.get("info", {})
        out = [
            "# API reference",
            "",
            "<!-- Generated by `make api-docs` (tools/api_reference.py) from the app's OpenAPI"
            " document; do not edit by hand. -->",
            "",
            f"{info.get('title', 'API')} {info.get('version', '')}".strip()
            + (f": {info['description']}" if info.get("description") else ""),
            "",
            "This file is generated by `make api-docs` from the OpenAPI 3 document the app serves at"
            " `/api/openapi.json`; the running app's document is the authority. JSON under"
            " `/api/v1`. **Auth: bearer token** means `Authorization: Bearer <token>` from"
            " `POST /api/v1/auth/tokens`; without it such an endpoint answers 401 before it looks"
            " at the body. **Public** endpoints need no token.",
            "",
            '<a id="errors"></a>',
            "",
            "## Errors",
            "",
            "Every error has one shape:",
            "",
            "```json",
            '{"error": {"code": "validation_error", "message": "Some fields are invalid.",'
            ' "details": {"phone": ["Not a Vietnamese phone number."]}}}',
            "```",
            "",
            "`details` is `null` or, for `validation_error`, `{field: [messages]}`. The codes the app"
            " uses, by status; each endpoint below lists the statuses it can answer with and the"
            " codes of those statuses; not every code of a status applies to every endpoint (for"
            " example `invalid_signature` is only the payment webhook's):",
            "",
        ]
        out += self.table(
            ("status", "codes"),
            [
                (str(status), ", ".join(_code(c) for c in codes))
                for status, codes in self.codes.items()
            ],
        )
        out.append("")

        tags = [tag["name"] for tag in self.spec.get("tags", [])]
        descriptions = {
            tag["name"]: tag.get("description", "") for tag in self.spec.get("tags", [])
        }
        grouped: dict[str, list] = {}
        for path, item in self.spec.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method in METHODS:
                if method in item:
                    tag = (item[method].get("tags") or ["other"])[0]
                    grouped.setdefault(tag, []).append((path, method, item[method], shared))
        order = [t for t in tags if t in grouped] + sorted(t for t in grouped if t not in tags)

        out += ["## Contents", ""]
        for tag in order:
            title = f"{tag}: {descriptions[tag]}" if descriptions.get(tag) else tag
            count = len(grouped[tag])
            out.append(f"- [{title}](#tag-{tag}) ({count} operation{'s' * (count != 1)})")
        out += ["- [Schemas](#schemas)", ""]

        for tag in order:
            title = f"{tag}: {descriptions[tag]}" if descriptions.get(tag) else tag
            out += [f'<a id="tag-{tag}"></a>', "", f"## {title}", ""]
            for path, method, op, shared in grouped[tag]:
                out += self.operation(path, method, op, shared)
        out += self.schema_section()
        return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    text = Reference(build_spec(), error_codes_by_status()).render()
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
