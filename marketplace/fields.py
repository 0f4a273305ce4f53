"""Marshmallow fields shared by every feature's schemas."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate

from .phones import InvalidPhone, normalise_phone

# An integer written in text: an optional minus and 1 to 19 ASCII digits.
ASCII_INTEGER = re.compile(r"-?[0-9]{1,19}")

NAME_MAX = 200
DESCRIPTION_MAX = 5000
REASON_MAX = 1000


class Day(fields.Date):
    """A calendar date written exactly YYYY-MM-DD (not '20260701', not '2026-7-1')."""

    _SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not self._SHAPE.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictInteger(fields.Integer):
    """An integer that refuses floats (1.5 and 1.0), strings ("5") and booleans in JSON bodies.

    In query strings every value is text, so pass ``from_text=True`` there.
    """

    def __init__(self, *, from_text: bool = False, **kwargs):
        super().__init__(strict=not from_text, **kwargs)
        self.from_text = from_text

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        # Text: ASCII digits only (str.isdigit() also takes "²" and "٣"), at most 19 of them.
        if self.from_text and isinstance(value, str) and not ASCII_INTEGER.fullmatch(value.strip()):
            raise self.make_error("invalid")
        value = super()._validated(value)
        if value is not None and not -(2**63) <= value < 2**63:
            raise ValidationError("Must be a 64-bit integer.")
        return value


class Text(fields.String):
    """A string trimmed of surrounding white space; empty after trimming counts as missing."""

    def __init__(self, *, max_length: int = NAME_MAX, required: bool = False, **kwargs):
        validators = list(kwargs.pop("validate", []) or [])
        validators.append(validate.Length(max=max_length))
        super().__init__(required=required, validate=validators, **kwargs)
        self._required_text = required

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        text = text.strip()
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        if not text and self._required_text:
            raise ValidationError("Must not be empty.")
        return text


class Phone(fields.String):
    """A Vietnamese phone number in any common form, loaded as E.164."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_phone(text)
        except InvalidPhone as exc:
            raise ValidationError("Not a Vietnamese phone number.") from exc


def money(**kwargs) -> StrictInteger:
    """Integer VND between 1 and 1,000,000,000."""
    return StrictInteger(validate=validate.Range(min=1, max=1_000_000_000), **kwargs)


def positive_id(**kwargs) -> StrictInteger:
    return StrictInteger(validate=validate.Range(min=1, max=2**31 - 1), **kwargs)
