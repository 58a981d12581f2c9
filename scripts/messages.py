"""``make messages``: merges the strings marked in the code into the Russian catalogue, then lists
what still needs a translation (reporting/i18n/locale/ru/LC_MESSAGES/callqa.po)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reporting.i18n import catalogue  # noqa: E402 - after the sys.path line above


def main() -> int:
    catalogue.update("ru")
    missing = catalogue.untranslated("ru")
    for message in missing:
        print(f"untranslated: {message}")
    print(f"{len(missing)} string(s) to translate in reporting/i18n/locale/ru/LC_MESSAGES/callqa.po")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
