"""What bigger Whisper weights cost on this machine: speed and memory of each released shape.

    .venv/bin/python benchmarks/model_sizes.py [--sizes base small medium large-v3 large-v3-turbo] [--device cpu]

No weights but base ship with the project, and none can be downloaded here, so each size is measured on a
model of its exact shapes with random values (CTranslate2 computes the same amount whatever the values):
built from base's variables, widened and repeated, written in CTranslate2's format in
benchmarks/data/model_sizes/. For each size, in a process of its own:

- the resident memory after loading it (int8 on CPU, float16 on CUDA) and at the end;
- the encoder's time for one 30-s window, and the decoder's time per token at beam 5 (EOT suppressed, so
  every run decodes the same number of steps; the slope between two lengths, without the fixed cost).

Then the real base model transcribes one real call (../shared/eval/hvb_dev, both channels) counting its
encoder windows and decoded tokens; each size's time on that call is estimated as windows x encoder time +
tokens x decoder time. Base's estimate is checked against base's measured time on the same call, which says
how far to trust the others'. Bigger models decode about as many tokens for the same words, so the count
is carried over.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
WORK = REPO / "benchmarks" / "data" / "model_sizes"

# (mel bins, encoder layers, decoder layers, width, heads, vocabulary): OpenAI's released shapes.
SHAPES = {
    "base": (80, 6, 6, 512, 8, 51865),
    "small": (80, 12, 12, 768, 12, 51865),
    "medium": (80, 24, 24, 1024, 16, 51865),
    "large-v3": (128, 32, 32, 1280, 20, 51866),
    "large-v3-turbo": (128, 32, 4, 1280, 20, 51866),
}
REAL_CALL = "0002f70f7386445b.stereo.flac"  # a real two-channel phone call, 8 kHz
EOT, SOT, TRANSCRIBE, NO_TIMESTAMPS = 50257, 50258, 50359, 50363


def shaped_model(name: str, base_dir: Path) -> Path:
    """A CTranslate2 Whisper model with ``name``'s shapes and random float16 values (made once)."""
    from models.whisper_convert import Ct2Model, read_ct2_model, write_ct2_model

    target = WORK / name
    if (target / "model.bin").is_file():
        return target
    mels, enc_layers, dec_layers, width, heads, vocab = SHAPES[name]
    base = read_ct2_model(base_dir / "model.bin")
    # base's sizes that stand for a dimension: width 512, its multiples in fused and feed-forward layers,
    # 80 mel bins, the vocabulary. The rest (1500 and 448 positions, kernel 3) is the same in every size.
    resize = {512: width, 1024: 2 * width, 1536: 3 * width, 2048: 4 * width, 80: mels, 51865: vocab}
    rng = np.random.default_rng(0)
    variables: dict[str, np.ndarray] = {}
    for var_name, value in base.variables.items():
        parts = var_name.split("/")
        if len(parts) > 1 and re.fullmatch(r"layer_\d+", parts[1]):
            if parts[1] != "layer_0":
                continue
            count = enc_layers if parts[0] == "encoder" else dec_layers
            names = [f"{parts[0]}/layer_{i}/{'/'.join(parts[2:])}" for i in range(count)]
        else:
            names = [var_name]
        for new_name in names:
            if value.ndim == 0:
                variables[new_name] = np.array(heads if var_name.endswith("num_heads") else value, dtype=value.dtype)
                continue
            shape = tuple(resize.get(d, d) for d in value.shape)
            fill = rng.standard_normal(shape, dtype=np.float32) * 0.02
            if var_name.endswith("layer_norm/gamma"):
                fill += 1.0
            variables[new_name] = fill.astype(value.dtype)
    target.mkdir(parents=True, exist_ok=True)
    shaped = Ct2Model(base.binary_version, base.spec, base.revision, variables, base.aliases)
    write_ct2_model(shaped, target / "model.bin")
    config = json.loads((base_dir / "config.json").read_text())
    config["alignment_heads"] = [[dec_layers - 1, 0]]
    (target / "config.json").write_text(json.dumps(config))
    tokens = (base_dir / "vocabulary.txt").read_text().splitlines()
    tokens += [f"<|extra{i}|>" for i in range(vocab - len(tokens))]  # large-v3's one more language
    (target / "vocabulary.txt").write_text("\n".join(tokens) + "\n")
    return target


