"""``callqa diarize``: who spoke when in one recording (its mono mix)."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, existing_file, load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("diarize", help="who spoke when in one recording (mono mix)")
    p.add_argument("path")
    p.add_argument("--num-speakers", type=int, default=None, help="number of voices, when known (default: estimated)")
    p.add_argument("--rttm", action="store_true", help="print RTTM lines")
    p.set_defaults(func=diarize)


def diarize(args: argparse.Namespace) -> int:
    from models.diarization import load_diarizer
    from pipeline.errors import BadRecording
    from pipeline.speech.audio import decode

    path = existing_file(args.path)
    if path is None:
        return EXIT_BAD_INPUT
    if args.num_speakers is not None and args.num_speakers < 1:
        print("callqa: error: --num-speakers must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = load_settings()
    try:
        audio = decode(path, settings.audio.limits())
    except BadRecording as err:
        print(f"callqa: error: {path}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    pipeline = str(settings.asr.diarization_pipeline) if settings.asr.diarization_pipeline else None
    result = load_diarizer(pipeline, str(settings.asr.models_dir)).diarize(audio.mono(), num_speakers=args.num_speakers)
    if args.rttm:
        print("\n".join(result.to_rttm(path.stem)))
        return EXIT_OK
    print(f"{path.name}: {audio.duration_s:.2f} s, {len(result.speakers)} speakers")
    for t in result.turns:
        print(f"  [{t.start:7.2f}-{t.end:7.2f}] {t.speaker}")
    return EXIT_OK
