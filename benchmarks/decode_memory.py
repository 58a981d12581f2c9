"""Peak memory of decoding a recording (issue #15, finding 7), before and after the streaming decoder.

    .venv/bin/python benchmarks/decode_memory.py [--before-ref 25fc3a1] [--scale 1.0] [--skip-before]

Generates the inputs in benchmarks/data/decode_memory/ (reused when already there):
- 384 kHz mono FLAC, 20 min of digital silence (1.7 MB): the file of the finding; now refused
  from its header;
- 192 kHz stereo FLAC, 10 min: the highest rate accepted;
- 96 kHz stereo FLAC, 30 min;
- 8 kHz stereo WAV, 60 min (a long telephone call);
- 44.1 kHz stereo MP3, 30 min (only when ffmpeg is on PATH);
- 48 kHz stereo FLAC, 20 min, whose header does not state its length (the output buffer grows).
Each decode runs in a fresh Python process (``pipeline.speech.audio.decode`` on the file), which reports
its peak RSS (VmHWM) minus its RSS once the imports are done (see CHILD for why not ru_maxrss).
"Before" is the same call against ``pipeline/`` of ``--before-ref`` (the main branch before the fix,
extracted with ``git archive``), in the same run. Prints one line per input and code, the ratios, and
the work space beyond the output: peak minus imports minus the 16 kHz float32 result.
Sizes are MiB (the JSON's *_mb keys too). The old decoder took 8.6 GiB for the 384 kHz file and
6.4 GiB for the 96 kHz one here (about 12 minutes for the whole run on 2 busy cores): ``--scale``
shortens every input, ``--skip-before`` measures only the current code.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "data" / "decode_memory"
OUTPUT_RATE = 16_000
MIB = 1024 * 1024


@dataclass(frozen=True)
class Input:
    name: str
    rate: int
    channels: int
    minutes: float
    container: str  # soundfile format, or "MP3" (made with ffmpeg)
    silent: bool = False
    unknown_length: bool = False  # FLAC only: STREAMINFO's total samples set to 0 ("unknown")


INPUTS = (
    Input("silence_384k_mono_20min.flac", 384_000, 1, 20.0, "FLAC", silent=True),
    Input("tones_192k_stereo_10min.flac", 192_000, 2, 10.0, "FLAC"),
    Input("tones_96k_stereo_30min.flac", 96_000, 2, 30.0, "FLAC"),
    Input("tones_8k_stereo_60min.wav", 8_000, 2, 60.0, "WAV"),
    Input("tones_44k_stereo_30min.mp3", 44_100, 2, 30.0, "MP3"),
    # No length in the header: the 16 kHz buffer starts at a minute and grows (the worst case).
    Input("tones_48k_stereo_20min_unknown_length.flac", 48_000, 2, 20.0, "FLAC", unknown_length=True),
)

# What the child runs: import, note its resident size, decode, report its own high-water mark.
# VmHWM is this process's peak since exec; getrusage's ru_maxrss for a child is not: subprocess
# starts children with vfork, and exec carries the parent's high-water mark into the child's
# ru_maxrss (a 330 MB parent made an 11 MB child report 326 MB).
CHILD = """
import json, sys, time
import numpy, scipy.signal, av
import pipeline.speech.audio
from pipeline.speech.audio import decode

def status(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key + ":"))

out = {"module": pipeline.speech.audio.__file__, "imports_kb": status("VmRSS"), "bytes": 0}
if len(sys.argv) > 1:
    t = time.perf_counter()
    try:
        a = decode(sys.argv[1])
        out.update(shape=list(a.samples.shape), bytes=int(a.samples.nbytes))
    except Exception as err:
        out["error"] = f"{type(err).__name__}: {err}"
    out["seconds"] = round(time.perf_counter() - t, 2)
