"""``callqa models``: show the offline model weights; ``callqa models prepare`` assembles the openai-whisper one."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("models", help="show (and assemble) the offline model weights")
    p.set_defaults(func=show)
    models_sub = p.add_subparsers(dest="models_command", metavar="{prepare}")
    models_sub.add_parser(
        "prepare", help="build the openai-whisper checkpoint (for asr_backend = openai-whisper) from the local weights"
    ).set_defaults(func=prepare)


def show(args: argparse.Namespace) -> int:
    from models.weights import WeightsNotFound, resolve_whisper

    settings = load_settings()
    try:
        weights = resolve_whisper(settings.asr.model, settings.asr.models_dir,
                                  allow_download=settings.asr.allow_download)
    except WeightsNotFound as err:
        print(f"whisper {settings.asr.model}: MISSING\n  {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"whisper {settings.asr.model}: {weights.path} (from {weights.source})")
    return EXIT_OK


def prepare(args: argparse.Namespace) -> int:
    """Build the openai-whisper checkpoint from the CTranslate2 weights, offline."""
    from models.weights import WeightsNotFound
    from models.whisper_convert import prepare_openai_whisper

    settings = load_settings()
    try:
        prepared = prepare_openai_whisper(settings.asr.model, settings.asr.models_dir)
    except WeightsNotFound as err:
        print(f"whisper {settings.asr.model}: MISSING\n  {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"openai-whisper {settings.asr.model}: {prepared.path}")
    print(f"  sha256 {prepared.sha256}")
    print(f"  {prepared.size_bytes} bytes, built from {prepared.source} in {prepared.seconds:.1f} s")
    return EXIT_OK
