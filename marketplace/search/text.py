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


# A token is a run of letters and digits (after NFC, every Vietnamese letter is one code point).
# Syllables stay whole; there is no stop-word list and no minimum length ("an", "cà", "ổi" count).
TOKEN_PATTERN = r"[^\W_]+"
_TOKEN = re.compile(TOKEN_PATTERN)
# Longer "words" are not words (a pasted URL, a run of digits); they are not indexed.
MAX_TOKEN_LENGTH = 60


def normalize(text: str) -> str:
    """NFC and lower case: the exact (accent-keeping) form that search indexes."""
    return unicodedata.normalize("NFC", text or "").lower()


def tokenize(text: str) -> list[str]:
    """Exact tokens: 'Vải thiều (loại 1)' → ['vải', 'thiều', 'loại', '1']."""
    return [t for t in _TOKEN.findall(normalize(text)) if len(t) <= MAX_TOKEN_LENGTH]


def fold_tokens(text: str) -> list[str]:
    """Folded tokens: 'Vải thiều' → ['vai', 'thieu']."""
    return [fold(token) for token in tokenize(text)]


# The synonym table both backends use: each entry is one set of interchangeable phrases.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("lychee", "vải thiều"),
    ("longan", "nhãn"),
    ("mango", "xoài"),
    ("pomelo", "bưởi"),
    ("rice", "gạo"),
    ("honey", "mật ong"),
    ("coffee", "cà phê"),
)
_FOLDED_SYNONYMS = tuple(tuple(tuple(fold_tokens(p)) for p in group) for group in SYNONYMS)
_EXACT_SYNONYMS = tuple(tuple(tuple(tokenize(p)) for p in group) for group in SYNONYMS)

# Longer queries are cut: nobody types more than this many words into a product search.
MAX_QUERY_TOKENS = 12


def _replace(tokens: list[str], folded: list[str], old: tuple[str, ...], new: tuple[str, ...]):
    n = len(old)
    for start in range(len(folded) - n + 1):
        if tuple(folded[start : start + n]) == old:
            return tokens[:start] + list(new) + tokens[start + n :]
    return None


def query_variants(q: str) -> list[list[str]]:
    """The exact token lists a query stands for: the query itself first, then each synonym
    rewrite ('lychee tươi' → ['lychee', 'tươi'], ['vải', 'thiều', 'tươi']). Matching is on the
    folded forms, so 'vai thieu' also rewrites to 'lychee'."""
    tokens = tokenize(q)[:MAX_QUERY_TOKENS]
    if not tokens:
        return []
    folded = [fold(t) for t in tokens]
    variants = [tokens]
    for folded_group, exact_group in zip(_FOLDED_SYNONYMS, _EXACT_SYNONYMS, strict=True):
        for i, phrase in enumerate(folded_group):
            for j, other in enumerate(exact_group):
                if i == j:
                    continue
                rewritten = _replace(tokens, folded, phrase, other)
                if rewritten is not None and rewritten not in variants:
                    variants.append(rewritten)
    return variants
