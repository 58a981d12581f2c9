"""``callqa sentiment``: the sentiment of texts, one per line on stdin, one JSON object per line out."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import EXIT_OK, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sentiment", help="sentiment of texts: one per line on stdin, one JSON object per line out")
    p.add_argument("--language", choices=["ru", "en"], default=None, help="default: guessed per line (Cyrillic -> ru)")
    p.set_defaults(func=sentiment)


def sentiment(args: argparse.Namespace) -> int:
    """One text per line on stdin -> one JSON object per line: {text, score, label}."""
    import io

    from models.sentiment import guess_language, label_for, load_sentiment

    raw = getattr(sys.stdin, "buffer", None)  # decode as UTF-8 whatever the locale says
    lines = io.TextIOWrapper(raw, encoding="utf-8", errors="replace") if raw is not None else sys.stdin
    for line in lines:
        text = line.strip()
        if not text:
            continue
        score = load_sentiment(args.language or guess_language(text)).score([text])[0]
        print_json({"text": text, "score": round(score, 4), "label": label_for(score)})
    return EXIT_OK
