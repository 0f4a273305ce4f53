"""HTML forms are validated by the API's own marshmallow schemas, so a rule is written once.

A form posts text; ``form_data`` turns it into what the schema expects from JSON (integers,
lists, None for a cleared optional field), and ``load_form`` returns the data or field errors.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, fields
from marshmallow import ValidationError as SchemaError
from werkzeug.datastructures import MultiDict

from ..errors import ValidationError
from ..fields import StrictInteger

# ASCII digits only: "²" and "٣" are not numbers here (str.isdigit() and \d would take them).
_INTEGER = re.compile(r"-?[0-9]{1,18}")
# "45.000" and "1.250.000" as Vietnamese write prices.
_GROUPED = re.compile(r"[0-9]{1,3}(?:[. ][0-9]{3})+")


def _to_integer(text: str) -> Any:
    compact = text.strip()
    if _GROUPED.fullmatch(compact):
        compact = re.sub(r"[. ]", "", compact)
    return int(compact) if _INTEGER.fullmatch(compact) else compact


def ascii_int(value: Any, max_digits: int = 9) -> int | None:
    """A non-negative integer written with ASCII digits (at most ``max_digits``), else None:
    ``str.isdigit()`` also accepts "²" (which int() then refuses) and "٣" (which it reads as 3)."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > max_digits:
        return None
    return int(text)


def form_data(schema: Schema, form: MultiDict, *, blank_is_none: bool = False) -> dict[str, Any]:
    """The schema's fields out of ``form``. A blank field is left out, unless ``blank_is_none``
    (an edit form, where blank means "clear it")."""
    data: dict[str, Any] = {}
    for name, field in schema.fields.items():
        if field.dump_only or name not in form:
            continue
        if isinstance(field, fields.List):
            lines = [line.strip() for line in form.get(name, "").splitlines()]
            data[name] = [line for line in lines if line]
            continue
        text = form.get(name, "")
        if not text.strip():
            if blank_is_none:
                # An edit form: clearing an optional value sets it to None; clearing a
                # required one is sent as is so that the schema says it must not be empty.
                data[name] = None if field.allow_none else text
            continue
        data[name] = _to_integer(text) if isinstance(field, StrictInteger) else text
    return data


def load_form(
    schema: Schema, form: MultiDict, *, blank_is_none: bool = False
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """(data, {}) when the form is valid, else (None, field → messages)."""
    try:
        return schema.load(form_data(schema, form, blank_is_none=blank_is_none)), {}
    except SchemaError as exc:
        return None, _messages(exc.messages)


def service_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Field errors of a service's 422, in the same shape as a schema's."""
    return _messages(exc.details) if isinstance(exc.details, dict) else {}


def _messages(messages: Any) -> dict[str, list[str]]:
    if not isinstance(messages, dict):
        return {"_schema": [str(messages)]}
    flat: dict[str, list[str]] = {}
    for name, value in messages.items():
        if isinstance(value, dict):  # a list field: {index: [messages]}
            flat[name] = [
                m for sub in value.values() for m in (sub if isinstance(sub, list) else [sub])
            ]
        else:
            flat[name] = [str(m) for m in value] if isinstance(value, list) else [str(value)]
    return flat
