"""The claim codes of households created by `flask seed`, kept in a file only its owner can read.

The codes are secrets (whoever holds one sets the household's password): they are never printed
or logged, only written here, with file mode 0600, for the co-op to hand out.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from .loader import ClaimCode

COLUMNS = ("household_code", "display_name", "phone", "claim_code", "expires_at")


def write_claim_codes(path: str | Path, codes: Iterable[ClaimCode]) -> int:
    """Merge ``codes`` into the file (a household's newer code replaces its older one)."""
    path = Path(path)
    rows: dict[str, dict[str, str]] = {}
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as handle:
            rows = {row["household_code"]: row for row in csv.DictReader(handle)}
    for code in codes:
        rows[code.household_code] = {
            "household_code": code.household_code,
            "display_name": code.display_name,
            "phone": code.phone,
            "claim_code": code.claim_code,
            "expires_at": code.expires_at.isoformat(),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    # Created 0600 from the start: the codes are never readable by others, not even briefly.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows[key] for key in sorted(rows))
    os.replace(temporary, path)
    return len(rows)
