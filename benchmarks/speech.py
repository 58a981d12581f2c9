"""Speech layer accuracy and speed: WER, role error, per-stage speed, and plain-Whisper baselines.

    .venv/bin/python benchmarks/speech.py [--eval-dir ../shared/eval] [--set DIR] [--no-openai]
        [--json benchmarks/results/speech.json]

For each recording (the real ones in ../shared/eval/asr and /stereo, and the bundled
sample calls, or the calls with a *.truth.json in --set DIR, e.g. the set made by
benchmarks/datasets/make_synthetic_set.py) it runs the full pipeline (`CallAnalyzer.analyze`: VAD, guards,
crosstalk gate, ASR, diarization and roles) and, in the same run on the same audio
with the same weights, plain faster-whisper `transcribe()` and plain openai-whisper
`transcribe()` on the mono mix. It prints WER (lower case, no punctuation, ё→е),
role error (share of word time given the wrong role; `unknown` counts as wrong),
audio seconds per wall second for each stage and end to end, and the speed ratios.
For calls with a truth file it also compares the pipeline's criteria verdicts with the
truth's expected_criteria (summary `criteria_agreement`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

EVAL_REFERENCES = {
    "asr/jfk.flac": ("en", {"all": "And so my fellow Americans, ask not what your country can do for you, "
                                   "ask what you can do for your country."}),
    "asr/ru_pisets.wav": ("ru", {"all": "нейронные сети это хорошо"}),
    "stereo/stereo_diarization.wav": (
        "en",
        {
            "operator": "He began a confused complaint against the wizard, "
                        "who had vanished behind the curtain on the left.",
            "customer": "The horizon seems extremely distant.",
        },
    ),
}


def role_error(analysis, turns: list[dict]) -> float:
    """Share of recognised word time whose role differs from the truth turn it falls in."""
    wrong = total = 0.0
    for seg in analysis.segments:
        for w in seg.words:
            mid = (w.start + w.end) / 2
            truth = next((t["speaker"] for t in turns if t["start"] - 0.3 <= mid <= t["end"] + 0.3), None)
            if truth is None:
                continue
            d = max(w.end - w.start, 0.01)
            total += d
            wrong += d if seg.speaker != truth else 0.0
    return wrong / total if total else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", default=str(REPO.parent / "shared" / "eval"))
    parser.add_argument("--no-openai", action="store_true", help="skip the slow openai-whisper baseline")
    parser.add_argument("--set", default=str(REPO / "samples" / "calls"),
                        help="folder of calls with *.truth.json (default: the bundled samples/calls)")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "speech.json"))
    args = parser.parse_args()

    import whisper

    from benchmarks.evaluation import analyze_heard, word_error_rate
    from models.weights import openai_whisper_checkpoint, resolve_whisper
    from models.whisper_convert import convert_ct2_to_openai
    from pipeline.speech.audio import decode
    from usecases.runtime import build_analyzer
    from usecases.settings import load_settings

    settings = load_settings()
    analyzer = build_analyzer(settings)
    fw_model = analyzer.recognizer._model
    ow_model = None
    if not args.no_openai:
        pt = openai_whisper_checkpoint(settings.asr.model, settings.asr.models_dir)
        if not pt.is_file():
            convert_ct2_to_openai(resolve_whisper(settings.asr.model, settings.asr.models_dir).path, pt)
        ow_model = whisper.load_model(str(pt), device="cpu")

    items: list[tuple[Path, str, dict, list | None]] = []
    eval_dir = Path(args.eval_dir)
    if eval_dir.is_dir():
        for rel, (lang, refs) in EVAL_REFERENCES.items():
            items.append((eval_dir / rel, lang, refs, None))
    else:
        print(f"note: {eval_dir} not found, benchmarking the sample calls only")
    expected: dict[Path, dict] = {}
    for truth_path in sorted(Path(args.set).glob("*.truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        refs = {"all": " ".join(t["text"] for t in truth["turns"])}
        refs["operator"] = " ".join(t["text"] for t in truth["turns"] if t["speaker"] == "operator")
        refs["customer"] = " ".join(t["text"] for t in truth["turns"] if t["speaker"] == "customer")
        items.append((truth_path.parent / truth["file"], truth["language"], refs, truth["turns"]))
        expected[truth_path.parent / truth["file"]] = truth.get("expected_criteria") or {}

    rows = []
    for path, lang, refs, turns in items:
        audio = decode(path)
        t = time.perf_counter()
        a, heard = analyze_heard(analyzer, path)
        wall = time.perf_counter() - t
        texts = {"all": " ".join(s.text for s in heard)}
        for role in ("operator", "customer"):
            texts[role] = " ".join(s.text for s in heard if s.speaker == role)
        row = {
            "file": path.name,
            "language": lang,
            "channels": a.channels,
            "audio_s": round(a.duration_s, 2),
            "speaker_method": a.transcript.speaker_method,
            "wer": {k: round(word_error_rate(ref, texts[k]), 3) for k, ref in refs.items()},
            "role_error": round(role_error(a, turns), 3) if turns else None,
            "wall_s": round(wall, 3),
            "speed_x": round(a.duration_s / wall, 2),
            "stages_x": {k[:-2]: round(a.duration_s / v, 1)
                         for k, v in a.timings_s.items() if v > 0 and k != "total_s"},
        }
        if expected.get(path):
            got = {c.id: c.result for c in a.criteria}
            row["criteria_wrong"] = {k: f"{want}->{got.get(k)}"
                                     for k, want in expected[path].items() if got.get(k) != want}
        mix = audio.mono()
        t = time.perf_counter()
        segs, _ = fw_model.transcribe(mix, language=lang, beam_size=settings.asr.beam_size)
        fw_text = " ".join(s.text.strip() for s in segs)
        fw_wall = time.perf_counter() - t
        fw_wer = word_error_rate(refs.get("all", refs.get("operator", "")), fw_text)
        row["faster_whisper_plain"] = {"wall_s": round(fw_wall, 3),
                                       "wer_all": round(fw_wer, 3) if "all" in refs else None}
        row["ratio_vs_faster_whisper"] = round(fw_wall / wall, 2)
        if ow_model is not None:
            t = time.perf_counter()
            out = whisper.transcribe(ow_model, mix, language=lang, beam_size=settings.asr.beam_size, best_of=5,
                                     fp16=False, verbose=None)
            ow_wall = time.perf_counter() - t
            row["openai_whisper_plain"] = {"wall_s": round(ow_wall, 3),
                                           "wer_all": round(word_error_rate(refs["all"], out["text"]), 3)
                                           if "all" in refs else None}
            row["ratio_vs_openai_whisper"] = round(ow_wall / wall, 2)
        rows.append(row)

    print(f"{'file':<28}{'ch':>3}{'audio':>7}{'x rt':>6}{'WER all':>9}{'WER op':>8}{'role err':>9}"
          f"{'vs fw':>7}{'vs ow':>7}  stages (x real time)")
    for r in rows:
        wer = r["wer"]
        print(
            f"{r['file']:<28}{r['channels']:>3}{r['audio_s']:>7.1f}{r['speed_x']:>6.1f}"
            f"{wer.get('all', float('nan')):>9.3f}{wer.get('operator', float('nan')):>8.3f}"
            f"{(r['role_error'] if r['role_error'] is not None else float('nan')):>9.3f}"
            f"{r['ratio_vs_faster_whisper']:>7.2f}{r.get('ratio_vs_openai_whisper', float('nan')):>7.2f}  "
            + " ".join(f"{k}={v}" for k, v in r["stages_x"].items())
        )
    samples = [r for r in rows if r["role_error"] is not None]
    summary = {}
    for group, pick in {
        "ru_stereo": lambda r: r["language"] == "ru" and r["channels"] == 2,
        "ru_mono": lambda r: r["language"] == "ru" and r["channels"] == 1,
        "en_stereo": lambda r: r["language"] == "en" and r["channels"] == 2,
        "en_mono": lambda r: r["language"] == "en" and r["channels"] == 1,
    }.items():
        chosen = [r for r in samples if pick(r)]
        if chosen:
            def mean(values):
                values = [v for v in values if v is not None]
                return round(sum(values) / len(values), 3) if values else None
            summary[group] = {
                "calls": len(chosen),
                "wer_all": mean(r["wer"]["all"] for r in chosen),
                "wer_operator": mean(r["wer"].get("operator") for r in chosen),
                "wer_customer": mean(r["wer"].get("customer") for r in chosen),
                # the baseline in the same run: plain faster-whisper on the mono mix, same weights
                "wer_all_plain_faster_whisper": mean(r["faster_whisper_plain"]["wer_all"] for r in chosen),
                "role_error": mean(r["role_error"] for r in chosen),
            }
    mono = [r for r in samples if r["channels"] == 1]
    if mono:
        audio = sum(r["audio_s"] for r in mono)
        summary["mono_end_to_end_x"] = round(audio / sum(r["wall_s"] for r in mono), 2)
        summary["mono_ratio_vs_faster_whisper"] = round(sum(r["faster_whisper_plain"]["wall_s"] for r in mono)
                                                        / sum(r["wall_s"] for r in mono), 2)
        if ow_model is not None:
            summary["mono_ratio_vs_openai_whisper"] = round(sum(r["openai_whisper_plain"]["wall_s"] for r in mono)
                                                            / sum(r["wall_s"] for r in mono), 2)
    judged = [r for r in samples if "criteria_wrong" in r]
    if judged:
        n_crit = sum(len(expected[p]) for p in expected if expected[p])
        summary["criteria_agreement"] = {
            "calls_all_match": sum(not r["criteria_wrong"] for r in judged),
            "calls": len(judged),
            "criteria_match": n_crit - sum(len(r["criteria_wrong"]) for r in judged),
            "criteria": n_crit,
        }
        for r in judged:
            if r["criteria_wrong"]:
                print(f"criteria differ from truth: {r['file']}: "
                      + ", ".join(f"{k} {v}" for k, v in r["criteria_wrong"].items()))
    print("sample-call summary:", json.dumps(summary))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "summary": summary}, indent=2, ensure_ascii=False))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
