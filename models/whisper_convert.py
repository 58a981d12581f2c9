"""Build an openai-whisper checkpoint offline from CTranslate2 Whisper weights.

No openai-whisper ``.pt`` ships in any package we can install, but the
CTranslate2 model that faster-whisper runs holds the same tensors under other
names. This module reads CTranslate2's ``model.bin`` itself (no ctranslate2
import needed), undoes the converter's renames and fusions, dequantises what
was quantised, and writes ``{"dims": ..., "model_state_dict": ...}`` — the
format ``whisper.load_model(path)`` reads.

``model.bin`` layout (little endian; see CTranslate2 ``src/models/model.cc``
``Model::load`` and ``python/ctranslate2/specs/model_spec.py`` ``_serialize``)::

    u32 binary_version                       (<= 6 supported)
    if version >= 2: str spec_name, u32 spec_revision
    u32 num_variables
    num_variables x:
        str name, u8 rank, u32 dims[rank]
        version >= 4: u8 dtype_id, u32 num_bytes     (float32 int8 int16 int32 float16 bfloat16)
        version <  4: u8 item_size, u32 num_items    (4: float32, 2: int16, 1: int8)
        bytes data[num_bytes]
    if version >= 3: u32 num_aliases, num_aliases x (str alias, str target)

where ``str`` is ``u16 length`` (including a trailing NUL) followed by the
bytes. Quantised weights ``X`` come with ``X_scale``: int8 is per output row
(``float = q / scale[row]``), int16 one scale for the tensor.

Mapping (CTranslate2's ``WhisperLoader`` from Hugging Face, which itself came
from OpenAI's names): self-attention q/k/v are fused row-wise into
``linear_0`` (the key had no bias, so its third is zero), cross-attention keeps
the query in ``linear_0`` and fuses k/v into ``linear_1``; the output
projection is the last ``linear_*``. Conv weights keep their layout.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import os
import re
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.weights import file_sha256

log = logging.getLogger(__name__)

SUPPORTED_BINARY_VERSION = 6
_DTYPES = {0: "float32", 1: "int8", 2: "int16", 3: "int32", 4: "float16", 5: "bfloat16"}
_DTYPE_FROM_ITEM_SIZE = {4: "float32", 2: "int16", 1: "int8"}


class ConversionError(RuntimeError):
    """The CTranslate2 model cannot be mapped to an openai-whisper checkpoint."""


@dataclass(frozen=True)
class Ct2Model:
    binary_version: int
    spec: str
    revision: int
    variables: dict[str, np.ndarray]  # raw, as stored (quantised ones still quantised)
    aliases: dict[str, str]

    def get(self, name: str) -> np.ndarray:
        return self.variables[self.aliases.get(name, name)]

    def has(self, name: str) -> bool:
        return self.aliases.get(name, name) in self.variables


@dataclass(frozen=True)
class PreparedCheckpoint:
    path: Path
    sha256: str
    size_bytes: int
    dims: dict[str, int]
    source: Path  # the CTranslate2 model directory it was built from
    seconds: float


def read_ct2_model(path: str | os.PathLike, header_only: bool = False) -> Ct2Model:
    """Parse a CTranslate2 ``model.bin`` into numpy arrays (copies; the file is not kept open).

    ``header_only`` reads names, shapes and types and skips the weights: a large model is then looked at
    in milliseconds without its gigabytes in memory. Each skipped variable is a zero-size broadcast of its
    shape (``.shape`` and ``.dtype`` are right, its values are not); only tiny ones (head counts) are read.
    """
    path = Path(path)
    file_size = path.stat().st_size
    pos = 0
    with open(path, "rb") as f:

        def read(count: int) -> bytes:
            nonlocal pos
            raw = f.read(count)
            if len(raw) != count:
                raise ConversionError(f"{path} is truncated at byte {pos + len(raw)} of {file_size}")
            pos += count
            return raw

        def take(fmt: str):
            (value,) = struct.unpack("<" + fmt, read(struct.calcsize("<" + fmt)))
            return value

        def take_str() -> str:
            return read(take("H")).rstrip(b"\0").decode("utf-8")

        try:
            version = take("I")
            if not 1 <= version <= SUPPORTED_BINARY_VERSION:
                raise ConversionError(f"{path}: unsupported CTranslate2 binary version {version}")
            spec, revision = (take_str(), take("I")) if version >= 2 else ("", 1)
            variables: dict[str, np.ndarray] = {}
            for _ in range(take("I")):
                name = take_str()
                shape = tuple(take("I") for _ in range(take("B")))
                if version >= 4:
                    dtype, num_bytes = _DTYPES[take("B")], take("I")
                else:
                    item_size = take("B")
                    dtype, num_bytes = _DTYPE_FROM_ITEM_SIZE[item_size], take("I") * item_size
                if header_only and num_bytes > 64:
                    if pos + num_bytes > file_size:
                        raise ConversionError(f"{path} is truncated (variable {name})")
                    f.seek(num_bytes, os.SEEK_CUR)
                    pos += num_bytes
                    stored = np.dtype("float32" if dtype == "bfloat16" else dtype)
                    variables[name] = np.broadcast_to(np.zeros((), dtype=stored), shape)
                    continue
                raw = read(num_bytes)
                if dtype == "bfloat16":  # numpy has no bfloat16: widen the 16 bits to float32
                    array = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
                else:
                    array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).copy()
                variables[name] = array.reshape(shape)
            aliases = {}
            if version >= 3:
                for _ in range(take("I")):
                    alias = take_str()
                    aliases[alias] = take_str()
        except (struct.error, KeyError, UnicodeDecodeError, ValueError) as err:
            raise ConversionError(f"{path} is not a readable CTranslate2 model ({err!r} at byte {pos})") from err
    return Ct2Model(version, spec, revision, variables, aliases)


def write_ct2_model(model: Ct2Model, path: str | os.PathLike) -> None:
    """The inverse of :func:`read_ct2_model` (binary version 6): models of a given shape for tests and
    benchmarks, which CTranslate2 loads."""
    type_ids = {dtype: type_id for type_id, dtype in _DTYPES.items()}

    def string(text: str) -> bytes:
        return struct.pack("<H", len(text) + 1) + text.encode() + b"\0"

    with open(path, "wb") as out:
        out.write(struct.pack("<I", 6) + string(model.spec) + struct.pack("<II", model.revision, len(model.variables)))
        for name, value in model.variables.items():
            array = np.asarray(value, order="C")  # (ascontiguousarray would make a scalar 1-d)
            out.write(string(name) + struct.pack("<B", array.ndim) + struct.pack(f"<{array.ndim}I", *array.shape)
                      + struct.pack("<BI", type_ids[str(array.dtype)], array.nbytes))
            out.write(array.tobytes())
        out.write(struct.pack("<I", len(model.aliases)))
        for alias, target in model.aliases.items():
            out.write(string(alias) + string(target))


def _float32(model: Ct2Model, name: str) -> np.ndarray:
    """A variable as float32, dequantised when it was stored as int8/int16 with a ``_scale``."""
    value = model.get(name)
    if value.dtype in (np.int8, np.int16):
        scale_name = name + "_scale"
        if not model.has(scale_name):
            raise ConversionError(f"quantised variable {name} has no {scale_name}")
        scale = model.get(scale_name).astype(np.float32)
        flat = value.astype(np.float32).reshape(value.shape[0], -1) if value.ndim else value.astype(np.float32)
        if scale.ndim == 1 and value.ndim:  # int8: one scale per output row
            flat = flat / scale[:, None]
        else:  # int16: one scale for the tensor
            flat = flat / scale.reshape(())
        return flat.reshape(value.shape)
    return value.astype(np.float32)


def _scalar(model: Ct2Model, name: str) -> int:
    return int(model.get(name).reshape(()))


def _count_layers(model: Ct2Model, prefix: str) -> int:
    pattern = re.compile(rf"^{re.escape(prefix)}/layer_(\d+)/")
    found = {int(m.group(1)) for name in model.variables if (m := pattern.match(name))}
    if not found or found != set(range(len(found))):
        raise ConversionError(f"unexpected {prefix} layers in the CTranslate2 model: {sorted(found)}")
    return len(found)


def whisper_dims(model: Ct2Model) -> dict[str, int]:
    conv1 = model.get("encoder/conv1/weight")
    enc_pos = model.get("encoder/position_encodings/encodings")
    emb = model.get("decoder/embeddings/weight")
    dec_pos = model.get("decoder/position_encodings/encodings")
    return {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(enc_pos.shape[0]),
        "n_audio_state": int(enc_pos.shape[1]),
        "n_audio_head": _scalar(model, "encoder/num_heads"),
        "n_audio_layer": _count_layers(model, "encoder"),
        "n_vocab": int(emb.shape[0]),
        "n_text_ctx": int(dec_pos.shape[0]),
        "n_text_state": int(emb.shape[1]),
        "n_text_head": _scalar(model, "decoder/num_heads"),
        "n_text_layer": _count_layers(model, "decoder"),
    }


def _split_rows(weight: np.ndarray, bias: np.ndarray, parts: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if weight.shape[0] % parts:
        raise ConversionError(f"fused projection of {weight.shape[0]} rows does not split in {parts}")
    return list(zip(np.split(weight, parts, axis=0), np.split(bias, parts, axis=0)))


def whisper_state_dict(model: Ct2Model) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """openai-whisper ``dims`` and ``state_dict`` (float32 numpy arrays) for a CTranslate2 Whisper model."""
    if model.spec and model.spec != "WhisperSpec":
        raise ConversionError(f"not a Whisper model: the CTranslate2 spec is {model.spec!r}")
    dims = whisper_dims(model)

    def f(name: str) -> np.ndarray:
        return _float32(model, name)

    sd: dict[str, np.ndarray] = {}

    def linear(dst: str, src: str) -> None:
        sd[f"{dst}.weight"], sd[f"{dst}.bias"] = f(f"{src}/weight"), f(f"{src}/bias")

    def layer_norm(dst: str, src: str) -> None:
        sd[f"{dst}.weight"], sd[f"{dst}.bias"] = f(f"{src}/gamma"), f(f"{src}/beta")

    def qkv(dst: str, parts: list[tuple[np.ndarray, np.ndarray]]) -> None:
        for proj, (w, b) in zip(("query", "key", "value"), parts):
            sd[f"{dst}.{proj}.weight"] = w
            if proj == "key":  # openai-whisper's key projection has no bias; CTranslate2 stored zeros
                if np.abs(b).max(initial=0.0) > 1e-6:
                    raise ConversionError(f"{dst}.key has a non-zero bias, which openai-whisper cannot hold")
            else:
                sd[f"{dst}.{proj}.bias"] = b

    def self_attention(dst: str, src: str) -> None:
        qkv(dst, _split_rows(f(f"{src}/linear_0/weight"), f(f"{src}/linear_0/bias"), 3))
        linear(f"{dst}.out", f"{src}/linear_1")

    def cross_attention(dst: str, src: str) -> None:
        query = (f(f"{src}/linear_0/weight"), f(f"{src}/linear_0/bias"))
        qkv(dst, [query, *_split_rows(f(f"{src}/linear_1/weight"), f(f"{src}/linear_1/bias"), 2)])
        linear(f"{dst}.out", f"{src}/linear_2")

    def block(dst: str, src: str, cross: bool) -> None:
        self_attention(f"{dst}.attn", f"{src}/self_attention")
        layer_norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        if cross:
            cross_attention(f"{dst}.cross_attn", f"{src}/attention")
            layer_norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        layer_norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    sd["encoder.positional_embedding"] = f("encoder/position_encodings/encodings")
    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    for i in range(dims["n_audio_layer"]):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    layer_norm("encoder.ln_post", "encoder/layer_norm")

    sd["decoder.positional_embedding"] = f("decoder/position_encodings/encodings")
    sd["decoder.token_embedding.weight"] = f("decoder/embeddings/weight")
    for i in range(dims["n_text_layer"]):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    layer_norm("decoder.ln", "decoder/layer_norm")

    # openai-whisper ties the output projection to the token embedding; check the model agrees.
    if model.has("decoder/projection/weight"):
        projection = f("decoder/projection/weight")
        if projection.shape != sd["decoder.token_embedding.weight"].shape or not np.allclose(
            projection, sd["decoder.token_embedding.weight"], atol=1e-2
        ):
            raise ConversionError("the output projection is not tied to the token embedding")
    if model.has("decoder/projection/bias") and np.abs(f("decoder/projection/bias")).max() > 1e-6:
        raise ConversionError("the output projection has a bias, which openai-whisper cannot hold")
    return dims, sd


def alignment_heads_dump(heads: list[list[int]], dims: dict[str, int]) -> bytes:
    """``(layer, head)`` pairs in the encoding ``Whisper.set_alignment_heads`` takes."""
    mask = np.zeros((dims["n_text_layer"], dims["n_text_head"]), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes(), mtime=0))


def convert_ct2_to_openai(ct2_dir: str | os.PathLike, output: str | os.PathLike) -> PreparedCheckpoint:
    """Write an openai-whisper checkpoint for the CTranslate2 model in ``ct2_dir`` to ``output``, atomically."""
    import torch

    started = time.perf_counter()
    ct2_dir, output = Path(ct2_dir), Path(output)
    model = read_ct2_model(ct2_dir / "model.bin")
    dims, arrays = whisper_state_dict(model)
    del model
    checkpoint: dict[str, object] = {
        "dims": dims,
        "model_state_dict": {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in arrays.items()},
    }
    config_path = ct2_dir / "config.json"
    if config_path.is_file():
        heads = json.loads(config_path.read_text()).get("alignment_heads")
        if heads:  # load_model ignores this key; OpenAIWhisperRecognizer applies it for word timestamps
            checkpoint["alignment_heads"] = [[int(layer), int(head)] for layer, head in heads]
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        # Save through a file object: torch names the archive inside after a *path*, which would
        # make the bytes (and the sha256) depend on the random temporary name.
        with os.fdopen(fd, "wb") as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp_name, output)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return PreparedCheckpoint(
        path=output,
        sha256=file_sha256(output),
        size_bytes=output.stat().st_size,
        dims=dims,
        source=ct2_dir,
        seconds=time.perf_counter() - started,
    )


def prepare_openai_whisper(size: str, models_dir: str | os.PathLike) -> PreparedCheckpoint:
    """Build ``<models_dir>/openai-whisper-<size>.pt`` from the CTranslate2 weights the project resolves offline."""
    from models.weights import openai_whisper_checkpoint, resolve_whisper

    source = resolve_whisper(size, models_dir)
    prepared = convert_ct2_to_openai(source.path, openai_whisper_checkpoint(size, models_dir))
    log.info(
        "wrote %s (%d bytes, sha256 %s) in %.1f s",
        prepared.path,
        prepared.size_bytes,
        prepared.sha256,
        prepared.seconds,
    )
    return prepared
