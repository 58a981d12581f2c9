"""Speed of `callqa analyze` on the bundled sample calls, against plain faster-whisper in the same run.

    .venv/bin/python benchmarks/analyze_speed.py [--repeat 2] [--json benchmarks/results/analyze_speed.json]

Prints audio seconds per wall second for each call and stage, end to end, and
the ratio to the baseline: faster-whisper's own transcribe() over the same
audio with the same weights (16 kHz mono mix, same beam size, VAD on). The
machine is shared and noisy, so compare the ratio rather than absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs per file; the median is reported")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "analyze_speed.json"))
    parser.add_argument("paths", nargs="*", help="recordings (default: samples/calls/*.flac)")
    args = parser.parse_args()

    from pipeline.speech.audio import decode
    from usecases.runtime import build_analyzer
    from usecases.settings import load_settings

    paths = [Path(p) for p in args.paths] or sorted((REPO / "samples" / "calls").glob("*.flac"))
    settings = load_settings()
    t0 = time.perf_counter()
    analyzer = build_analyzer(settings)
    load_s = time.perf_counter() - t0
    model = analyzer.recognizer._model  # the very same loaded weights, for the baseline

    rows = []
    for path in paths:
        audio = decode(path)
        ours, base, stages = [], [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = analyzer.analyze(path)
            ours.append(time.perf_counter() - t)
            stages.append(result.timings_s)
            t = time.perf_counter()
            segments, _ = model.transcribe(audio.mono(), language=result.language, beam_size=settings.asr.beam_size,
                                           vad_filter=True)
            list(segments)
            base.append(time.perf_counter() - t)
        wall, baseline = statistics.median(ours), statistics.median(base)
        rows.append(
            {
                "file": path.name,
                "audio_s": round(result.duration_s, 2),
                "channels": result.channels,
                "wall_s": round(wall, 3),
                "speed_x": round(result.duration_s / wall, 2),
                "baseline_wall_s": round(baseline, 3),
                "baseline_speed_x": round(result.duration_s / baseline, 2),
                "ratio_vs_baseline": round(baseline / wall, 3),
                "stages_s": {k: round(statistics.median(s[k] for s in stages), 3) for k in stages[0]},
            }
        )

    total_audio = sum(r["audio_s"] for r in rows)
    total_wall = sum(r["wall_s"] for r in rows)
    total_base = sum(r["baseline_wall_s"] for r in rows)
    print(f"{'file':<24}{'ch':>3}{'audio s':>9}{'wall s':>8}{'x rt':>7}{'base s':>8}{'base x':>8}{'ratio':>7}"
          "   stages (decode/transcribe/score s)")
    for r in rows:
        st = r["stages_s"]
        print(
            f"{r['file']:<24}{r['channels']:>3}{r['audio_s']:>9.1f}{r['wall_s']:>8.2f}{r['speed_x']:>7.1f}"
            f"{r['baseline_wall_s']:>8.2f}{r['baseline_speed_x']:>8.1f}{r['ratio_vs_baseline']:>7.2f}   "
            f"{st['decode_s']:.2f}/{st['transcribe_s']:.2f}/{st['score_s']:.2f}"
        )
    print(
        f"{'total':<24}{'':>3}{total_audio:>9.1f}{total_wall:>8.2f}{total_audio / total_wall:>7.1f}"
        f"{total_base:>8.2f}{total_audio / total_base:>8.1f}{total_base / total_wall:>7.2f}"
    )
    print(f"model load {load_s:.1f} s; {os.cpu_count()} CPUs; {platform.processor() or platform.machine()}; "
          f"device {analyzer.recognizer.device}/{analyzer.recognizer.compute_type}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows,
                               "total": {"audio_s": total_audio, "wall_s": total_wall, "baseline_wall_s": total_base,
                                         "speed_x": total_audio / total_wall,
                                         "ratio_vs_baseline": total_base / total_wall},
                               "model_load_s": load_s, "cpus": os.cpu_count()}, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
