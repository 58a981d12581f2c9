#!/usr/bin/env python3
"""Sentiment: accuracy on the generated dev calls, on real labelled texts, and speed.

    .venv/bin/python benchmarks/sentiment.py [--count 150] [--seed 0]
        [--real FILE.csv [--real-language ru]] [--band 0.05]

- Dev calls (benchmarks/datasets/sentiment_dev_set.py): accuracy of label_for(customer_end) and
  label_for(customer_start) against the mood the generator gave the customer's closing
  and opening lines; accuracy per pooled line.
- ``--real``: a CSV with ``text`` and ``label`` columns (positive / neutral / negative;
  other labels are skipped), e.g. a real labelled corpus kept outside the repository.
  Reports 3-class accuracy, macro F1, and accuracy on positive vs negative only.
- Speed: texts per second, and milliseconds of ``call_sentiment`` per call of 20 utterances.

Results go to benchmarks/results/sentiment.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.datasets.sentiment_dev_set import POOLS, POOLS_HELDOUT, make_dev_set
from models.sentiment import label_for, load_sentiment
from pipeline.judging.sentiment import call_sentiment
from pipeline.records import Segment

LABELS = ("negative", "neutral", "positive")
POOL_MOOD = {"negative_open": "negative", "negative_close": "negative", "neutral": "neutral",
             "neutral_close": "neutral", "positive_close": "positive", "positive_open": "positive",
             "neutral_open": "neutral"}


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    f1s = []
    for label in LABELS:
        tp = sum(t == p == label for t, p in zip(truth, predicted))
        fp = sum(p == label and t != label for t, p in zip(truth, predicted))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


def confusion(truth: list[str], predicted: list[str]) -> dict:
    return {t: {p: sum(1 for a, b in zip(truth, predicted) if a == t and b == p) for p in LABELS} for t in LABELS}


def dev_set_report(count: int, seed: int, band: float, heldout: bool) -> dict:
    report = {}
    pools = POOLS_HELDOUT if heldout else POOLS
    for language in ("ru", "en"):
        calls = make_dev_set(count, seed, (language,), heldout=heldout)
        model = load_sentiment(language)
        end_truth, end_pred, start_truth, start_pred, missing = [], [], [], [], 0
        for call in calls:
            result = call_sentiment(call.segments, language, model)
            if result.customer_end is None:
                missing += 1
                continue
            end_truth.append(call.customer_end)
            end_pred.append(label_for(result.customer_end, band))
            start_truth.append(call.customer_start)
            start_pred.append(label_for(result.customer_start, band))
        lines = [(text, POOL_MOOD[pool])
                 for pool, texts in pools[language].items() if pool in POOL_MOOD for text in texts]
        line_pred = [label_for(s, band) for s in model.score([t for t, _ in lines])]
        line_truth = [m for _, m in lines]
        wrong_lines = [f"{m} -> {p}: {t}" for (t, m), p in zip(lines, line_pred) if m != p]
        report[language] = {
            "calls": len(calls),
            "customer_end_accuracy": round(sum(a == b for a, b in zip(end_truth, end_pred)) / len(end_truth), 3),
            "customer_start_accuracy":
                round(sum(a == b for a, b in zip(start_truth, start_pred)) / len(start_truth), 3),
            "customer_end_truth": dict(Counter(end_truth)),
            "customer_end_confusion": confusion(end_truth, end_pred),
            "calls_without_trajectory": missing,
            "line_accuracy": round(sum(a == b for a, b in zip(line_truth, line_pred)) / len(lines), 3),
            "lines": len(lines),
            "wrong_lines": wrong_lines,
        }
    return report


def real_report(path: Path, language: str, band: float) -> dict:
    with path.open(encoding="utf-8", newline="") as f:
        rows = [(r["text"], r["label"].strip().lower())
                for r in csv.DictReader(f) if r["label"].strip().lower() in LABELS]
    model = load_sentiment(language)
    predicted = [label_for(s, band) for s in model.score([t for t, _ in rows])]
    truth = [label for _, label in rows]
    polar = [(t, p) for t, p in zip(truth, predicted) if t != "neutral"]
    return {
        "file": str(path),
        "texts": len(rows),
        "truth": dict(Counter(truth)),
        "accuracy": round(sum(a == b for a, b in zip(truth, predicted)) / len(rows), 3),
        "macro_f1": round(macro_f1(truth, predicted), 3),
        "confusion": confusion(truth, predicted),
        # Among texts labelled positive or negative: how often the sign is right, and how often it is missed.
        "polar_texts": len(polar),
        "polar_sign_accuracy": round(sum(t == p for t, p in polar) / len(polar), 3),
        "polar_called_neutral": round(sum(p == "neutral" for _, p in polar) / len(polar), 3),
        "polar_sign_accuracy_when_not_neutral": round(
            sum(t == p for t, p in polar if p != "neutral") / max(1, sum(p != "neutral" for _, p in polar)), 3
        ),
    }


def speed_report() -> dict:
    out = {}
    for language in ("ru", "en"):
        texts = [t for pool, lines in POOLS[language].items() for t in lines]
        model = load_sentiment(language)
        model.score(texts)  # warm the lemma cache, as in a long batch
        repeats = max(1, 4000 // len(texts))
        t0 = time.perf_counter()
        for _ in range(repeats):
            model.score(texts)
        per_text = (time.perf_counter() - t0) / (repeats * len(texts))
        segments = tuple(Segment(speaker=("operator", "customer")[i % 2], start=float(i), end=i + 0.9,
                                 text=texts[i % len(texts)])
                         for i in range(20))
        t0 = time.perf_counter()
        for _ in range(200):
            call_sentiment(segments, language, model)
        per_call = (time.perf_counter() - t0) / 200
        out[language] = {"texts_per_s": round(1 / per_text), "ms_per_call_of_20_utterances": round(per_call * 1000, 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=150, help="dev calls per language")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--band", type=float, default=0.05, help="neutral band of label_for")
    parser.add_argument("--real", type=Path, action="append", default=[], help="CSV with text,label columns")
    parser.add_argument("--real-language", default="ru")
    parser.add_argument("--show-wrong", action="store_true")
    args = parser.parse_args()
    report = {"band": args.band, "dev": dev_set_report(args.count, args.seed, args.band, heldout=False),
              "heldout": dev_set_report(args.count, args.seed, args.band, heldout=True)}
    report["real"] = [real_report(p, args.real_language, args.band) for p in args.real]
    report["speed"] = speed_report()
    out = REPO / "benchmarks" / "results" / "sentiment.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    for language, r in [(f"{k} (tuning)", v) for k, v in report["dev"].items()] + [
        (f"{k} (held out)", v) for k, v in report["heldout"].items()
    ]:
        print(f"dev {language}: customer_end acc {r['customer_end_accuracy']} "
              f"customer_start acc {r['customer_start_accuracy']} "
              f"({r['calls']} calls, truth {r['customer_end_truth']}), lines {r['line_accuracy']} of {r['lines']}")
        if args.show_wrong:
            print("   " + "\n   ".join(r["wrong_lines"]))
    for r in report["real"]:
        print(f"real {r['file']}: {r['texts']} texts {r['truth']}: acc {r['accuracy']}, macro F1 {r['macro_f1']}, "
              f"pos/neg sign acc {r['polar_sign_accuracy']} (called neutral {r['polar_called_neutral']}, "
              f"sign acc when not neutral {r['polar_sign_accuracy_when_not_neutral']})")
        print(f"   confusion {r['confusion']}")
    for language, r in report["speed"].items():
        print(f"speed {language}: {r['texts_per_s']} texts/s, "
              f"{r['ms_per_call_of_20_utterances']} ms per call of 20 utterances")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
