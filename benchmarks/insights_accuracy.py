#!/usr/bin/env python3
"""Call reason and outcome accuracy on the labelled dialogues of datasets/make_insights_set.py, per class,
plus the 5 sample calls (their written turns) and discovery of the reason planted outside the
taxonomy.

Each dialogue becomes a ``Transcript`` the way samples/make_samples.py builds one: one segment
per turn, words with synthetic times, the turn's speaker (or ``unknown`` for the set's unlabelled
calls). Prints precision / recall / F1 per class and overall accuracy, for the whole set and per
split (``dev`` and ``dev2`` may be looked at while tuning; ``test`` and ``test2`` are for
reporting; ``dev2``/``test2`` are outcome-only calls, left out of the reason figures and "all").

Usage: .venv/bin/python benchmarks/insights_accuracy.py [--set FILE] [--taxonomy FILE] [--errors]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.written_dialogue import dialogue_transcript
from models.embeddings import load_sentence_encoder
from pipeline.insights.call_insights import InsightsJudge
from pipeline.insights.outcomes import OUTCOMES
from pipeline.insights.reason_discovery import Statement, discover_reasons
from pipeline.insights.taxonomy import load_taxonomy

SET = Path(__file__).resolve().parent / "data" / "insights_set.json"
SAMPLES = REPO / "samples" / "calls"
NONE = "(none)"


def per_class(pairs: list[tuple[str, str]], classes: list[str]) -> list[tuple[str, int, float, float, float]]:
    rows = []
    for c in classes:
        tp = sum(1 for t, p in pairs if t == c and p == c)
        fp = sum(1 for t, p in pairs if t != c and p == c)
        fn = sum(1 for t, p in pairs if t == c and p != c)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((c, tp + fn, precision, recall, f1))
    return rows


def report(title: str, pairs: list[tuple[str, str]], classes: list[str]) -> float:
    accuracy = sum(t == p for t, p in pairs) / max(len(pairs), 1)
    print(f"\n{title}: accuracy {accuracy:.3f} ({sum(t == p for t, p in pairs)}/{len(pairs)})")
    print(f"  {'class':16s} {'n':>4s} {'prec':>6s} {'recall':>6s} {'F1':>6s}")
    rows = per_class(pairs, classes)
    for c, n, p, r, f in rows:
        print(f"  {c:16s} {n:4d} {p:6.2f} {r:6.2f} {f:6.2f}")
    macro = sum(f for *_, f in rows) / len(rows)
    print(f"  {'macro F1':16s} {'':4s} {'':6s} {'':6s} {macro:6.2f}")
    return accuracy


def sample_calls() -> list[dict]:
    out = []
    for path in sorted(SAMPLES.glob("*.truth.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        out.append({"id": path.name.split(".")[0], "language": truth["language"],
                    "turns": [(t["speaker"], t["text"]) for t in truth["turns"]],
                    "reason": truth.get("expected_reason"), "outcome": truth.get("expected_outcome"),
                    "speakers": "labelled", "split": "samples"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--taxonomy", type=Path, default=None)
    parser.add_argument("--errors", action="store_true", help="list the misjudged dialogues")
    args = parser.parse_args()
    if not args.set.is_file():
        raise SystemExit(f"{args.set} not found: run benchmarks/datasets/make_insights_set.py first")
    calls = json.loads(args.set.read_text(encoding="utf-8"))
    taxonomy = load_taxonomy(args.taxonomy)
    started = time.perf_counter()
    judge = InsightsJudge(taxonomy, load_sentence_encoder())
    print(f"taxonomy {taxonomy.source} ({len(taxonomy.reasons)} reasons, threshold {taxonomy.threshold}), "
          f"version {judge.version}; {len(calls)} dialogues; models {time.perf_counter() - started:.1f} s")

    results = []
    started = time.perf_counter()
    for call in calls + sample_calls():
        transcript = dialogue_transcript(call["language"], call["turns"], call["speakers"])
        results.append((call, judge.judge(transcript)))
    elapsed = time.perf_counter() - started
    print(f"judged {len(results)} calls in {elapsed:.1f} s ({len(results) / elapsed:.0f} calls/s)")

    reason_classes = [r.id for r in taxonomy.reasons] + [NONE]
    for split in ("all", "dev", "test", "samples", "dev2", "test2"):
        chosen = [(c, i) for c, i in results
                  if (split == "all" and c["split"] in ("dev", "test")) or c["split"] == split]
        if not chosen:
            continue
        reasons = [(c["reason"] or NONE, i.reason_id or NONE) for c, i in chosen]
        outcomes = [(c["outcome"], i.outcome.outcome) for c, i in chosen]
        print(f"\n===== {split} ({len(chosen)} calls) =====")
        if not any(c.get("outcome_only") for c, _ in chosen):
            report("reasons", reasons, reason_classes)
        report("outcomes", outcomes, list(OUTCOMES))
        methods = [i.outcome.method.split(":")[-1] for _, i in chosen]
        print(f"  outcome method: {', '.join(f'{m} {methods.count(m)}' for m in sorted(set(methods)))}")
        if split == "all":
            for kind in ("labelled", "unknown"):
                part = [(c, i) for c, i in chosen if c["speakers"] == kind]
                r_ok = sum((c["reason"] or NONE) == (i.reason_id or NONE) for c, i in part)
                o_ok = sum(c["outcome"] == i.outcome.outcome for c, i in part)
                print(f"  speakers {kind}: reasons {r_ok}/{len(part)}, outcomes {o_ok}/{len(part)}")

    if args.errors:
        print("\nmisjudged:")
        for c, i in results:
            if not c.get("outcome_only") and (c["reason"] or NONE) != (i.reason_id or NONE):
                said = i.statement.text if i.statement else "-"
                print(f"  reason  {c['id']:28s} {c['reason'] or NONE:15s} -> {i.reason_id or NONE:15s} "
                      f"{i.reason_score or 0:.2f} «{said}»")
            if c["outcome"] != i.outcome.outcome:
                ev = i.outcome.evidence.text if i.outcome.evidence else "-"
                print(f"  outcome {c['id']:28s} {c['outcome']:15s} -> {i.outcome.outcome:15s} «{ev}»")

    # Discovery: the statements of the calls left without a taxonomy reason, as the nightly data would give them.
    unmatched = [Statement(c["id"], i.statement.text, c["language"], i.embedding)
                 for c, i in results
                 if c["split"] in ("dev", "test") and i.reason_id is None and i.statement is not None]
    clusters = discover_reasons(unmatched)
    planted = {c["id"] for c in calls if c.get("planted")}
    print(f"\n===== discovery: {len(unmatched)} calls without a taxonomy reason, {len(planted)} planted "
          f"'relocation' calls in the set =====")
    for k, d in enumerate(clusters, 1):
        hit = sum(1 for cid in d.members if cid in planted)
        print(f"  cluster {k}: {d.size} calls, {hit} planted, cohesion {d.cohesion:.2f}, words {', '.join(d.words)}")
        print(f"    «{d.representative.text}» e.g. {', '.join(d.call_ids[:3])}")
    best = max(clusters, key=lambda d: sum(cid in planted for cid in d.members), default=None)
    if best is None:
        print("  planted reason found: NO (no cluster)")
    else:
        members = best.members
        found = sum(cid in planted for cid in members)
        print(f"  planted reason found as a cluster: {'YES' if found >= len(members) / 2 else 'NO'} — "
              f"{found} of its {len(members)} members are planted calls (recall {found}/{len(planted)}, "
              f"purity {found / len(members):.2f})")


if __name__ == "__main__":
    main()
