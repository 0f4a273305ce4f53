"""Vietnamese administrative divisions after the July 2025 reform (34 provinces, wards/communes).

Codes are the integers of the `vietnam-provinces` package (Thành phố Hải Phòng = 31, Xã Thanh Hà = 10813).
"""

from __future__ import annotations

from functools import cache

from vietnam_provinces import Province, Ward


@cache
def _provinces() -> dict[int, str]:
    return {int(p.code): p.name for p in Province.iter_all()}


@cache
def _wards() -> dict[int, tuple[str, int]]:
    return {int(w.code): (w.name, int(w.province_code)) for w in Ward.iter_all()}


def province_name(code: int | None) -> str | None:
    return _provinces().get(code) if code is not None else None


def ward_name(code: int | None) -> str | None:
    ward = _wards().get(code) if code is not None else None
    return ward[0] if ward else None


def is_province(code: int) -> bool:
    return code in _provinces()


def ward_province(code: int) -> int | None:
    """The province a ward belongs to, or None when the ward code is unknown."""
    ward = _wards().get(code)
    return ward[1] if ward else None


def all_provinces() -> list[tuple[int, str]]:
    return sorted(_provinces().items())


def wards_of(province_code: int) -> list[tuple[int, str]]:
    return sorted((code, name) for code, (name, p) in _wards().items() if p == province_code)


def check_place(province_code: int, ward_code: int | None) -> dict[str, list[str]]:
    """Field errors for a province/ward pair (empty when valid)."""
    errors: dict[str, list[str]] = {}
    if not is_province(province_code):
        errors["province_code"] = [
            f"{province_code} is not a province code (34 provinces since 2025)."
        ]
        return errors
    if ward_code is not None:
        owner = ward_province(ward_code)
        if owner is None:
            errors["ward_code"] = [f"{ward_code} is not a ward code."]
        elif owner != province_code:
            errors["ward_code"] = [
                f"Ward {ward_code} ({ward_name(ward_code)}) is not in province {province_code}."
            ]
    return errors
