"""Diarization quality and speed: DER on the evaluation audio, role error on the mono sample calls.

    .venv/bin/python benchmarks/diarization.py [--json benchmarks/results/diarization.json] [--eval-dir ../shared/eval]

DER is pyannote.metrics' DiarizationErrorRate, without a collar and with a 0.25 s
collar, each file with its speaker count given and estimated. Role error is the
share of word time given the wrong role (``unknown`` counts as wrong) on the
bundled mono calls, their truth turns merged in pairs (as ASR merges turns) with
word times spread over each turn. Speed is audio seconds per wall second of
``Diarizer.diarize`` (models already loaded; the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _annotation(result):
    from pyannote.core import Annotation, Segment

    out = Annotation()
    for t in result.turns:
        out[Segment(t.start, t.end)] = t.speaker
    return out


def _der(result, reference, uem) -> tuple[float, float]:
    from pyannote.metrics.diarization import DiarizationErrorRate

    hypothesis = _annotation(result)
    return tuple(round(100 * DiarizationErrorRate(collar=c)(reference, hypothesis, uem=uem), 2)
                 for c in (0.0, 0.25))


def _spread_words(text: str, start: float, end: float):
    from pipeline.records import Word

    tokens = text.split()
    weights = np.array([len(t) + 1 for t in tokens], dtype=float)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return tuple(Word(float(a), float(b) - 0.02, t, 0.9) for t, a, b in zip(tokens, edges, edges[1:]))


def role_error(truth_path: Path, diarizer) -> dict:
    from pipeline.records import Segment
    from pipeline.speech.audio import MODEL_SAMPLE_RATE, decode
    from pipeline.speech.speakers import MonoSpeakerOptions, label_mono_speakers

    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    audio = decode(truth_path.parent / truth["file"]).mono()
    turns, segments, expected = truth["turns"], [], {}
    for i in range(0, len(turns), 2):
        words = []
        for t in turns[i : i + 2]:
            for w in _spread_words(t["text"], t["start"], t["end"]):
                expected[(w.start, w.text)] = t["speaker"]
                words.append(w)
        segments.append(Segment("unknown", words[0].start, words[-1].end, " ".join(w.text for w in words),
                                tuple(words)))
    out, method = label_mono_speakers(audio, MODEL_SAMPLE_RATE, segments, truth["language"], diarizer,
                                      MonoSpeakerOptions(num_speakers=2))
    total = wrong = unknown = 0.0
    for seg in out:
        for w in seg.words:
            d = w.end - w.start
            total += d
            wrong += d * (seg.speaker != expected[(w.start, w.text)])
            unknown += d * (seg.speaker == "unknown")
    return {
        "file": truth["file"], "method": method, "role_error_pct": round(100 * wrong / total, 1),
        "unknown_pct": round(100 * unknown / total, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "diarization.json"))
    parser.add_argument("--eval-dir", default=os.environ.get("CALLQA_EVAL_DIR", str(REPO.parent / "shared" / "eval")))
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    from pyannote.core import Segment, Timeline
    from pyannote.database.util import load_rttm, load_uem

    from models.diarization import load_diarizer
    from pipeline.speech.audio import MODEL_SAMPLE_RATE, decode

    folder = Path(args.eval_dir) / "diarization"
    t0 = time.perf_counter()
    diarizer = load_diarizer()
    load_s = time.perf_counter() - t0
    ami = load_rttm(str(folder / "ami_debug.development.rttm"))
    ami_uem = load_uem(str(folder / "ami_debug.development.uem"))
    cases = [("sample.wav", next(iter(load_rttm(str(folder / "sample.rttm")).values())), None)]
    cases += [(f"ami_{uri}.wav", ami[uri], ami_uem[uri]) for uri in ("dev00", "dev01")]

    rows = []
    for name, reference, uem in cases:
        audio = decode(folder / name).mono()
        duration = len(audio) / MODEL_SAMPLE_RATE
        count = len(reference.labels())
        uem = uem or Timeline([Segment(0, duration)])
        for given in (count, None):
            t = time.perf_counter()
            result = diarizer.diarize(audio, num_speakers=given)
            wall = time.perf_counter() - t
            no_collar, collar = _der(result, reference, uem)
            rows.append({
                "file": name, "num_speakers": given if given else "estimated", "found": len(result.speakers),
                "der_pct": no_collar, "der_collar_0.25_pct": collar, "audio_s": round(duration, 2),
                "wall_s": round(wall, 2), "speed_x": round(duration / wall, 1),
            })
    print(f"{'file':<16} {'count':>9} {'found':>5} {'DER %':>7} {'DER@.25 %':>9} {'x realtime':>10}")
    for r in rows:
        print(f"{r['file']:<16} {r['num_speakers']!s:>9} {r['found']:>5} {r['der_pct']:>7.1f} "
              f"{r['der_collar_0.25_pct']:>9.1f} {r['speed_x']:>10.1f}")

    roles = [role_error(p, diarizer) for p in sorted((REPO / "samples" / "calls").glob("*mono*.truth.json"))]
    print(f"\n{'mono call':<22} {'role error %':>12} {'unknown %':>9}")
    for r in roles:
        print(f"{r['file']:<22} {r['role_error_pct']:>12.1f} {r['unknown_pct']:>9.1f}")
    audio_s = sum(r["audio_s"] for r in rows)
    wall_s = sum(r["wall_s"] for r in rows)
    print(f"\nspeed: {audio_s / wall_s:.1f} s of audio per wall second ({os.cpu_count()} cores); "
          f"models loaded in {load_s:.1f} s")

    out = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "diarizer": diarizer.name,
        "load_s": round(load_s, 2),
        "der": rows,
        "roles": roles,
        "speed_x": round(audio_s / wall_s, 1),
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
