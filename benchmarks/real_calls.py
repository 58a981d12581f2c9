"""The speech layer on real phone calls: words lost, WER per party, roles, and verdicts against a reviewer.

    .venv/bin/python benchmarks/real_calls.py [--dir ../shared/eval/hvb_dev] [--calls ID ...] [--no-baseline]
                                              [--threads N] [--brand NAME] [--json benchmarks/results/real_calls.json]

``--brand 'Harper Valley National Bank'`` judges as that bank's call centre would: its name as the
scorecard's English brands (phrases of the company, and a hint to recognition). Without it the
calls are judged with the scorecard as shipped, which lists the sample calls' 13 brands (too many
for a hint: ``pipeline.analyze.MAX_HINT_BRANDS``).

Each call of the folder (a real two-party recording, operator on the left channel, with a
human transcript and a reviewer's script verdicts, see ``benchmarks.evaluation.load_real_calls``)
goes through, in the same run on the same machine:

- ``stereo``: the product (``CallAnalyzer.analyze``, language given) on the stereo recording;
- ``mono``: the product on the mono mix of the same call (both channels averaged, 8 kHz);
- ``fw_channels``: plain faster-whisper ``transcribe()`` on each channel (same weights, beam,
  language; its defaults otherwise): the reference the stereo path must not fall behind;
- ``fw_mono``: plain faster-whisper on the mono mix.

Measures (Whisper's English normaliser on both sides, ``[noise]`` tags and ``<unk>`` removed):
WER over the whole call (roles ignored; words in the order spoken, see ``_overall_errors``) and per party (the words the
path gave that party; plain per-channel: by channel), coverage (share of the reference speech
time that some output segment covers), role error on covered speech (word time given the other
party's role), the product's verdicts against ``labels.json`` (false fails counted apart) and
speed (audio seconds per wall second). Corpus figures sum edits and reference words over calls.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.evaluation import RealCall, analyze_heard, coverage, load_real_calls, scorecard_with_brands, word_errors

PARTIES = ("operator", "customer")
LABELLED = ("greeting", "introduction", "extra_help", "farewell")


@dataclass
class HypSegment:
    speaker: str  # operator | customer | unknown
    start: float
    end: float
    text: str
    words: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, text) of each word


@dataclass
class PathResult:
    segments: list[HypSegment]
    wall_s: float
    verdicts: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def _role_error(call: RealCall, segments: list[HypSegment]) -> tuple[float, float]:
    """(word seconds with the wrong role, word seconds inside reference turns)."""
    wrong = total = 0.0
    for seg in segments:
        for a, b, _ in seg.words or [(seg.start, seg.end, seg.text)]:
            mid = (a + b) / 2
            truth = {t.speaker for t in call.turns if t.start - 0.2 <= mid <= t.end + 0.2}
            if not truth:
                continue
            d = max(b - a, 0.01)
            total += d
            wrong += d if seg.speaker not in truth else 0.0
    return wrong, total


def _in_time_order(segments: list[HypSegment]) -> str:
    """The words of ``segments`` ordered by their own times, so two parties' turns interleave as spoken."""
    words = [(a + b) / 2 for seg in segments for a, b, _ in seg.words]
    texts = [text for seg in segments for _, _, text in seg.words]
    return " ".join(texts[i] for i in sorted(range(len(words)), key=words.__getitem__))


def _overall_errors(call: RealCall, segments: list[HypSegment]) -> tuple[int, int]:
    """Role-agnostic (edits, reference words) of the whole call.

    Two parties talking over each other have no single order of words: both sides are put in
    time order word by word, and turn by turn (each turn's words together, turns by start),
    and the closer of the two counts. Either way no word is credited to the wrong place.
    """
    by_word = word_errors(call.reference_in_time_order(), _in_time_order(segments), "en")
    by_turn = word_errors(call.reference(), " ".join(s.text for s in segments), "en")
    return min(by_word, by_turn)


def measure(call: RealCall, result: PathResult, duration_s: float) -> dict:
    ordered = sorted(result.segments, key=lambda s: (s.start, s.end))
    row: dict = {"wall_s": round(result.wall_s, 2),
                 "speed_x": round(duration_s / result.wall_s, 2) if result.wall_s else None}
    edits, n = _overall_errors(call, ordered)
    row["all"] = {"edits": edits, "words": n}
    spans = [(s.start, s.end) for s in ordered]
    cov, tot = coverage([(t.start, t.end) for t in call.turns], spans)
    row["coverage"] = {"covered_s": cov, "speech_s": tot}
    for party in PARTIES:
        edits, n = word_errors(call.reference(party), " ".join(s.text for s in ordered if s.speaker == party), "en")
        cov, tot = coverage([(t.start, t.end) for t in call.turns if t.speaker == party], spans)
        row[party] = {"edits": edits, "words": n, "covered_s": cov, "speech_s": tot}
    wrong, total = _role_error(call, ordered)
    row["role"] = {"wrong_s": wrong, "word_s": total}
    if result.verdicts:
        row["verdicts"] = {k: result.verdicts.get(k) for k in LABELLED}
        row["reasons"] = {k: result.reasons.get(k, "") for k in LABELLED}
    row.update(result.extra)
    return row


