"""What the call page's player costs now that the recording goes inside the session (issue #15):
the size of the ``data:`` URL each rerun of the call page sends, and the time to build it once
(decode, mute, encode as Ogg Opus; cached afterwards).

    .venv/bin/python benchmarks/player.py                 # 10-minute stereo telephone call
    .venv/bin/python benchmarks/player.py --minutes 30 --mono

The call is a bundled sample (8 kHz telephone audio) repeated to the length asked for and
written as FLAC, as a call-center recorder would leave it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.speech.audio import decode
from usecases import recording


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--mono", action="store_true", help="a mono call (default: stereo, a party per channel)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sample = ROOT / "samples" / "calls" / ("ru_mono_partial.flac" if args.mono else "ru_stereo_rude.flac")
    audio, rate = sf.read(sample, dtype="float32", always_2d=True)
    frames = int(args.minutes * 60 * rate)
    call = np.tile(audio, (frames // len(audio) + 1, 1))[:frames]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "call.flac"
        sf.write(path, call, rate)
        flac_bytes = path.stat().st_size
        muted = tuple((s, s + 4.0) for s in np.arange(30.0, args.minutes * 60, 60.0))  # a number a minute
        decode_s, encode_s = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            decoded = decode(path)
            t1 = time.perf_counter()
            muted_samples = recording.silenced(decoded.samples, decoded.sample_rate, muted)
            ogg = recording.to_ogg_opus(muted_samples, decoded.sample_rate)
            encode_s.append(time.perf_counter() - t1)
            decode_s.append(t1 - t0)
        url = recording.data_url(ogg)
    print(json.dumps({
        "minutes": args.minutes, "channels": int(decoded.samples.shape[0]), "source_flac_bytes": flac_bytes,
        "ogg_opus_bytes": len(ogg), "data_url_bytes": len(url),
        "kbit_per_s": round(len(ogg) * 8 / (args.minutes * 60) / 1000, 1),
        "decode_s_median": round(statistics.median(decode_s), 2),
        "encode_s_median": round(statistics.median(encode_s), 2),
    }, indent=2))


if __name__ == "__main__":
    main()
