"""Vietnamese phone numbers, stored as E.164 (+84…)."""

from __future__ import annotations

import functools

import phonenumbers


class InvalidPhone(ValueError):
    pass


@functools.lru_cache(maxsize=4096)  # parsing costs ~0.3 ms; checkout and login parse every time
def normalise_phone(raw: str) -> str:
    """'0912 345 678', '+84 912 345 678', '84912345678' and '(091) 234-5678' → '+84912345678'."""
    text = (raw or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits or len(text) > 32:
        raise InvalidPhone("not a Vietnamese phone number")
    # '84912345678' without '+' is the international form written without the plus sign.
    if not text.startswith(("+", "0")) and digits.startswith("84") and len(digits) >= 11:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("not a Vietnamese phone number") from exc
    # An extension ('… ext 12') cannot receive an SMS or a delivery call: refuse rather than drop it.
    if number.extension or number.country_code != 84 or not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a Vietnamese phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(login: str) -> bool:
    return "@" not in login and any(ch.isdigit() for ch in login)
