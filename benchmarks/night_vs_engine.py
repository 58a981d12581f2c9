"""The nightly flow against the bare engine: audio hours per hour of `callqa run` over real calls, and
of plain faster-whisper over the mono mix of the same calls, in the same run on the same machine.

    .venv/bin/python benchmarks/night_vs_engine.py [--dir ../shared/eval/hvb_dev] [--copies 4]
        [--workers 1 2] [--dask 2] [--mono] [--json benchmarks/results/night_vs_engine.json]

The inbox holds ``--copies`` copies of each real call (each with its own bytes: a gain 0.1% apart,
so that none is skipped as already known), as recorded (stereo) or, with ``--mono``, as the mix of
both channels. Then, one after another:

- plain: faster-whisper's ``WhisperModel.transcribe()`` on the mono mix of each file, as issue #20
  defines the bare engine: its own ``vad_filter=True``, the same weights, beam 5, int8, one process
  with a thread per core, the model loaded once (its load is not counted; decoding the file is);
- ``callqa run`` on a fresh database, once per ``--workers`` count (calls analysed at once) and,
  with ``--dask N``, on a local Dask cluster of N workers: the whole command, Prefect's start and the
  models' loads included. Peak memory is the largest sum of the resident sets of the command and
  every process under it.

Both are judged as Harper Valley Bank's centre would (the scorecard's English brand
replaced by its name, language English); the flow's verdicts are compared with the reviewer's labels.
Word error rates of these paths are ``benchmarks/real_calls.py``'s (same settings, ``--threads``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
WORK = REPO / "benchmarks" / "data" / "night_vs_engine"
BRAND = "Harper Valley"  # as benchmarks/real_calls.py --brand: the name counts as the company

from benchmarks.evaluation import RealCall, load_real_calls, scorecard_with_brands, word_errors  # noqa: E402


def make_inbox(calls: list[RealCall], copies: int, mono: bool, inbox: Path) -> list[tuple[Path, RealCall]]:
    import numpy as np
    import soundfile as sf

    if inbox.exists():
        shutil.rmtree(inbox)
    inbox.mkdir(parents=True)
    files = []
    for copy in range(copies):
        for call in calls:
            audio, rate = sf.read(call.path, dtype="float32", always_2d=True)
            if mono:
                audio = audio.mean(axis=1, keepdims=True)
            target = inbox / f"{call.call_id}-{copy}.flac"
            sf.write(target, np.clip(audio * (1.0 - 0.001 * copy), -1, 1), rate, subtype="PCM_16")
            files.append((target, call))
    return files


def plain_engine(files: list[tuple[Path, RealCall]], models_dir: Path, threads: int) -> dict:
    from faster_whisper import WhisperModel

    from pipeline.speech.audio import decode

    t0 = time.perf_counter()
    model = WhisperModel(str(models_dir / "faster-whisper-base"), device="cpu", compute_type="int8",
                         cpu_threads=threads)
    load_s = time.perf_counter() - t0
    edits = words = 0
    audio_s = 0.0
    t1 = time.perf_counter()
    for path, call in files:
        audio = decode(path)
        audio_s += audio.duration_s
        segments, _ = model.transcribe(audio.mono(), language="en", beam_size=5, vad_filter=True)
        e, n = word_errors(call.reference(), " ".join(s.text for s in segments), "en")
        edits, words = edits + e, words + n
    wall = time.perf_counter() - t1
    return {"load_s": round(load_s, 1), "wall_s": round(wall, 1), "audio_s": round(audio_s, 1),
            "audio_hours_per_hour": round(audio_s / wall, 2), "wer": round(edits / max(words, 1), 3)}


class PeakMemory:
    """The largest sum of resident sets of a process and all its descendants, sampled twice a second."""

    def __init__(self, pid: int) -> None:
        import psutil

        self._root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.5):
            try:
                procs = [self._root, *self._root.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def nightly_run(name: str, inbox: Path, env: dict[str, str], extra: list[str],
                files: list[tuple[Path, RealCall]]) -> dict:
    import duckdb

    folder = WORK / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    db = folder / "callqa.duckdb"
    cmd = [sys.executable, "-m", "callqa", "run", "--inbox", str(inbox), "--db", str(db), "--no-progress", *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=dict(env, PREFECT_HOME=str(folder / "prefect")), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    memory = PeakMemory(proc.pid)
    output, _ = proc.communicate()
    command_s = time.perf_counter() - t0
    peak = memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"callqa run ({name}) failed ({proc.returncode}):\n{output[-3000:]}")
    labels = {path.stem: call.labels for path, call in files}
    with duckdb.connect(str(db), read_only=True) as con:
        wall_s, processed, audio_s = con.execute("SELECT wall_s, processed, audio_s FROM runs").fetchone()
        verdicts = con.execute("SELECT c.file_name, r.criterion_id, r.result FROM criteria_results r "
                               "JOIN calls c USING (call_id)").fetchall()
    judged = [(labels[Path(f).stem][k], result) for f, k, result in verdicts if k in labels.get(Path(f).stem, {})]
    return {"command_s": round(command_s, 1), "flow_s": round(wall_s, 1), "processed": processed,
            "audio_s": round(audio_s, 1), "audio_hours_per_hour": round(audio_s / command_s, 2),
            "peak_memory_gb": round(peak / 2**30, 2),
            "verdicts_equal": sum(a == b for a, b in judged), "verdicts": len(judged),
            "false_fails": sum(a == "pass" and b == "fail" for a, b in judged)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=str(REPO.parent / "shared" / "eval" / "hvb_dev"))
    parser.add_argument("--copies", type=int, default=4, help="copies of each call in the inbox")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="calls analysed at once, per run")
    parser.add_argument("--dask", type=int, default=0, help="also a run on a local Dask cluster of N workers")
    parser.add_argument("--mono", action="store_true", help="the inbox holds the mono mix of each call")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "night_vs_engine.json"))
    args = parser.parse_args()

    from usecases.parallelism import machine_cores
    from usecases.settings import load_settings

    folder = Path(args.dir)
    if not folder.is_dir():
        print(f"no real calls at {folder} (../shared/eval/hvb_dev beside the repository)", file=sys.stderr)
        return 2
    settings = load_settings()
    WORK.mkdir(parents=True, exist_ok=True)
    card = scorecard_with_brands(settings.judging.scorecard, {"en": [BRAND]}, WORK, settings.judging.scorecards_dir)
    files = make_inbox(load_real_calls(folder), args.copies, args.mono, WORK / "inbox")
    cores = machine_cores()
    report: dict = {"machine": f"{platform.node()} ({cores} cores)", "files": len(files),
                    "inbox": "mono mix" if args.mono else "stereo, as recorded"}
    report["plain"] = plain_engine(files, settings.asr.models_dir, cores)
    print(f"plain faster-whisper, mono mix: {report['plain']}", flush=True)
    env = dict(os.environ, CALLQA_SETTLE_S="0", CALLQA_LANGUAGE="en", CALLQA_SCORECARD=str(card),
               CALLQA_MODELS_DIR=str(settings.asr.models_dir.resolve()), CALLQA_SAMPLE_PER_STRATUM="0")
    runs = [(f"workers_{n}", dict(env, CALLQA_WORKERS=str(n)), []) for n in args.workers]
    if args.dask:
        runs.append((f"dask_{args.dask}", env, ["--dask-workers", str(args.dask)]))
    base = report["plain"]["audio_hours_per_hour"]
    for name, run_env, extra in runs:
        result = nightly_run(name, WORK / "inbox", run_env, extra, files)
        result["vs_plain"] = round(result["audio_hours_per_hour"] / base, 2)
        report[name] = result
        print(f"callqa run, {name}: {result}", flush=True)
    print()
    print(f"{'path':<14}{'audio h/h':>10}{'vs plain':>9}{'peak GB':>9}  verdicts")
    print(f"{'plain':<14}{base:>10.2f}{1.0:>9.2f}{'':>9}  (WER {report['plain']['wer']:.3f})")
    for name, _, _ in runs:
        r = report[name]
        print(f"{name:<14}{r['audio_hours_per_hour']:>10.2f}{r['vs_plain']:>9.2f}{r['peak_memory_gb']:>9.2f}  "
              f"{r['verdicts_equal']}/{r['verdicts']} equal, false fails {r['false_fails']}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
