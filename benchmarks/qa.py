#!/usr/bin/env python3
"""QA analytics accuracy and speed on the labelled development set.

Per criterion: precision and recall of *failures* (what a reviewer is sent to
look at), accuracy (an ``unknown`` verdict counts as wrong), split by stereo and
mono; escalation accuracy; customer end-sentiment accuracy; and the speed of the
analysis stage (everything after transcription: redaction, judging, metrics,
sentiment) in calls per second.

Two sources of transcripts:
- ``--source truth`` (default): the written dialogue with its true speakers and
  times, as if ASR and diarization were perfect: measures the judging alone;
- ``--source audio``: the full pipeline on the recordings (ASR + diarization
  included; slow): what a user gets. The transcripts are saved beside the results;
- ``--source cached``: the transcripts saved by the last ``--source audio`` run of that
  set, judged again (fast): for working on the judge with real recognition errors.

``--calibrate`` also sweeps each criterion's semantic threshold on the truth
transcripts and prints the accuracy per threshold (how the scorecard's
``semantic_threshold`` values were chosen).

    .venv/bin/python benchmarks/datasets/make_qa_devset.py            # -> benchmarks/data/qa_dev
    .venv/bin/python benchmarks/qa.py [--set DIR] [--source truth|audio] [--calibrate]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from models.sentiment import label_for
from pipeline.analyze import build_judge
from pipeline.judging.assess import assess_transcript
from pipeline.judging.scorecard import Scorecard, load_scorecard
from pipeline.judging.sentiment import CALL_NEUTRAL_BAND
from pipeline.records import Segment, Transcript, Word


def truth_transcript(truth: dict) -> Transcript:
    """The written turns as a transcript: true speakers, words spread evenly over each turn's time."""
    segments = []
    channel_of = ({"operator": 0, "customer": 1} if truth.get("operator_channel", "left") == "left"
                  else {"operator": 1, "customer": 0})
    for turn in truth["turns"]:
        words = turn["text"].split()
        start, end = float(turn["start"]), float(turn["end"])
        step = (end - start) / max(len(words), 1)
        ws = tuple(Word(start + i * step, start + (i + 1) * step, w, 0.95) for i, w in enumerate(words))
        channel = channel_of[turn["speaker"]] if truth["channels"] == 2 else None
        segments.append(Segment(turn["speaker"], start, end, turn["text"], ws, channel, 0.95, 1.0))
    regions: tuple = ()
    if truth["channels"] == 2:
        per = [tuple((s.start, s.end) for s in segments if s.channel == ch) for ch in (0, 1)]
        regions = tuple(per)
    else:
        regions = (tuple((s.start, s.end) for s in segments),)
    return Transcript(truth["language"], tuple(segments), "truth",
                      "stereo_channels" if truth["channels"] == 2 else "truth_speakers", 0, {}, regions)


def transcript_to_json(t: Transcript) -> dict:
    return {
        "language": t.language, "asr_model": t.asr_model, "speaker_method": t.speaker_method,
        "speech_regions": t.speech_regions,
        "segments": [{"speaker": s.speaker, "start": s.start, "end": s.end, "text": s.text, "channel": s.channel,
                      "asr_confidence": s.asr_confidence, "speaker_confidence": s.speaker_confidence,
                      "words": [[w.start, w.end, w.text, w.probability] for w in s.words]} for s in t.segments],
    }


def transcript_from_json(d: dict) -> Transcript:
    segments = tuple(
        Segment(s["speaker"], s["start"], s["end"], s["text"], tuple(Word(*w) for w in s["words"]), s["channel"],
                s["asr_confidence"], s["speaker_confidence"])
        for s in d["segments"]
    )
    regions = tuple(tuple(tuple(r) for r in ch) for ch in d["speech_regions"])
    return Transcript(d["language"], segments, d["asr_model"], d["speaker_method"], 0, {}, regions)


