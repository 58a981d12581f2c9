"""``callqa models``: show and check the Whisper weights in use; ``add`` installs a site's own copy
(large-v3, large-v3-turbo...); ``prepare`` builds the openai-whisper checkpoint from the bundled ones."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("models", help="show, check and add the offline model weights")
    p.set_defaults(func=show)
    models_sub = p.add_subparsers(dest="models_command", metavar="{add,prepare}")
    add = models_sub.add_parser(
        "add", help="check a local Whisper model (CTranslate2 folder or openai .pt) and install it in models_dir"
    )
    add.add_argument("source", help="a CTranslate2 model folder (model.bin, config.json, tokenizer.json) "
                                    "or an openai-whisper .pt checkpoint")
    add.add_argument("--name", help="what asr_model will be (default: the architecture, e.g. large-v3-turbo)")
    add.add_argument("--replace", action="store_true", help="replace weights already installed under that name")
    add.set_defaults(func=add_weights)
    models_sub.add_parser(
        "prepare", help="build the openai-whisper checkpoint (for asr_backend = openai-whisper) from the local weights"
    ).set_defaults(func=prepare)


def _compute_type(device: str, compute_type: str) -> str:
    if compute_type != "auto":
        return compute_type
    from models.asr import cuda_available

    on_gpu = device == "cuda" or (device == "auto" and cuda_available())
    return "float16" if on_gpu else "int8"


def show(args: argparse.Namespace) -> int:
    """The weights the configuration resolves to, what they are, and whether they are still what was installed."""
    from models.weights import WeightsNotFound, resolve_openai_whisper, resolve_whisper
    from models.whisper_import import read_manifest, verify_installed
    from models.whisper_inspect import NotAWhisperModel, inspect_whisper

    asr = load_settings().asr
    try:
        if asr.backend == "openai-whisper":
            weights = resolve_openai_whisper(asr.model, asr.models_dir)
        else:
            weights = resolve_whisper(asr.model, asr.models_dir, allow_download=asr.allow_download)
    except WeightsNotFound as err:
        print(f"whisper {asr.model}: MISSING\n  {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"whisper {asr.model} ({asr.backend}): {weights.path} (from {weights.source})")
    if weights.source == "download":
        return EXIT_OK  # nothing on disk to look at yet
    try:
        info = inspect_whisper(weights.path)
    except NotAWhisperModel as err:
        print(f"  NOT USABLE: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    compute_type = "float32" if asr.backend == "openai-whisper" else _compute_type(asr.device, asr.compute_type)
    print(f"  {info.summary()}")
    print(f"  weights in memory at {compute_type}: {info.memory_bytes(compute_type) / 1e9:.2f} GB "
          "(per analysis process; activations come on top)")
    manifest = read_manifest(weights.path)
    mismatches = verify_installed(weights.path)
    if manifest is None:
        print("  no install manifest (placed by hand or assembled): shapes and files checked, not hashes")
    elif not mismatches:
        print(f"  every file matches its sha256 from `callqa models add` ({manifest.get('installed_at', '?')}, "
              f"from {manifest.get('source', '?')})")
    problems = [*info.problems, *mismatches]
    for problem in problems:
        print(f"  PROBLEM: {problem}", file=sys.stderr)
    others = _other_weights(Path(asr.models_dir), weights.path)
    if others:
        print("also installed: " + ", ".join(others))
    return EXIT_BAD_INPUT if problems else EXIT_OK


def _other_weights(models_dir: Path, in_use: Path) -> list[str]:
    """Other models in models_dir, as the ``asr_model`` / ``asr_backend`` that would select them."""
    found = []
    for path in sorted(models_dir.glob("faster-whisper-*")):
        if path.is_dir() and path.resolve() != in_use.resolve():
            found.append(f"{path.name.removeprefix('faster-whisper-')} (faster-whisper)")
    for path in sorted(models_dir.glob("openai-whisper-*.pt")):
        if path.resolve() != in_use.resolve():
            found.append(f"{path.stem.removeprefix('openai-whisper-')} (openai-whisper)")
    return found


def add_weights(args: argparse.Namespace) -> int:
    """Check a site's Whisper model and install it in models_dir; nothing is copied when it cannot run."""
    from models.whisper_import import ImportRefused, install_whisper

    asr = load_settings().asr
    try:
        installed = install_whisper(args.source, asr.models_dir, name=args.name, replace=args.replace)
    except ImportRefused as err:
        print(f"not installed: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:  # a full disk, a folder not writable: the staging copy is gone, nothing half-installed
        print(f"not installed: {err.strerror or err} ({err.filename or asr.models_dir})", file=sys.stderr)
        return EXIT_BAD_INPUT
    compute_type = "float32" if installed.backend == "openai-whisper" else _compute_type(asr.device,
                                                                                          asr.compute_type)
    print(f"installed {installed.path} in {installed.seconds:.1f} s")
    print(f"  {installed.info.summary()}")
    print(f"  weights in memory at {compute_type}: {installed.info.memory_bytes(compute_type) / 1e9:.2f} GB")
    for note in installed.notes:
        print(f"  {note}")
    print(f"  sha256 of every file in {installed.manifest}")
    print(f"to use it: asr_model = \"{installed.name}\"" + (
        "" if installed.backend == asr.backend else f" and asr_backend = \"{installed.backend}\"")
        + " (in callqa.toml, or CALLQA_ASR_MODEL and CALLQA_ASR_BACKEND), then `callqa models` to check")
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
