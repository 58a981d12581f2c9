"""Checks shared by the YAML files people edit (scorecards, the call-reason taxonomy): every
error names the file and the place, and an unknown key comes with a "did you mean"."""

from __future__ import annotations

import difflib


def unknown_key(where: str, item: dict, allowed: set[str]) -> str | None:
    """The first key of ``item`` not in ``allowed``, as a message with a "did you mean", or None."""
    for key in item:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(sorted(allowed))})"
            return f"{where}: unknown key '{key}'{hint}"
    return None


class YamlChecker:
    """The base of a file's checker: ``error`` is the file's own error type (a ``ValueError``)."""

    error: type[ValueError] = ValueError

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str) -> ValueError:
        return self.error(f"{self.source}: {message}")

    def check_keys(self, where: str, item: dict, allowed: set[str]) -> None:
        problem = unknown_key(where, item, allowed)
        if problem:
            raise self.fail(problem)
