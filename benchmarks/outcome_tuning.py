#!/usr/bin/env python3
"""Choose the semantic outcome vote (threshold, weight, neighbourhood size) on the DEV closings only.

Judges the outcome of every ``dev`` and ``dev2`` call of benchmarks/data/insights_set.json over a
grid, first by similarity alone (cues off: how good is the semantic part by itself) and then with
the lemma cues (the shipped method); prints accuracy and macro F1 per setting, best first. The
test splits are never read.

Usage: .venv/bin/python benchmarks/outcome_tuning.py [--set FILE] [--top N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.insights_accuracy import SET, per_class
from benchmarks.written_dialogue import dialogue_transcript
from models.embeddings import load_sentence_encoder
from pipeline.insights.outcomes import OUTCOMES, OutcomeJudge, SemanticVote

DEV = ("dev", "dev2")
THRESHOLDS = (0.35, 0.4, 0.45)
WEIGHTS = (0.5, 1.0, 2.0)
TOP_K = (3, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    calls = [c for c in json.loads(args.set.read_text(encoding="utf-8")) if c["split"] in DEV]
    transcripts = [dialogue_transcript(c["language"], c["turns"], c["speakers"]) for c in calls]
    encoder = load_sentence_encoder()  # caches sentence vectors: the grid costs one encoding per sentence
    print(f"{len(calls)} dev calls ({', '.join(DEV)})")
    for cues in (False, True):
        rows = []
        for threshold, weight, k in itertools.product(THRESHOLDS, WEIGHTS if cues else (1.0,), TOP_K):
            judge = OutcomeJudge(encoder, SemanticVote(threshold, weight, k), cues=cues)
            pairs = [(c["outcome"], judge.judge(t).outcome) for c, t in zip(calls, transcripts)]
            accuracy = sum(a == b for a, b in pairs) / len(pairs)
            macro = sum(f for *_, f in per_class(pairs, list(OUTCOMES))) / len(OUTCOMES)
            rows.append((accuracy, macro, threshold, weight, k))
        rows.sort(key=lambda r: (-r[0], -r[1]))
        print(f"\ncues {'on' if cues else 'off'}: accuracy, macro F1 | threshold weight top_k")
        for accuracy, macro, threshold, weight, k in rows[:args.top]:
            print(f"  {accuracy:.3f} {macro:.3f} | {threshold:.2f} {weight:.1f} {k}")


if __name__ == "__main__":
    main()
