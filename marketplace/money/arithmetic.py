"""Integer VND arithmetic: every rule that divides rounds half up, in integers (no floats)."""

from __future__ import annotations


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (away from zero for halves), exactly."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    return sign * (quotient + (1 if 2 * remainder >= denominator else 0))


def commission_of(subtotal_vnd: int, commission_bps: int) -> int:
    """The platform's commission on a seller order: round_half_up(subtotal × bps / 10000)."""
    return round_half_up(subtotal_vnd * commission_bps, 10_000)