def load_set(folder: Path, include_ambiguous: bool) -> list[dict]:
    truths = []
    for path in sorted(folder.glob("*.truth.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        if "criteria_truth" not in truth or (truth.get("ambiguous") and not include_ambiguous):
            continue
        truth["_dir"] = str(folder)
        truths.append(truth)
    return truths


def evaluate(results: list[tuple[dict, object]], card: Scorecard) -> dict:
    crit_ids = [c.id for c in card.criteria]
    per = {cid: defaultdict(lambda: defaultdict(int)) for cid in crit_ids}
    esc = defaultdict(int)
    sent = defaultdict(int)
    wrong: list[str] = []
    for truth, a in results:
        group = "stereo" if truth["channels"] == 2 else "mono"
        got = {c.id: c.result for c in a.criteria}
        for cid in crit_ids:
            want = truth["criteria_truth"].get(cid)
            if want is None:
                continue
            g = got.get(cid)
            for key in (group, "all"):
                s = per[cid][key]
                s["n"] += 1
                s["correct"] += g == want
                s["unknown"] += g == "unknown"
                s["tp"] += g == "fail" and want == "fail"
                s["fp"] += g == "fail" and want == "pass"
                s["fn"] += g != "fail" and want == "fail"
            if g != want:
                reason = next((c.reason for c in a.criteria if c.id == cid), "")
                wrong.append(f"{truth['file']}: {cid} {want}->{g} ({reason})")
        detected = "escalation" in a.score.flags
        esc["n"] += 1
        esc["correct"] += detected == bool(truth["escalation"])
        esc["fp"] += detected and not truth["escalation"]
        esc["fn"] += (not detected) and bool(truth["escalation"])
        if detected != bool(truth["escalation"]):
            wrong.append(f"{truth['file']}: escalation {truth['escalation']}->{detected} "
                         f"{[d.evidence.text for d in a.detections]}")
        end = a.sentiment.customer_end if a.sentiment else None
        label = label_for(end, band=CALL_NEUTRAL_BAND) if end is not None else "neutral"
        sent["n"] += 1
        sent["correct"] += label == truth["customer_end_sentiment"]
        if label != truth["customer_end_sentiment"]:
            wrong.append(f"{truth['file']}: customer end sentiment {truth['customer_end_sentiment']}->{label} ({end})")

    def ratio(a, b):
        return round(a / b, 3) if b else None

    table = {}
    for cid in crit_ids:
        table[cid] = {}
        for key, s in per[cid].items():
            table[cid][key] = {
                "n": s["n"], "accuracy": ratio(s["correct"], s["n"]), "unknown": s["unknown"],
                "fail_precision": ratio(s["tp"], s["tp"] + s["fp"]), "fail_recall": ratio(s["tp"], s["tp"] + s["fn"]),
            }
    overall = {}
    for key in ("stereo", "mono", "all"):
        n = sum(per[c][key]["n"] for c in crit_ids)
        overall[key] = ratio(sum(per[c][key]["correct"] for c in crit_ids), n)
    return {
        "criteria": table,
        "criteria_accuracy": overall,
        "escalation": {"n": esc["n"], "accuracy": ratio(esc["correct"], esc["n"]), "false_alarms": esc["fp"],
                       "missed": esc["fn"]},
        "customer_end_sentiment": {"n": sent["n"], "accuracy": ratio(sent["correct"], sent["n"])},
        "wrong": wrong,
    }


def analysis_speed(transcripts: list[tuple[Transcript, float]], card: Scorecard, repeat: int) -> dict:
    """Calls per second of the analysis stage: first pass with the models loaded but nothing
    cached (every utterance embedded afresh), then warm passes (repeated utterances cached)."""
    judge = build_judge(card)
    if judge.encoder is not None and hasattr(judge.encoder, "clear_cache"):
        judge.encoder.clear_cache()
    t = time.perf_counter()
    for tr, dur in transcripts:
        assess_transcript(tr, dur, judge)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(repeat):
        for tr, dur in transcripts:
            assess_transcript(tr, dur, judge)
    warm = (time.perf_counter() - t) / repeat
    n = len(transcripts)
    return {"calls": n, "cold_calls_per_s": round(n / cold, 1), "warm_calls_per_s": round(n / warm, 1),
            "cold_ms_per_call": round(1000 * cold / n, 1), "warm_ms_per_call": round(1000 * warm / n, 1)}


def calibrate(transcripts: list[tuple[dict, Transcript]], card: Scorecard) -> dict:
    out = {}
    for criterion in card.criteria:
        if "semantic" not in criterion.methods:
            continue
        row = {}
        for thr in (0.5, 0.55, 0.6, 0.62, 0.65, 0.7, 0.75, 0.8):
            swapped = replace(card, criteria=tuple(replace(c, semantic_threshold=thr) if c.id == criterion.id else c
                                                   for c in card.criteria))
            judge = build_judge(swapped)
            correct = n = 0
            for truth, tr in transcripts:
                want = truth["criteria_truth"].get(criterion.id)
                if want is None:
                    continue
                got = next(r.result for r in judge.judge(tr).criteria if r.id == criterion.id)
                correct += got == want
                n += 1
            row[thr] = round(correct / n, 3) if n else None
        out[criterion.id] = row
        print(f"  {criterion.id:<22}" + " ".join(f"{t}:{a}" for t, a in row.items()))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default=str(REPO / "benchmarks" / "data" / "qa_dev"))
    ap.add_argument("--source", choices=("truth", "audio", "cached"), default="truth")
    ap.add_argument("--scorecard", default="inbound_support")
    ap.add_argument("--include-ambiguous", action="store_true")
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--repeat", type=int, default=5, help="warm speed: passes over the set")
    ap.add_argument("--show-wrong", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    folder = Path(args.set)
    truths = load_set(folder, args.include_ambiguous)
    if not truths:
        print(f"no labelled calls in {folder}: run benchmarks/datasets/make_qa_devset.py first", file=sys.stderr)
        return 2
    card = load_scorecard(args.scorecard)
    judge = build_judge(card)
    results, transcripts = [], []
    t0 = time.perf_counter()
    audio_s = 0.0
    cache = REPO / "benchmarks" / "results" / "transcripts" / folder.name
    if args.source == "cached":
        for truth in truths:
            saved = cache / (Path(truth["file"]).stem + ".json")
            if not saved.is_file():
                print(f"no saved transcript {saved}: run --source audio first", file=sys.stderr)
                return 2
            d = json.loads(saved.read_text(encoding="utf-8"))
            tr = transcript_from_json(d)
            transcripts.append((tr, d["duration_s"]))
            results.append((truth, assess_transcript(tr, d["duration_s"], judge, redact=False)))
    elif args.source == "truth":
        for truth in truths:
            tr = truth_transcript(truth)
            transcripts.append((tr, float(truth["duration"])))
            results.append((truth, assess_transcript(tr, float(truth["duration"]), judge)))
    else:
        from usecases.runtime import build_analyzer
        from usecases.settings import load_settings

        analyzer = build_analyzer(load_settings(scorecard=args.scorecard))
        cache.mkdir(parents=True, exist_ok=True)
        for truth in truths:
            a = analyzer.analyze(folder / truth["file"])
            saved = {**transcript_to_json(a.transcript), "duration_s": a.duration_s}
            (cache / (Path(truth["file"]).stem + ".json")).write_text(json.dumps(saved, ensure_ascii=False))
            audio_s += a.duration_s
            transcripts.append((a.transcript, a.duration_s))
            results.append((truth, a))
    wall = time.perf_counter() - t0
    report = evaluate(results, card)
    report["source"] = args.source
    report["calls"] = len(truths)
    report["scorecard"] = card.label
    if args.source == "audio":
        report["end_to_end_x_real_time"] = round(audio_s / wall, 2)
    if args.repeat > 0:  # --repeat 0: accuracy only
        report["analysis_speed"] = analysis_speed(transcripts, card, args.repeat)

    print(f"{len(truths)} calls ({args.source} transcripts), scorecard {card.label}")
    print(f"{'criterion':<22}{'acc st':>8}{'acc mono':>9}{'acc all':>8}{'fail P':>8}{'fail R':>8}{'unk':>5}")
    for cid, row in report["criteria"].items():
        a = row.get("all", {})
        print(f"{cid:<22}{row.get('stereo', {}).get('accuracy') or float('nan'):>8.3f}"
              f"{row.get('mono', {}).get('accuracy') or float('nan'):>9.3f}{a.get('accuracy') or float('nan'):>8.3f}"
              f"{a.get('fail_precision') if a.get('fail_precision') is not None else float('nan'):>8.3f}"
              f"{a.get('fail_recall') if a.get('fail_recall') is not None else float('nan'):>8.3f}"
              f"{a.get('unknown', 0):>5}")
    print("criteria accuracy:", report["criteria_accuracy"])
    print("escalation:", report["escalation"])
    print("customer end sentiment:", report["customer_end_sentiment"])
    if "analysis_speed" in report:
        print("analysis stage:", report["analysis_speed"])
    if args.source == "audio":
        print("end to end:", report["end_to_end_x_real_time"], "x real time")
    if args.show_wrong:
        for line in report["wrong"]:
            print("  wrong:", line)
    if args.calibrate:
        print("semantic threshold sweep (accuracy per threshold):")
        report["calibration"] = calibrate([(t, tr) for t, (tr, _) in zip(truths, transcripts)], card)
    out = Path(args.json or REPO / "benchmarks" / "results" / f"qa_{args.source}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
