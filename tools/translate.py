"""`make translations`: extract the pages' messages, merge the Vietnamese of tools/vi_messages.py,
write translations/vi/LC_MESSAGES/messages.po and compile messages.mo (both committed).

Exits 1 and lists them when a message has no Vietnamese yet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from vi_messages import VI  # noqa: E402

TRANSLATIONS = ROOT / "marketplace" / "web" / "translations" / "vi" / "LC_MESSAGES"


def main() -> int:
    pot = ROOT / "build" / "messages.pot"
    pot.parent.mkdir(exist_ok=True)
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "--project=marketplace",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        catalog = read_po(f, locale="vi")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = tuple(message.id) if isinstance(message.id, list | tuple) else message.id
        if key not in VI:
            missing.append(key)
            continue
        message.string = VI[key]
    catalog.fuzzy = False
    TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    with (TRANSLATIONS / "messages.po").open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False)
    with (TRANSLATIONS / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    if missing:
        print("No Vietnamese yet for:", *missing, sep="\n  ")
        return 1
    print(f"{len(catalog)} messages translated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
