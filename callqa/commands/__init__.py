"""The ``callqa`` subcommands: one module each (or a few related ones together), each with a
``register(subparsers)`` that adds its subparser(s) and sets the handler beside them; ``common`` holds
what they share."""

__all__ = [
    "analyze",
    "app",
    "cdr",
    "coaching",
    "common",
    "compare",
    "diarize",
    "health",
    "load",
    "metrics",
    "models",
    "report",
    "rescore",
    "retention",
    "run",
    "sample",
    "satisfaction",
    "schedule",
    "sentiment",
    "stats",
    "users",
]
