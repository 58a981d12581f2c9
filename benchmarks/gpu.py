"""The GPU path against the CPU path: same weights, same calls, one run, one machine (issue #20).

    .venv/bin/python benchmarks/gpu.py [--calls ../shared/eval/hvb_dev] [--flow-inbox samples/calls]
                                       [--batch-size 16] [--skip-flow] [--json benchmarks/results/gpu.json]

On a machine with a CUDA GPU that CTranslate2 can use, in one run:

1. **Recognition alone.** Each channel of each call (``--calls``: stereo recordings, with human
   transcripts where the folder is ``hvb_dev``) through faster-whisper ``transcribe()`` (beam 5,
   language given, VAD on, word timestamps): on the CPU (int8, all cores), on the GPU (float16, one
   chunk at a time) and on the GPU batched (``BatchedInferencePipeline``, ``--batch-size``). Audio
   seconds per wall second, the ratio to the CPU, and the WER against the transcript where there is one.
2. **The product, call by call.** ``CallAnalyzer.analyze`` with ``asr_device`` ``cpu`` and ``cuda``
   on the same calls: speed, WER on the words heard (before masking), and the verdicts that differ.
3. **The nightly flow.** ``callqa run`` over ``--flow-inbox`` into a fresh database with
   ``CALLQA_ASR_DEVICE=cpu`` and ``cuda``: audio hours per hour of each, and the GPU's peak memory
   (``nvidia-smi``, sampled twice a second).

Diarization runs on the CPU in every path: its segmentation model is ONNX on onnxruntime's CPU
provider and its voice embeddings are small. The figures say so.

Without a usable GPU it says what is missing and exits 2: the GPU path is then unmeasured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

EXIT_NO_GPU = 2


def cuda_problem() -> str | None:
    """Why the GPU path cannot run here, or None when CTranslate2 sees a CUDA device."""
    try:
        import ctranslate2
    except ImportError as err:
        return f"ctranslate2 is not installed: {err}"
    try:
        count = ctranslate2.get_cuda_device_count()
    except Exception as err:  # a wheel built against CUDA libraries this machine lacks
        return f"CTranslate2 cannot reach CUDA: {type(err).__name__}: {err}"
    if count < 1:
        return "CTranslate2 sees no CUDA device (no GPU, no driver, or a CPU-only build)"
    return None


class GpuMemory:
    """Peak GPU memory in MiB while the block runs, sampled with nvidia-smi (None without it)."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.every_s = every_s
        self.peak_mib: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=10).stdout
                used = max(int(v) for v in out.split())
                self.peak_mib = max(self.peak_mib or 0, used)
            except (OSError, ValueError, subprocess.SubprocessError):
                return
            self._stop.wait(self.every_s)

    def __enter__(self) -> "GpuMemory":
        if shutil.which("nvidia-smi"):
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)


def _plain(model, batched, channels, batch_size: int) -> tuple[float, list[str]]:
    """Wall seconds and each channel's text through plain faster-whisper (batched when given)."""
    texts = []
    t = time.perf_counter()
    for samples in channels:
        kwargs = dict(language="en", beam_size=5, vad_filter=True, word_timestamps=True)
        if batched is not None:
            segments, _ = batched.transcribe(samples, batch_size=batch_size, **kwargs)
        else:
            segments, _ = model.transcribe(samples, condition_on_previous_text=False, **kwargs)
        texts.append(" ".join(s.text.strip() for s in segments))
    return time.perf_counter() - t, texts


def recognition(calls, weights: Path, batch_size: int) -> dict:
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from benchmarks.evaluation import word_errors
    from pipeline.speech.audio import decode

    audio = [(call, decode(call.path)) for call in calls]
    channels = [a.channel(i) for _, a in audio for i in range(a.channels)]
    audio_s = sum(len(c) for c in channels) / 16000
    paths = {
        "cpu_int8": (WhisperModel(str(weights), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 0),
                     False),
        "cuda_float16": (WhisperModel(str(weights), device="cuda", compute_type="float16"), False),
    }
    paths["cuda_float16_batched"] = (paths["cuda_float16"][0], True)
    out: dict = {"channel_audio_s": round(audio_s, 1), "batch_size": batch_size}
    for name, (model, batched) in paths.items():
        pipeline = BatchedInferencePipeline(model) if batched else None
        _plain(model, pipeline, channels[:1], batch_size)  # warm: CUDA kernels, allocator
        with GpuMemory() as memory:
            wall, texts = _plain(model, pipeline, channels, batch_size)
        edits = words = first = 0
        for call, a in audio:  # a stereo call's channels: operator left, caller right
            if call.turns and a.channels == 2:
                for party, text in zip(("operator", "customer"), texts[first:first + 2]):
                    e, n = word_errors(call.reference(party), text, "en")
                    edits, words = edits + e, words + n
            first += a.channels
        out[name] = {"wall_s": round(wall, 2), "speed_x": round(audio_s / wall, 1),
                     "wer": round(edits / words, 3) if words else None, "gpu_peak_mib": memory.peak_mib}
        print(f"  {name:<22} {audio_s / wall:7.1f}x real time   WER {out[name]['wer']}   "
              f"GPU peak {memory.peak_mib} MiB", flush=True)
    base = out["cpu_int8"]["wall_s"]
    for name in paths:
        out[name]["vs_cpu"] = round(base / out[name]["wall_s"], 2)
    return out


