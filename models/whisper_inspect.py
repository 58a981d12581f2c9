"""What a Whisper model on disk is, and whether faster-whisper or openai-whisper can run it offline.

A site with a GPU brings its own copy of bigger weights (large-v3, large-v3-turbo), in CTranslate2
format (a folder: ``model.bin``, ``config.json``, ``tokenizer.json``...) or in openai-whisper's
(one ``.pt`` checkpoint). Before such a copy is used, this module reads its shapes (a CTranslate2
model's header only, an openai checkpoint memory-mapped), names the architecture they match, and
lists what would go wrong at run time: a missing ``tokenizer.json`` makes faster-whisper fetch one
from the model hub (no network on a call-centre server, and none should be tried), and a 128-mel
model without a ``preprocessor_config.json`` saying so is fed 80-mel features.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Timestamp tokens follow the text and special tokens in Whisper's vocabulary (0.00 s to 30.00 s by 0.02 s);
# tokenizer.json lists only the tokens before them.
TIMESTAMP_TOKENS = 1501
DEFAULT_N_MELS = 80  # what faster-whisper's feature extractor computes without a preprocessor_config.json


@dataclass(frozen=True)
class KnownArchitecture:
    name: str
    n_mels: int
    encoder_layers: int
    decoder_layers: int
    width: int


# OpenAI's released shapes. large-v1 and large-v2 share theirs, so the name says both.
KNOWN_ARCHITECTURES = (
    KnownArchitecture("tiny", 80, 4, 4, 384),
    KnownArchitecture("base", 80, 6, 6, 512),
    KnownArchitecture("small", 80, 12, 12, 768),
    KnownArchitecture("medium", 80, 24, 24, 1024),
    KnownArchitecture("large-v1/large-v2", 80, 32, 32, 1280),
    KnownArchitecture("large-v3", 128, 32, 32, 1280),
    KnownArchitecture("large-v3-turbo", 128, 32, 4, 1280),
)
MULTILINGUAL_MIN_VOCAB = 51865  # English-only models have 51864 tokens


@dataclass(frozen=True)
class WhisperModelInfo:
    """A Whisper model on disk: its format, shapes, size, and what stands in the way of running it offline."""

    path: Path
    format: str  # "ctranslate2" or "openai"
    dims: dict[str, int]
    parameters: int
    weight_dtype: str  # how the weights are stored: "int8", "float16", "float32"...
    size_bytes: int
    problems: tuple[str, ...] = field(default=())
    alignment_heads: list[list[int]] | None = None  # an openai checkpoint's own, when it carries them

    @property
    def multilingual(self) -> bool:
        return self.dims["n_vocab"] >= MULTILINGUAL_MIN_VOCAB

    @property
    def architecture(self) -> str:
        """The released model these shapes match ("large-v3-turbo"), or the shapes themselves."""
        d = self.dims
        for known in KNOWN_ARCHITECTURES:
            if (known.n_mels, known.encoder_layers, known.decoder_layers, known.width) == (
                d["n_mels"], d["n_audio_layer"], d["n_text_layer"], d["n_audio_state"]
            ):
                return known.name + ("" if self.multilingual else ".en")
        return (f"unknown ({d['n_mels']} mel bins, {d['n_audio_layer']} encoder and {d['n_text_layer']} decoder "
                f"layers of width {d['n_audio_state']})")

    def memory_bytes(self, compute_type: str) -> int:
        """The weights' own memory once loaded at ``compute_type`` (activations and the decoder's cache come on top)."""
        per_parameter = {"int8": 1, "int8_float16": 1, "int8_float32": 1, "int8_bfloat16": 1,
                         "float16": 2, "bfloat16": 2, "int16": 2, "float32": 4}.get(compute_type, 4)
        return self.parameters * per_parameter

    def summary(self) -> str:
        return (f"{self.architecture}, {self.parameters / 1e6:.0f}M parameters stored as {self.weight_dtype}, "
                f"{self.size_bytes / 1e6:.0f} MB, {self.dims['n_mels']} mel bins, "
                f"{'multilingual' if self.multilingual else 'English only'} ({self.format} format)")


class NotAWhisperModel(ValueError):
    """The path holds no Whisper model either runtime can read; the message says what is wrong."""


def _dominant_dtype(arrays: dict[str, tuple[tuple[int, ...], str]]) -> str:
    """The type most of the parameters are stored in."""
    totals: dict[str, int] = {}
    for shape, dtype in arrays.values():
        totals[dtype] = totals.get(dtype, 0) + int(np.prod(shape))
    return max(totals, key=lambda k: totals[k]) if totals else "unknown"


def inspect_ct2_dir(path: str | os.PathLike) -> WhisperModelInfo:
    """Shapes and problems of a CTranslate2 Whisper folder; reads ``model.bin``'s header, not its weights."""
    from models.whisper_convert import ConversionError, read_ct2_model, whisper_dims

    path = Path(path)
    model_bin = path / "model.bin"
    if not model_bin.is_file():
        raise NotAWhisperModel(f"{path}: no model.bin (a CTranslate2 model folder holds model.bin, config.json "
                               "and tokenizer.json)")
    try:
        model = read_ct2_model(model_bin, header_only=True)
        if model.spec and model.spec != "WhisperSpec":
            raise NotAWhisperModel(f"{model_bin}: a CTranslate2 {model.spec}, not a Whisper model")
        dims = whisper_dims(model)
    except (ConversionError, KeyError) as err:
        raise NotAWhisperModel(f"{model_bin}: not a readable CTranslate2 Whisper model ({err})") from err
    weights = {name: (tuple(a.shape), str(a.dtype)) for name, a in model.variables.items()
               if not name.endswith("_scale") and a.ndim > 0}
    size = sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    info = WhisperModelInfo(path, "ctranslate2", dims, sum(int(np.prod(s)) for s, _ in weights.values()),
                            _dominant_dtype(weights), size)
    return WhisperModelInfo(**{**info.__dict__, "problems": tuple(_ct2_problems(path, info))})


