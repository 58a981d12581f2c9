"""What a new local password must be (issue #15): long enough, and not easy to guess.

The guessability check is zxcvbn (Dropbox's estimator, the Python port, dictionaries inside
the wheel: works offline). It knows common passwords ("password", "12345678", "qwerty123"),
keyboard walks, dates, l33t substitutions and dictionary words, and scores 0-4; 3 means it
estimates at least 10^8 guesses. The user's own name and display name, the product's name and
a few local words it does not know (Russian "пароль", the "йцукен" keyboard row) count as
known words too. Checked when a password is set (``callqa users add|passwd``), never at login:
existing users keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

from zxcvbn import zxcvbn

MAX_LENGTH = 1024  # longer is a paste accident, and bounds the work zxcvbn and scrypt do
_CHECKED_CHARS = 72  # zxcvbn's own limit: it measures only the first 72 characters
# Words a local attacker tries first that zxcvbn's English lists lack.
SITE_WORDS = ("callqa", "callcenter", "contactcenter", "пароль", "parol", "йцукен", "фыва", "qwerty", "admin",
              "reviewer", "trainer")


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    min_score: int = 3  # zxcvbn 0-4; 3: about 10^8 guesses or more

    def __post_init__(self) -> None:
        if not 1 <= self.min_length <= MAX_LENGTH or not 0 <= self.min_score <= 4:
            raise ValueError("password policy: min length 1-1024, min score 0-4")


def weakness(password: str, *, user_name: str = "", display_name: str | None = None,
             policy: PasswordPolicy = PasswordPolicy()) -> str | None:
    """Why this password is refused (a sentence for the person choosing it), or None when it is good."""
    if len(password) < policy.min_length:
        return f"the password must have at least {policy.min_length} characters"
    if len(password) > MAX_LENGTH:
        return f"the password must have at most {MAX_LENGTH} characters"
    lowered = password.casefold()
    for own in (user_name, display_name or ""):
        for part in own.replace(".", " ").replace("_", " ").replace("-", " ").split() + [own]:
            if len(part) >= 3 and part.casefold() in lowered:
                return "the password must not contain the user's own name"
    user_inputs = [w for w in (user_name, *(display_name or "").split(), *SITE_WORDS) if w]
    result = zxcvbn(password[:_CHECKED_CHARS], user_inputs=user_inputs)
    if result["score"] >= policy.min_score:
        return None
    feedback = result.get("feedback") or {}
    hints = " ".join(h for h in [feedback.get("warning") or "", *feedback.get("suggestions", [])] if h)
    return (f"the password is too easy to guess (strength {result['score']} of 4, at least {policy.min_score} needed): "
            + (hints or "a few unrelated words make a strong password."))
