"""The openai-whisper backend: a checkpoint built offline from the CTranslate2 weights, run on real audio."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.evaluation import word_error_rate
from models.asr import AsrOptions, FasterWhisperRecognizer, OpenAIWhisperRecognizer, resolve_batch_size
from models.weights import WeightsNotFound, resolve_openai_whisper, resolve_whisper
from models.whisper_convert import prepare_openai_whisper
from pipeline.speech.audio import decode

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
PISETS = "нейронные сети это хорошо"  # Whisper base says "нейронной": one word in four
BASE_DIMS = {
    "n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 512, "n_audio_head": 8, "n_audio_layer": 6,
    "n_vocab": 51865, "n_text_ctx": 448, "n_text_state": 512, "n_text_head": 8, "n_text_layer": 6,
}


@pytest.fixture(scope="module")
def checkpoint(models_dir):
    return prepare_openai_whisper("base", models_dir)


@pytest.fixture(scope="module")
def loaded(checkpoint):
    """The checkpoint as plain ``whisper.load_model`` loads it."""
    import whisper

    return whisper.load_model(str(checkpoint.path), device="cpu")


@pytest.fixture(scope="module")
def recognizer(checkpoint, models_dir):
    return OpenAIWhisperRecognizer(resolve_openai_whisper("base", models_dir), device="cpu")


def mono(path: Path) -> np.ndarray:
    return decode(path).samples[0]


def test_prepare_writes_a_checkpoint_that_whisper_loads(checkpoint, loaded, models_dir):
    assert checkpoint.path == models_dir / "openai-whisper-base.pt"
    assert checkpoint.dims == BASE_DIMS
    assert checkpoint.size_bytes == checkpoint.path.stat().st_size > 250_000_000  # float32
    assert not [p for p in models_dir.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind
    assert loaded.dims.n_text_layer == 6 and loaded.is_multilingual
    # (test_cli_models_prepare builds it a second time and checks the sha256 is the same)


def test_converted_model_computes_what_ctranslate2_computes(checkpoint, loaded, eval_dir):
    """Same encoder output and language probabilities as CTranslate2 in float32 on the same mel."""
    import ctranslate2
    import torch
    import whisper

    model = loaded
    ct2 = ctranslate2.models.Whisper(str(checkpoint.source), device="cpu", compute_type="float32")
    mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(mono(eval_dir / "asr" / "jfk.flac")), n_mels=80)
    features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel.numpy()[None]))
    with torch.no_grad():
        ours = model.encoder(mel[None]).numpy()
    theirs = np.array(ct2.encode(features, to_cpu=True))
    assert ours.shape == theirs.shape == (1, 1500, 512)
    assert np.abs(ours - theirs).max() < 1e-2 * np.abs(theirs).max()
    assert np.abs(ours - theirs).mean() < 1e-4
    _, our_probs = model.detect_language(mel)
    their_probs = dict(ct2.detect_language(features)[0])
    for lang in ("en", "ru", "de"):
        assert our_probs[lang] == pytest.approx(their_probs[f"<|{lang}|>"], abs=1e-3)


def test_english_with_word_timestamps(recognizer, eval_dir):
    audio = mono(eval_dir / "asr" / "jfk.flac")
    result = recognizer.transcribe(audio, AsrOptions(language=None, languages=("ru", "en")))
    assert result.language == "en" and result.language_probability > 0.9
    assert word_error_rate(JFK, " ".join(s.text for s in result.segments)) < 0.1
    words = [w for s in result.segments for w in s.words]
    assert [w.text for w in words[:3]] == ["And", "so", "my"]
    assert all(0 <= w.start <= w.end <= len(audio) / 16_000 + 0.5 for w in words)
    assert words[-1].start > 8.0  # "country" comes at the end, in the original timeline
    assert all(s.avg_logprob < 0 and 0 <= s.no_speech_prob <= 1 for s in result.segments)


def test_russian(recognizer, eval_dir):
    result = recognizer.transcribe(mono(eval_dir / "asr" / "ru_pisets.wav"), AsrOptions(language="ru"))
    assert word_error_rate(PISETS, " ".join(s.text for s in result.segments)) <= 0.25


def test_both_backends_agree_on_a_sample_call(recognizer, models_dir, samples_dir):
    """The operator's first two turns of a Russian stereo call (8 kHz), with the silence between them."""
    audio = decode(samples_dir / "ru_stereo_good.flac").samples[0][: 16 * 16_000]
    options = AsrOptions(language="ru")
    ours = recognizer.transcribe(audio, options)
    text = " ".join(s.text for s in ours.segments)
    assert "чем могу помочь" in text.lower() and "номер договора" in text.lower()
    weights = resolve_whisper("base", models_dir)
    for compute_type, max_wer in (("float32", 0.05), ("int8", 0.2)):  # same arithmetic: same text; int8: nearly
        # One chunk at a time, as openai-whisper decodes: a batch joins chunks into fewer segments (the product
        # splits them at their words' gaps, pipeline/speech/guards.py).
        theirs = FasterWhisperRecognizer(weights, device="cpu", compute_type=compute_type,
                                         batch_size=1).transcribe(audio, options)
        assert word_error_rate(" ".join(s.text for s in theirs.segments), text) < max_wer, compute_type
        assert len(ours.segments) == len(theirs.segments)
        for a, b in zip(ours.segments, theirs.segments):  # VAD removed the silence; times are mapped back
            assert abs(a.start - b.start) < 0.5 and abs(a.end - b.end) < 0.5


