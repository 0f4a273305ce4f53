"""Vietnamese text folding: the one ``fold()`` used by search, slugs and duplicate checks."""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """NFC first (keyboards send both forms), lower case, đ → d, and every diacritic dropped.

    'Vải thiều' → 'vai thieu', 'ĐÀO' → 'dao'.
    """
    text = unicodedata.normalize("NFC", text or "").lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str, max_length: int = 100) -> str:
    """An ASCII slug: 'Hợp tác xã Vải thiều Thanh Hà' → 'hop-tac-xa-vai-thieu-thanh-ha'."""
    return _NON_SLUG.sub("-", fold(text)).strip("-")[:max_length].strip("-")