def _ct2_problems(path: Path, info: WhisperModelInfo) -> list[str]:
    problems = []
    if not (path / "config.json").is_file():
        problems.append("config.json is missing (CTranslate2 cannot load the model without it)")
    tokenizer = path / "tokenizer.json"
    if not tokenizer.is_file():
        problems.append("tokenizer.json is missing: faster-whisper would try to download one from the model hub; "
                        "copy the tokenizer.json that came with these weights")
    else:
        try:
            import tokenizers

            tokens = tokenizers.Tokenizer.from_file(str(tokenizer)).get_vocab_size(with_added_tokens=True)
        except Exception as err:  # noqa: BLE001 - any parse failure is the same problem for the user
            problems.append(f"tokenizer.json cannot be read ({err})")
        else:
            if tokens + TIMESTAMP_TOKENS != info.dims["n_vocab"]:
                problems.append(f"tokenizer.json has {tokens} tokens, the model {info.dims['n_vocab']} "
                                f"({info.dims['n_vocab'] - TIMESTAMP_TOKENS} before the timestamps): "
                                "it belongs to another model")
    n_mels = configured_n_mels(path)
    if n_mels != info.dims["n_mels"]:
        said = "no preprocessor_config.json" if not (path / "preprocessor_config.json").is_file() else (
            f"preprocessor_config.json says {n_mels}")
        problems.append(f"the model takes {info.dims['n_mels']} mel bins but faster-whisper would compute {n_mels} "
                        f"({said})")
    return problems


def configured_n_mels(path: Path) -> int:
    """The mel bins faster-whisper computes for the folder: its preprocessor_config.json's, else 80."""
    config = path / "preprocessor_config.json"
    if not config.is_file():
        return DEFAULT_N_MELS
    try:
        return int(json.loads(config.read_text()).get("feature_size", DEFAULT_N_MELS))
    except (ValueError, TypeError, AttributeError):
        return -1  # unreadable: never equal to a model's mel count