def rss_mb(field: str = "VmRSS") -> float:
    """This process' resident memory (VmRSS) or its peak (VmHWM, which starts afresh at exec, unlike ru_maxrss,
    which would carry over the parent's peak from building the big models)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure_one(model_dir: Path, device: str, threads: int) -> dict:
    """Runs in a process of its own: load, one encoder window, decoder steps at two lengths."""
    import ctranslate2

    mels = SHAPES[model_dir.name][0] if model_dir.name in SHAPES else 80
    compute_type = "float16" if device == "cuda" else "int8"
    before = rss_mb()
    t0 = time.perf_counter()
    model = ctranslate2.models.Whisper(str(model_dir), device=device, compute_type=compute_type,
                                       intra_threads=threads)
    load_s = time.perf_counter() - t0
    loaded = rss_mb()
    features = ctranslate2.StorageView.from_array(
        np.random.default_rng(1).standard_normal((1, mels, 3000)).astype(np.float32))
    model.encode(features)  # warm-up
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        encoded = model.encode(features, to_cpu=False)
        times.append(time.perf_counter() - t0)
    encode_s = min(times)
    prompt = [[SOT, 50259, TRANSCRIBE, NO_TIMESTAMPS]]

    def decode(length: int) -> float:
        t0 = time.perf_counter()
        model.generate(encoded, prompt, beam_size=5, max_length=length, suppress_tokens=[-1, EOT],
                       suppress_blank=False)
        return time.perf_counter() - t0

    decode(8)  # warm-up
    short, long = 16, 80
    per_token = (min(decode(long) for _ in range(2)) - min(decode(short) for _ in range(2))) / (long - short)
    return {"load_s": load_s, "rss_loaded_mb": loaded - before, "peak_rss_mb": rss_mb("VmHWM"),
            "encode_s": encode_s, "decode_token_s": per_token, "compute_type": compute_type}


def count_base_work(call: Path, base_dir: Path, threads: int) -> dict:
    """The real base model on both channels of a real call: its time, encoder windows and decoded tokens."""
    from faster_whisper import WhisperModel

    from pipeline.speech.audio import decode as decode_audio

    model = WhisperModel(str(base_dir), device="cpu", compute_type="int8", cpu_threads=threads)
    counts = {"windows": 0, "tokens": 0}
    inner = model.model

    class Counting:
        def __getattr__(self, name):
            return getattr(inner, name)

        def encode(self, features, *args, **kwargs):
            counts["windows"] += int(features.shape[0])
            return inner.encode(features, *args, **kwargs)

        def generate(self, *args, **kwargs):
            results = inner.generate(*args, **kwargs)
            counts["tokens"] += sum(len(r.sequences_ids[0]) for r in results)
            return results

    model.model = Counting()
    channels = decode_audio(call).samples
    t0 = time.perf_counter()
    for channel in channels:
        segments, _ = model.transcribe(channel, language="en", beam_size=5, vad_filter=True,
                                       condition_on_previous_text=False)
        list(segments)
    return {**counts, "seconds": time.perf_counter() - t0, "audio_s": len(channels[0]) / 16_000,
            "channels": len(channels)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--call", default=str(REPO.parent / "shared" / "eval" / "hvb_dev" / REAL_CALL))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure this model folder and print JSON
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "model_sizes.json"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(Path(args.one), args.device, args.threads)))
        return 0

    from models.weights import resolve_whisper

    base_dir = resolve_whisper("base", os.environ.get("CALLQA_MODELS_DIR", REPO / "data" / "models")).path
    rows = {}
    for name in ["base (real weights)", *args.sizes]:
        folder = base_dir if name.startswith("base (") else shaped_model(name, base_dir)
        done = subprocess.run([sys.executable, __file__, "--one", str(folder), "--device", args.device,
                               "--threads", str(args.threads)], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{name}: {done.stderr[-2000:]}")
        rows[name] = json.loads(done.stdout.strip().splitlines()[-1])
        r = rows[name]
        print(f"{name:>20}: {r['compute_type']}, weights {r['rss_loaded_mb']:.0f} MB, peak {r['peak_rss_mb']:.0f} MB, "
              f"encoder {r['encode_s']:.2f} s per 30-s window, decoder {1000 * r['decode_token_s']:.1f} ms per "
              f"token (beam 5)", flush=True)
    report: dict = {"machine": f"{platform.node()} ({os.cpu_count()} cores)", "device": args.device,
                    "threads": args.threads, "sizes": rows}
    call = Path(args.call)
    if args.device == "cpu" and call.is_file():
        work = count_base_work(call, base_dir, args.threads)
        report["call"] = {"path": call.name, **work}
        print(f"real call {call.name} ({work['audio_s']:.0f} s, {work['channels']} channels): base took "
              f"{work['seconds']:.1f} s, {work['windows']} encoder windows, {work['tokens']} tokens")
        # What is not the encoder or the decoder (VAD, features, the tokenizer) does not grow with the size.
        rest_s = work["seconds"] - (work["windows"] * rows["base (real weights)"]["encode_s"]
                                    + work["tokens"] * rows["base (real weights)"]["decode_token_s"])
        print(f"  of which outside the encoder and decoder (VAD, features...): {rest_s:.1f} s, taken as the same for "
              "every size")
        for name, r in rows.items():
            whisper_s = work["windows"] * r["encode_s"] + work["tokens"] * r["decode_token_s"]
            r["estimated_call_s"] = whisper_s + rest_s
            r["estimated_x_real_time"] = work["audio_s"] / r["estimated_call_s"]
            print(f"{name:>20}: about {r['estimated_call_s']:.1f} s for the call ({whisper_s:.1f} s encoder and "
                  f"decoder) = {r['estimated_x_real_time']:.1f}x real time with {args.threads} threads")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