def run_product(analyzer, path: Path) -> PathResult:
    t = time.perf_counter()
    analysis, heard = analyze_heard(analyzer, path)
    wall = time.perf_counter() - t
    segments = [HypSegment(s.speaker, s.start, s.end, s.text,
                           _words(s.start, s.end, s.text, [(w.start, w.end, w.text) for w in s.words]))
                for s in heard]
    extra = {"flags": list(analysis.score.flags)}
    heard_share = getattr(analysis.metrics, "speech_heard_share", None)  # None before it was measured
    if heard_share is not None:
        extra["speech_heard_share"] = heard_share
    return PathResult(segments, wall, {c.id: c.result for c in analysis.criteria},
                      {c.id: c.reason for c in analysis.criteria}, extra)


def _words(start: float, end: float, text: str,
           words: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """A segment's timed words; without word times, its text spread evenly over the segment."""
    if words:
        return words
    parts = text.split()
    step = (end - start) / max(len(parts), 1)
    return [(start + i * step, start + (i + 1) * step, w) for i, w in enumerate(parts)]


def run_plain(model, channels: list[tuple[str, object]], beam_size: int) -> PathResult:
    """faster-whisper's ``transcribe()`` with its defaults, language and beam as the product's; word
    timestamps on, only so that the two channels' words can be put in time order for the WER."""
    segments: list[HypSegment] = []
    t = time.perf_counter()
    for speaker, samples in channels:
        segs, _ = model.transcribe(samples, language="en", beam_size=beam_size, word_timestamps=True)
        for s in segs:
            if s.text.strip():
                words = [(w.start, w.end, w.word.strip()) for w in s.words or () if w.word.strip()]
                segments.append(HypSegment(speaker, s.start, s.end, s.text.strip(),
                                           _words(s.start, s.end, s.text, words)))
    return PathResult(segments, time.perf_counter() - t)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def summarise(rows: list[dict], path: str) -> dict:
    got = [r[path] for r in rows if path in r]
    if not got:
        return {}
    def total(key: str, sub: str) -> float:
        return sum(g[key][sub] for g in got)

    out = {
        "wer": _ratio(total("all", "edits"), total("all", "words")),
        "coverage": _ratio(total("coverage", "covered_s"), total("coverage", "speech_s")),
        "role_error": _ratio(total("role", "wrong_s"), total("role", "word_s")),
        "speed_x": _ratio(sum(r["audio_s"] for r in rows if path in r), sum(g["wall_s"] for g in got)),
    }
    for party in PARTIES:
        out[f"wer_{party}"] = _ratio(total(party, "edits"), total(party, "words"))
        out[f"coverage_{party}"] = _ratio(total(party, "covered_s"), total(party, "speech_s"))
    judged = [(r["labels"][k], g["verdicts"][k]) for r, g in zip([r for r in rows if path in r], got)
              if "verdicts" in g for k in r["labels"]]
    if judged:
        out["verdicts_equal"] = sum(want == have for want, have in judged)
        out["verdicts"] = len(judged)
        out["false_fails"] = sum(want == "pass" and have == "fail" for want, have in judged)
        out["false_passes"] = sum(want == "fail" and have == "pass" for want, have in judged)
        out["unknown"] = sum(have == "unknown" for _, have in judged)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=str(REPO.parent / "shared" / "eval" / "hvb_dev"))
    parser.add_argument("--calls", nargs="*", help="only these call ids")
    parser.add_argument("--no-baseline", action="store_true", help="skip plain faster-whisper")
    parser.add_argument("--no-mono", action="store_true", help="skip the mono mix")
    parser.add_argument("--brand", action="append", default=[],
                        help="judge as a centre that answers for this name (the scorecard's English brands "
                             "replaced by it, as a deployment lists its own), "
                             "e.g. --brand 'Harper Valley National Bank'")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads of the analysis (asr_cpu_threads; 0: as configured, else every core). "
                             "The nightly flow gives each of its analyses its share of the cores: 1 each on 2 cores")
    parser.add_argument("--batch-size", type=int, default=0, help="asr_batch_size (0: the configured value)")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "real_calls.json"))
    args = parser.parse_args()

    import numpy as np
    import soundfile as sf

    from pipeline.speech.audio import decode
    from usecases.runtime import build_analyzer
    from usecases.settings import load_settings

    folder = Path(args.dir)
    if not folder.is_dir():
        print(f"no real calls at {folder} (../shared/eval/hvb_dev beside the repository)", file=sys.stderr)
        return 2
    calls = [c for c in load_real_calls(folder) if not args.calls or c.call_id in args.calls]
    # 0 (not given): the configuration's own values stand (load_settings skips None).
    settings = load_settings(language="en", asr_cpu_threads=args.threads or None,
                             asr_batch_size=args.batch_size or None)
    deployment = tempfile.TemporaryDirectory()
    if args.brand:
        card = scorecard_with_brands(settings.judging.scorecard, {"en": args.brand}, Path(deployment.name),
                                     settings.judging.scorecards_dir)
        settings = replace(settings, judging=replace(settings.judging, scorecard=str(card)))
    analyzer = build_analyzer(settings)
    model = analyzer.recognizer._model  # the same CTranslate2 model object: same weights, same threads
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for call in calls:
            audio = decode(call.path)
            row: dict = {"call": call.call_id, "audio_s": round(audio.duration_s, 2), "labels": call.labels}
            row["stereo"] = measure(call, run_product(analyzer, call.path), audio.duration_s)
            if not args.no_mono:
                raw, sr = sf.read(call.path, dtype="float32", always_2d=True)
                mono_path = Path(tmp) / f"{call.call_id}.mono.flac"
                sf.write(mono_path, raw.mean(axis=1), sr)
                row["mono"] = measure(call, run_product(analyzer, mono_path), audio.duration_s)
            if not args.no_baseline:
                channels = [("operator", audio.channel(0)), ("customer", audio.channel(1))]
                row["fw_channels"] = measure(call, run_plain(model, channels, settings.asr.beam_size), audio.duration_s)
                if not args.no_mono:
                    mix = np.ascontiguousarray(audio.mono(), dtype=np.float32)
                    row["fw_mono"] = measure(call, run_plain(model, [("unknown", mix)], settings.asr.beam_size),
                                             audio.duration_s)
            rows.append(row)
            _print_call(row)
    summary = {path: summarise(rows, path) for path in ("stereo", "mono", "fw_channels", "fw_mono")}
    summary = {k: v for k, v in summary.items() if v}
    print()
    print(f"{'path':<12}{'WER':>7}{'op':>7}{'cust':>7}{'cover':>7}{'c.op':>7}{'c.cust':>7}{'roles':>7}{'x rt':>7}"
          "  verdicts")
    for path, s in summary.items():
        verdicts = (f"{s['verdicts_equal']}/{s['verdicts']} equal, false fails {s['false_fails']}, "
                    f"false passes {s['false_passes']}, unknown {s['unknown']}") if "verdicts" in s else ""
        print(f"{path:<12}{s['wer']:>7.3f}{s['wer_operator']:>7.3f}{s['wer_customer']:>7.3f}{s['coverage']:>7.3f}"
              f"{s['coverage_operator']:>7.3f}{s['coverage_customer']:>7.3f}{s['role_error']:>7.3f}{s['speed_x']:>7.1f}"
              f"  {verdicts}")
    if "stereo" in summary and "mono" in summary:
        worse = [r["call"] for r in rows if _call_wer(r["stereo"]) > _call_wer(r["mono"]) + 0.02]
        print(f"calls where stereo WER is worse than the mono mix by more than 0.02: {worse or 'none'}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"brands": args.brand, "rows": rows, "summary": summary}, indent=2, ensure_ascii=False))
    print(f"wrote {out}")
    return 0


def _call_wer(m: dict) -> float:
    return m["all"]["edits"] / max(m["all"]["words"], 1)


def _print_call(row: dict) -> None:
    parts = []
    for path in ("stereo", "mono", "fw_channels", "fw_mono"):
        if path in row:
            m = row[path]
            cover = m["coverage"]["covered_s"] / m["coverage"]["speech_s"]
            parts.append(f"{path} {_call_wer(m):.3f} (cover {cover:.2f})")
    print(f"{row['call']} {row['audio_s']:>5.1f}s  " + "  ".join(parts))
    for path in ("stereo", "mono"):
        wrong = {k: f"{row['labels'][k]}->{v}" for k, v in row.get(path, {}).get("verdicts", {}).items()
                 if k in row["labels"] and v != row["labels"][k]}
        for k, v in wrong.items():
            print(f"    {path} {k}: {v}  ({row[path]['reasons'][k]})")


if __name__ == "__main__":
    sys.exit(main())