def inspect_openai_checkpoint(path: str | os.PathLike) -> WhisperModelInfo:
    """Shapes and problems of an openai-whisper ``.pt`` checkpoint, memory-mapped (no copy of its weights)."""
    import torch

    path = Path(path)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as err:  # noqa: BLE001 - torch raises many types for a file that is not a checkpoint
        raise NotAWhisperModel(f"{path}: not a readable openai-whisper checkpoint ({type(err).__name__}: "
                               f"{str(err)[:200]})") from err
    if not isinstance(checkpoint, dict) or "dims" not in checkpoint or "model_state_dict" not in checkpoint:
        raise NotAWhisperModel(f"{path}: a torch file, but not an openai-whisper checkpoint (no dims and "
                               "model_state_dict)")
    dims = {k: int(v) for k, v in dict(checkpoint["dims"]).items()}
    state = checkpoint["model_state_dict"]
    problems = []
    expected = {
        "encoder.conv1.weight": (dims.get("n_audio_state"), dims.get("n_mels"), 3),
        "decoder.token_embedding.weight": (dims.get("n_vocab"), dims.get("n_text_state")),
        f"encoder.blocks.{dims.get('n_audio_layer', 0) - 1}.mlp.0.weight": None,
        f"decoder.blocks.{dims.get('n_text_layer', 0) - 1}.mlp.0.weight": None,
    }
    for name, shape in expected.items():
        if name not in state:
            problems.append(f"{name} is missing from the state dict")
        elif shape is not None and tuple(state[name].shape) != shape:
            problems.append(f"{name} has shape {tuple(state[name].shape)}, the dims say {shape}")
    try:
        from whisper.model import ModelDimensions

        ModelDimensions(**dims)
    except TypeError as err:
        raise NotAWhisperModel(f"{path}: its dims are not Whisper's ({err})") from err
    weights = {name: (tuple(t.shape), str(t.dtype).removeprefix("torch.")) for name, t in state.items()}
    info = WhisperModelInfo(path, "openai", dims, sum(int(np.prod(s)) for s, _ in weights.values()),
                            _dominant_dtype(weights), path.stat().st_size, tuple(problems),
                            alignment_heads=checkpoint.get("alignment_heads"))
    return info


def alignment_heads_for(info: WhisperModelInfo) -> list[list[int]] | None:
    """openai-whisper's word-alignment heads for a released architecture, as (layer, head) pairs.

    ``whisper.load_model(path)`` applies them only to models it downloads by name; a site's own copy of
    large-v3 needs them given. large-v1 and large-v2 differ here though their shapes do not, so neither is
    guessed."""
    import whisper

    name = info.architecture
    if name not in whisper._ALIGNMENT_HEADS:
        return None
    mask = np.frombuffer(gzip.decompress(base64.b85decode(whisper._ALIGNMENT_HEADS[name])), dtype=bool)
    mask = mask.reshape(info.dims["n_text_layer"], info.dims["n_text_head"])
    return [[int(layer), int(head)] for layer, head in zip(*np.nonzero(mask))]


def inspect_whisper(path: str | os.PathLike) -> WhisperModelInfo:
    """A CTranslate2 folder or an openai ``.pt`` checkpoint (or a folder holding exactly one)."""
    path = Path(path)
    if not path.exists():
        raise NotAWhisperModel(f"{path} does not exist")
    if path.is_dir() and not (path / "model.bin").exists():
        checkpoints = sorted(path.glob("*.pt"))
        if len(checkpoints) == 1:
            return inspect_openai_checkpoint(checkpoints[0])
        if len(checkpoints) > 1:
            raise NotAWhisperModel(f"{path} holds {len(checkpoints)} .pt checkpoints; name the one to use")
    return inspect_ct2_dir(path) if path.is_dir() else inspect_openai_checkpoint(path)
