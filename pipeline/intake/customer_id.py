"""The customer's phone number, kept only as a keyed hash.

The number is normalised (digits only; a Russian 8XXXXXXXXXX becomes 7XXXXXXXXXX) and hashed
with HMAC-SHA256 under a secret key kept beside the database (created on first use, mode
0600). Without the key, a hash cannot be turned back into a number by trying every phone
number; with it, the same number always gives the same hash, so a customer's calls can be
found (and erased) by their number.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

KEY_FILE = "customer.key"


def normalise_number(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    if len(digits) < 5:
        raise ValueError(f"not a phone number: {number!r}")
    return digits


def load_key(folder: str | os.PathLike, name: str = KEY_FILE) -> bytes:
    """The installation's secret key ``name`` (created once, readable by its owner only)."""
    path = Path(folder) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker created it meanwhile
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())


def customer_hash(number: str, key: bytes) -> str:
    return hmac.new(key, normalise_number(number).encode(), hashlib.sha256).hexdigest()[:32]