def product(calls, settings_for) -> dict:
    """``benchmarks/real_calls.py``'s product path and measures, once per device."""
    from benchmarks.real_calls import measure, run_product, summarise
    from pipeline.speech.audio import decode
    from usecases.runtime import build_analyzer

    durations = {call.call_id: decode(call.path).duration_s for call in calls}
    rows = [{"call": call.call_id, "audio_s": durations[call.call_id], "labels": call.labels} for call in calls]
    for device in ("cpu", "cuda"):
        analyzer = build_analyzer(settings_for(device))
        analyzer.analyze(calls[0].path)  # warm
        for call, row in zip(calls, rows):
            row[device] = measure(call, run_product(analyzer, call.path), durations[call.call_id])
    out: dict = {device: summarise(rows, device) for device in ("cpu", "cuda")}
    for device in ("cpu", "cuda"):
        print(f"  product on {device:<5} {out[device]['speed_x']:7.1f}x real time   WER {out[device]['wer']}",
              flush=True)
    out["cuda_vs_cpu"] = round(out["cuda"]["speed_x"] / out["cpu"]["speed_x"], 2)
    out["verdicts_that_differ"] = [
        (row["call"], criterion, got, row["cuda"]["verdicts"].get(criterion))
        for row in rows for criterion, got in row["cpu"]["verdicts"].items()
        if row["cuda"]["verdicts"].get(criterion) != got]
    return out


def nightly(inbox: Path, models_dir: Path) -> dict:
    import soundfile as sf

    audio_s = sum(sf.info(p).duration for p in inbox.rglob("*") if p.suffix in {".flac", ".wav", ".mp3"})
    out: dict = {"calls_audio_min": round(audio_s / 60, 1)}
    for device in ("cpu", "cuda"):
        with tempfile.TemporaryDirectory() as work:
            env = dict(os.environ, PYTHONPATH=str(REPO), CALLQA_ASR_DEVICE=device, CALLQA_MODELS_DIR=str(models_dir),
                       CALLQA_SETTLE_S="0", CALLQA_SAMPLE_PER_STRATUM="0", PREFECT_HOME=str(Path(work) / "prefect"))
            env.pop("PREFECT_API_URL", None)
            t = time.perf_counter()
            with GpuMemory() as memory:
                proc = subprocess.run([sys.executable, "-m", "callqa", "run", "--inbox", str(inbox),
                                       "--db", str(Path(work) / "callqa.duckdb")],
                                      env=env, cwd=work, capture_output=True, text=True)
            wall = time.perf_counter() - t
        if proc.returncode != 0:
            out[device] = {"error": proc.stderr[-2000:]}
            print(f"  nightly on {device}: failed\n{proc.stderr[-2000:]}", flush=True)
            continue
        out[device] = {"wall_s": round(wall, 1), "audio_hours_per_hour": round(audio_s / wall, 1),
                       "gpu_peak_mib": memory.peak_mib}
        print(f"  nightly on {device:<5} {audio_s / wall:7.1f} audio hours per hour ({wall:.0f} s, models loaded "
              f"in the run)   GPU peak {memory.peak_mib} MiB", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default=str(REPO.parent / "shared" / "eval" / "hvb_dev"))
    parser.add_argument("--flow-inbox", default=str(REPO / "samples" / "calls"))
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--skip-flow", action="store_true", help="leave out the nightly flow (part 3)")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "gpu.json"))
    args = parser.parse_args()

    problem = cuda_problem()
    if problem is not None:
        print(f"gpu.py: no usable GPU here, the GPU path stays unmeasured: {problem}", file=sys.stderr)
        return EXIT_NO_GPU

    from benchmarks.evaluation import load_real_calls
    from models.weights import resolve_whisper
    from usecases.settings import load_settings

    settings = load_settings(language="en")
    weights = resolve_whisper(settings.asr.model, settings.asr.models_dir, allow_download=False).path
    calls = load_real_calls(Path(args.calls))
    if not calls:
        print(f"gpu.py: no calls in {args.calls}", file=sys.stderr)
        return EXIT_NO_GPU
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                         capture_output=True, text=True).stdout.strip() if shutil.which("nvidia-smi") else "unknown"
    report: dict = {"machine": {"gpu": gpu, "cpu_cores": os.cpu_count(), "python": platform.python_version()},
                    "weights": weights.name, "calls": len(calls)}
    print(f"GPU: {gpu}; {os.cpu_count()} CPU cores; weights {weights.name}; {len(calls)} calls")
    print("1. recognition alone (plain faster-whisper, each channel)")
    report["recognition"] = recognition(calls, weights, args.batch_size)
    print("2. the product call by call (diarization on the CPU in both)")
    report["product"] = product(calls, lambda device: replace(
        settings, asr=replace(settings.asr, device=device, compute_type="auto", batch_size=0)))
    if not args.skip_flow:
        print("3. the nightly flow (`callqa run`)")
        report["nightly"] = nightly(Path(args.flow_inbox), Path(settings.asr.models_dir))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