out["peak_kb"] = status("VmHWM")
print(json.dumps(out))
"""


def make_input(spec: Input, scale: float) -> Path:
    """Write ``spec`` (block by block: the generator holds a few MB) unless it is already there."""
    import numpy as np
    import soundfile as sf

    minutes = spec.minutes * scale
    path = WORK / (spec.name if scale == 1.0 else f"x{scale:g}_{spec.name}")
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    frames = int(minutes * 60 * spec.rate)
    partial = path.with_name(path.name + ".part")
    if spec.container == "MP3":
        if shutil.which("ffmpeg") is None:
            raise FileNotFoundError("ffmpeg")
        # Two different tones, one per channel, warbling so that the channels stay apart.
        sources = [f"sine=frequency={f}:sample_rate={spec.rate}:duration={minutes * 60}" for f in (220, 330)]
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                        "-f", "lavfi", "-i", sources[0], "-f", "lavfi", "-i", sources[1],
                        "-filter_complex", "[0][1]amerge=inputs=2,tremolo=f=3:d=0.6", "-c:a", "libmp3lame",
                        "-b:a", "64k", "-f", "mp3", str(partial)], check=True)
    else:
        block = 1 << 18
        t0 = 0
        with sf.SoundFile(partial, "w", samplerate=spec.rate, channels=spec.channels, format=spec.container,
                          subtype="PCM_16") as out:
            while t0 < frames:
                n = min(block, frames - t0)
                if spec.silent:
                    data = np.zeros((n, spec.channels), dtype=np.float32)
                else:
                    t = (t0 + np.arange(n)) / spec.rate
                    # Speech-band tones, a different one per channel, slowly swelling and fading.
                    env = 0.3 + 0.25 * np.sin(2 * np.pi * 0.2 * t)
                    data = np.stack([env * np.sin(2 * np.pi * (300 + 200 * c) * t) for c in range(spec.channels)],
                                    axis=1)
                out.write(data.astype(np.float32))
                t0 += n
    if spec.unknown_length:
        data = bytearray(partial.read_bytes())
        assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO first; bytes 18-25 end with the 36-bit count
        (packed,) = struct.unpack(">Q", data[18:26])
        data[18:26] = struct.pack(">Q", packed & ~((1 << 36) - 1))
        partial.write_bytes(bytes(data))
    partial.rename(path)
    return path


def extract_before(ref: str, into: Path) -> Path:
    """``pipeline/`` of commit ``ref`` (the decoder as it was) in a folder of its own."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", ref, "pipeline"],
                             check=True, capture_output=True).stdout
    root = into / f"before-{ref}"
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def measure(code_root: Path, path: Path) -> dict:
    """A fresh process decodes ``path`` with the code under ``code_root``: its report (sizes in KiB)."""
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, capture_output=True, cwd=code_root)
    if done.returncode != 0:
        raise RuntimeError(f"decode child failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    report = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert report["module"].startswith(str(code_root)), report["module"]  # the code meant, not another copy
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before-ref", default="25fc3a1", help="commit whose pipeline/ is 'before' (main before the fix)")
    ap.add_argument("--skip-before", action="store_true", help="measure only the current code")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every input's duration (e.g. 0.1 for a quick run)")
    ap.add_argument("--only", nargs="*", help="names of inputs to run (default: all)")
    args = ap.parse_args()

    inputs = []
    for spec in INPUTS:
        if args.only and spec.name not in args.only:
            continue
        try:
            t = time.perf_counter()
            path = make_input(spec, args.scale)
            inputs.append((spec, path, time.perf_counter() - t))
        except FileNotFoundError:
            print(f"skip {spec.name}: ffmpeg is not on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"after": REPO}
        if not args.skip_before:
            roots = {"before": extract_before(args.before_ref, Path(tmp)), **roots}
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
        rows = []
        for spec, path, _ in inputs:
            row = {"input": spec.name, "file_mb": round(path.stat().st_size / MIB, 1), "rate": spec.rate,
                   "channels": spec.channels, "minutes": spec.minutes * args.scale}
            for name, root in roots.items():
                report = measure(root, path)
                # Above what the process held once its imports were done (the same modules either way).
                above = (report["peak_kb"] - report["imports_kb"]) / 1024
                row[name] = {"imports_mb": round(report["imports_kb"] / 1024, 1),
                             "peak_mb": round(report["peak_kb"] / 1024, 1),
                             "above_baseline_mb": round(above, 1), "output_mb": round(report["bytes"] / MIB, 1),
                             "work_mb": round(above - report["bytes"] / MIB, 1), "seconds": report["seconds"],
                             "result": report.get("error") or report["shape"]}
            rows.append(row)
            print(_line(row))
    accepted = [r["after"] for r in rows if isinstance(r["after"]["result"], list)]
    if accepted:
        worst = max(r["work_mb"] for r in accepted)
        print(f"after: peak above imports = 16 kHz output + at most {worst:.1f} MiB work space on these inputs "
              f"(output: {OUTPUT_RATE * 60 * 4 / MIB:.2f} MiB per minute per channel kept)")
    results = REPO / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "decode_memory.json").write_text(json.dumps({"python": sys.version.split()[0], "rows": rows}, indent=2))
    return 0


def _line(row: dict) -> str:
    head = f"{row['input']:<34} {row['file_mb']:>7.1f} MiB file"
    parts = []
    for name in ("before", "after"):
        if name in row:
            r = row[name]
            result = r["result"] if isinstance(r["result"], str) else "x".join(map(str, r["result"]))
            parts.append(f"{name}: {r['above_baseline_mb']:>7.0f} MiB above imports in {r['seconds']:>5.1f} s "
                         f"({result[:70]})")
    if "before" in row and row["after"]["above_baseline_mb"] > 0:
        parts.append(f"ratio {row['before']['above_baseline_mb'] / row['after']['above_baseline_mb']:.1f}x")
    return head + "\n    " + "\n    ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