def test_two_voices_are_decoded_one_chunk_at_a_time_with_whisper_s_sentence_times(models_dir, samples_dir):
    """A batch gives one segment per speech chunk; a mono call's turns need Whisper's own sentence times."""
    audio = decode(samples_dir / "ru_stereo_good.flac").samples[0][: 16 * 16_000]  # two turns, a pause between
    weights = resolve_whisper("base", models_dir)
    batching = FasterWhisperRecognizer(weights, device="cpu", compute_type="int8", batch_size=8, cpu_threads=2)
    one_at_a_time = FasterWhisperRecognizer(weights, device="cpu", compute_type="int8", batch_size=1, cpu_threads=2)
    batched = batching.transcribe(audio, AsrOptions(language="ru"))
    unbatched = batching.transcribe(audio, AsrOptions(language="ru", batched=False))
    assert len(batched.segments) < len(unbatched.segments)
    assert unbatched == one_at_a_time.transcribe(audio, AsrOptions(language="ru"))


def test_silence_gives_no_segments(recognizer):
    result = recognizer.transcribe(np.zeros(5 * 16_000, dtype=np.float32), AsrOptions(language="ru"))
    assert result.segments == ()


def test_ct2_reader_follows_the_binary_format_and_dequantises(tmp_path):
    """A hand-written model.bin (binary version 6): float16, int8 with per-row scales, an alias."""
    import struct

    from models.whisper_convert import _float32, read_ct2_model

    def string(text: str) -> bytes:
        return struct.pack("<H", len(text) + 1) + text.encode() + b"\0"

    def variable(name: str, array: np.ndarray, type_id: int) -> bytes:
        head = string(name) + struct.pack("<B", array.ndim) + struct.pack(f"<{array.ndim}I", *array.shape)
        return head + struct.pack("<BI", type_id, array.nbytes) + array.tobytes()

    half = np.array([[1.5, -2.0], [0.25, 3.0]], dtype=np.float16)
    quantised = np.array([[127, -64], [10, 0]], dtype=np.int8)
    scale = np.array([127 / 2.0, 127 / 0.5], dtype=np.float32)
    blob = struct.pack("<I", 6) + string("WhisperSpec") + struct.pack("<II", 3, 4)
    blob += variable("a/weight", half, 4) + variable("b/weight", quantised, 1) + variable("b/weight_scale", scale, 0)
    blob += variable("heads", np.array(8, dtype=np.int16), 2)
    blob += struct.pack("<I", 1) + string("c/weight") + string("a/weight")
    (tmp_path / "model.bin").write_bytes(blob)

    model = read_ct2_model(tmp_path / "model.bin")
    assert (model.binary_version, model.spec, model.revision) == (6, "WhisperSpec", 3)
    assert _float32(model, "c/weight").tolist() == [[1.5, -2.0], [0.25, 3.0]]  # via the alias
    np.testing.assert_allclose(_float32(model, "b/weight"), quantised / scale[:, None], rtol=1e-6)
    assert int(model.get("heads")) == 8


def test_missing_checkpoint_says_to_run_prepare(tmp_path):
    from usecases.runtime import recognizer_for
    from usecases.settings import load_settings

    settings = load_settings(models_dir=tmp_path, asr_backend="openai-whisper", db=tmp_path / "x.duckdb")
    with pytest.raises(WeightsNotFound, match="callqa models prepare") as err:
        recognizer_for(settings)
    assert str(tmp_path / "openai-whisper-base.pt") in str(err.value)


def test_backend_settings(tmp_path, monkeypatch):
    from usecases.settings import load_settings

    assert load_settings().asr.backend == "faster-whisper" and load_settings().asr.batch_size == 0
    monkeypatch.setenv("CALLQA_ASR_BACKEND", "openai-whisper")
    monkeypatch.setenv("CALLQA_ASR_BATCH_SIZE", "4")
    settings = load_settings()
    assert settings.asr.backend == "openai-whisper" and settings.asr.batch_size == 4
    monkeypatch.setenv("CALLQA_ASR_BACKEND", "whisper.cpp")
    with pytest.raises(ValueError, match="asr_backend"):
        load_settings()
    assert (resolve_batch_size(0, "cpu"), resolve_batch_size(0, "cuda"), resolve_batch_size(4, "cpu")) == (1, 16, 4)


def test_cli_models_prepare(checkpoint, models_dir):
    env = dict(os.environ, CALLQA_MODELS_DIR=str(models_dir))
    done = subprocess.run(
        [sys.executable, "-m", "callqa", "models", "prepare"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # A second build from the same weights gives the same bytes.
    assert str(checkpoint.path) in done.stdout and checkpoint.sha256 in done.stdout
    shown = subprocess.run(
        [sys.executable, "-m", "callqa", "models"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0 and "faster-whisper-base" in shown.stdout  # `callqa models` still works as before
