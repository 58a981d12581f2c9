#!/usr/bin/env python3
"""Predicted satisfaction against the rubric CSAT of the constructed dialogue set.

    .venv/bin/python benchmarks/datasets/make_csat_set.py          # once: benchmarks/data/csat_set/dialogues.json
    .venv/bin/python benchmarks/csat_agreement.py [--set FILE] [--json]

Each written dialogue goes through the product's analysis stage exactly as a stored
transcript does (``pipeline.judging.assess.assess_transcript``): PII masking, the scorecard judge
(its escalation detector: lemmas, fuzzy, sentence encoder), conversation metrics from the
turns' timings (silence, holds, dead air, overtalk; no audio, so the timeline comes from
the turns) and the real sentiment model on every utterance. The prediction is then made
from those, with the scenario's outcome label standing in for the outcome step (built
separately); a second row shows the model with the outcome unknown, as before that step
has run.

Printed, per predictor: n, Spearman rho with a bootstrap 95% interval, MAE, exact and
within-1 agreement of the rounded prediction. Baselines in the same run: a constant 4 (the
usual CSAT mode), and the customer's closing sentiment alone (the model's base and end
weight, every other factor off). Then a cross-validated refit of the weights on this set
(``pipeline.insights.satisfaction_calibration``), the mean prediction per scenario, and how well
the inputs were recovered (escalations detected, holds and dead air measured).
Results also go to benchmarks/results/csat_agreement.json.

The labels come from a rubric written before the model was run (see datasets/make_csat_set.py),
by the same author as the default weights: read the figures as "the pipeline recovers the
scenario's signals and orders the scenarios sensibly", not as accuracy on real surveys.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pipeline.analyze import build_judge
from pipeline.insights.csat_agreement import CsatAgreement, agreement
from pipeline.insights.satisfaction import (
    DEFAULT_WEIGHTS,
    CustomerTurn,
    SatisfactionInputs,
    SatisfactionWeights,
    customer_trajectory,
    predict,
)
from pipeline.insights.satisfaction_calibration import calibrate
from pipeline.judging.assess import assess_transcript
from pipeline.judging.scorecard import load_scorecard
from pipeline.judging.sentiment import word_count
from pipeline.records import Segment, Transcript, Word

DEFAULT_SET = REPO / "benchmarks" / "data" / "csat_set" / "dialogues.json"
RESULTS = REPO / "benchmarks" / "results" / "csat_agreement.json"
ESCALATING = ("retention_offer", "angry_escalated", "angry_cancel")  # scenarios whose customer escalates in words


def written_segment(turn: dict) -> Segment:
    """A turn as a recognised segment: its words spread evenly over its time, recognised with certainty
    (the judge treats words it is unsure of as unknown, and a written dialogue has no doubt)."""
    start, end, tokens = float(turn["start"]), float(turn["end"]), turn["text"].split()
    step = (end - start) / max(len(tokens), 1)
    words = tuple(Word(start + i * step, start + (i + 1) * step, token, 1.0) for i, token in enumerate(tokens))
    return Segment(turn["speaker"], start, end, turn["text"], words, asr_confidence=1.0, speaker_confidence=1.0)


def inputs_of(dialogue: dict, judge) -> SatisfactionInputs:
    """The satisfaction inputs the product would store for this dialogue (outcome: the scenario's label)."""
    segments = tuple(written_segment(t) for t in dialogue["turns"])
    transcript = Transcript(dialogue["language"], segments, asr_model="written", speaker_method="written")
    a = assess_transcript(transcript, float(dialogue["duration_s"]), judge)
    turns = [CustomerTurn(s.start, score, word_count(s.text))
             for s, score in zip(a.transcript.segments, a.sentiment.segment_scores) if s.speaker == "customer"]
    m = a.metrics
    return SatisfactionInputs(
        call_id=dialogue["id"], trajectory=customer_trajectory(turns), outcome=dialogue["outcome"],
        escalations=tuple(sorted({d.category for d in a.detections if d.kind == "escalation"})),
        dead_air_s=m.dead_air_s, hold_s=m.hold_s, overtalk_s=m.overtalk_s, handle_time_s=m.handle_time_s,
    )


def end_only(weights: SatisfactionWeights) -> SatisfactionWeights:
    """The model's base and closing-sentiment weight, every other factor off."""
    return SatisfactionWeights(**{name: 0.0 for name in SatisfactionWeights.signal_names()} |
                               {"base": weights.base, "sentiment_end": weights.sentiment_end})


def row(name: str, a: CsatAgreement) -> str:
    rho = "  –  " if a.rho is None else f"{a.rho:5.2f}"
    ci = "      –      " if a.rho_low is None else f"[{a.rho_low:5.2f}, {a.rho_high:5.2f}]"
    return f"{name:<40} {a.n:>4} {rho} {ci}  {a.mae:5.2f}  {a.exact:6.0%}  {a.within_1:6.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    args = parser.parse_args()
    if not args.set.is_file():
        sys.exit(f"{args.set} not found: run benchmarks/datasets/make_csat_set.py first")
    dialogues = json.loads(args.set.read_text(encoding="utf-8"))["dialogues"]
    labels = [d["csat"] for d in dialogues]

    started = time.perf_counter()
    judge = build_judge(load_scorecard("inbound_support"))
    loaded = time.perf_counter()
    inputs = [inputs_of(d, judge) for d in dialogues]
    analysed = time.perf_counter()

    predictors = {
        "model (scenario outcome)": [predict(i).predicted for i in inputs],
        "model, outcome unknown": [predict(replace(i, outcome=None)).predicted for i in inputs],
        "baseline: constant 4": [4.0] * len(inputs),
        "baseline: closing sentiment only": [predict(i, end_only(DEFAULT_WEIGHTS)).predicted for i in inputs],
    }
    results = {name: agreement(list(zip(values, labels))) for name, values in predictors.items()}
    by_language = {lang: agreement([(p, d["csat"]) for p, d in zip(predictors["model (scenario outcome)"], dialogues)
                                    if d["language"] == lang]) for lang in ("ru", "en")}
    calibration = calibrate(inputs, labels)

    scenarios: dict[str, dict] = {}
    for d, i, p in zip(dialogues, inputs, predictors["model (scenario outcome)"]):
        s = scenarios.setdefault(d["scenario"], {"csat": d["csat"], "predicted": [], "escalated": 0, "dead_air_s": [],
                                                 "hold_s": [], "overtalk_s": []})
        s["predicted"].append(p)
        s["escalated"] += bool(i.escalations)
        s["dead_air_s"].append(i.dead_air_s or 0.0)
        s["hold_s"].append(i.hold_s or 0.0)
        s["overtalk_s"].append(i.overtalk_s or 0.0)
    escalation_hits = sum(scenarios[s]["escalated"] for s in ESCALATING)
    escalation_total = sum(len(scenarios[s]["predicted"]) for s in ESCALATING)
    false_escalations = sum(v["escalated"] for k, v in scenarios.items() if k not in ESCALATING)
    others = sum(len(v["predicted"]) for k, v in scenarios.items() if k not in ESCALATING)
    no_trajectory = sum(i.trajectory is None for i in inputs)

    report = {
        "set": str(args.set), "dialogues": len(dialogues),
        "seconds": {"models": round(loaded - started, 1), "analysis": round(analysed - loaded, 1)},
        "agreement": {name: a.to_json() for name, a in results.items()},
        "model_by_language": {k: v.to_json() for k, v in by_language.items()},
        "calibration_cv": calibration.to_json(),
        "scenarios": {k: {"csat": v["csat"], "n": len(v["predicted"]),
                          "mean_predicted": round(sum(v["predicted"]) / len(v["predicted"]), 2),
                          "min": round(min(v["predicted"]), 2), "max": round(max(v["predicted"]), 2),
                          "escalated": v["escalated"],
                          "mean_dead_air_s": round(sum(v["dead_air_s"]) / len(v["dead_air_s"]), 1),
                          "mean_hold_s": round(sum(v["hold_s"]) / len(v["hold_s"]), 1),
                          "mean_overtalk_s": round(sum(v["overtalk_s"]) / len(v["overtalk_s"]), 1)}
                      for k, v in sorted(scenarios.items(), key=lambda kv: (-kv[1]["csat"], kv[0]))},
        "escalation_detected": f"{escalation_hits}/{escalation_total}",
        "escalation_false": f"{false_escalations}/{others}",
        "customer_without_trajectory": no_trajectory,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return

    print(f"{len(dialogues)} dialogues ({args.set}); models loaded in {report['seconds']['models']} s, "
          f"analysed in {report['seconds']['analysis']} s")
    print(f"\n{'predictor':<40} {'n':>4} {'rho':>5} {'95% CI':^14}  {'MAE':>5}  {'exact':>6}  {'within1':>6}")
    for name, a in results.items():
        print(row(name, a))
    for lang, a in by_language.items():
        print(row(f"model (scenario outcome), {lang}", a))
    c = calibration
    print(f"\nrefit on this set, {c.to_json()['folds']}-fold cross-validated: MAE {c.calibrated_cv_mae:.2f} "
          f"(defaults {c.default_mae:.2f}), rho {c.calibrated_cv_rho:.2f} (defaults {c.default_rho:.2f}); "
          f"{'beats' if c.beats_default else 'does not beat'} the defaults")
    print("\nconfusion, model (scenario outcome): rows rubric CSAT 1..5, columns rounded prediction 1..5")
    for grade, counts in zip(range(1, 6), results["model (scenario outcome)"].confusion):
        print(f"  {grade}: " + " ".join(f"{n:>3}" for n in counts))
    print(f"\n{'scenario':<28} {'CSAT':>4} {'mean pred':>9} {'min':>5} {'max':>5} {'escal.':>6} "
          f"{'dead air':>8} {'hold':>6} {'overtalk':>8}")
    for name, s in report["scenarios"].items():
        print(f"{name:<28} {s['csat']:>4} {s['mean_predicted']:>9.2f} {s['min']:>5.2f} {s['max']:>5.2f} "
              f"{s['escalated']:>3}/{s['n']:<2} {s['mean_dead_air_s']:>8.1f} {s['mean_hold_s']:>6.1f} "
              f"{s['mean_overtalk_s']:>8.1f}")
    print(f"\nescalations detected in the escalating scenarios: {report['escalation_detected']}; "
          f"in the others: {report['escalation_false']}; customers with no sentiment trajectory: {no_trajectory}")
    print(f"results: {RESULTS}")


if __name__ == "__main__":
    main()
