"""A site's own Whisper weights: `callqa models add` checks them, installs them whole or not at all, and
`callqa models` reports what is in use and whether it still matches what was installed.

The shipped base weights stand in for a site's large-v3: the same formats (a CTranslate2 folder, an openai
.pt checkpoint); a 128-mel model (large-v3's and turbo's feature size) is made from them by widening the
first convolution, so the mel-count rule is tried on a model CTranslate2 really loads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.evaluation import word_error_rate
from models.asr import AsrOptions, load_recognizer
from models.weights import WeightsNotFound, resolve_whisper
from models.whisper_convert import Ct2Model, read_ct2_model, write_ct2_model
from models.whisper_import import ImportRefused, install_whisper, verify_installed
from models.whisper_inspect import KNOWN_ARCHITECTURES, WhisperModelInfo, inspect_whisper
from pipeline.speech.audio import decode

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def base_dir(models_dir) -> Path:
    return resolve_whisper("base", models_dir).path


@pytest.fixture()
def site_copy(base_dir, tmp_path) -> Path:
    """The base weights as a site would hand them over: a folder somewhere else."""
    copy = tmp_path / "site" / "faster-whisper-base"
    shutil.copytree(base_dir, copy)
    return copy


def callqa(models_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "callqa", "models", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=600, env=dict(os.environ, CALLQA_MODELS_DIR=str(models_dir), **env))


def clip(samples_dir: Path) -> np.ndarray:
    return decode(samples_dir / "en_stereo_good.flac").samples[0][: 12 * 16_000]


def test_a_ctranslate2_folder_is_installed_under_its_name_and_transcribes_as_the_original(
        site_copy, tmp_path, base_dir, samples_dir):
    models = tmp_path / "models"
    added = callqa(models, "add", str(site_copy), "--name", "site-base")
    assert added.returncode == 0, added.stderr
    assert "base, 73M parameters" in added.stdout and 'asr_model = "site-base"' in added.stdout
    installed = models / "faster-whisper-site-base"
    manifest = json.loads((installed / "callqa-weights.json").read_text())
    assert manifest["architecture"] == "base" and manifest["dims"]["n_mels"] == 80
    assert set(manifest["files"]) >= {"model.bin", "config.json", "tokenizer.json"}
    assert not [p for p in models.iterdir() if p.name.startswith(".")]  # no staging folder left behind
    assert oct(installed.stat().st_mode & 0o777) != oct(0o700)  # an ordinary folder, not mkdtemp's private one

    shown = callqa(models, CALLQA_ASR_MODEL="site-base", CALLQA_ASR_DEVICE="cpu")
    assert shown.returncode == 0, shown.stderr
    assert str(installed) in shown.stdout and "every file matches its sha256" in shown.stdout
    assert "weights in memory at int8: 0.07 GB" in shown.stdout

    options = AsrOptions(language="en")
    ours = load_recognizer("site-base", str(models), device="cpu", compute_type="int8", batch_size=1, cpu_threads=2)
    original = load_recognizer("base", str(base_dir.parent), device="cpu", compute_type="int8", batch_size=1,
                               cpu_threads=2)
    audio = clip(samples_dir)
    assert ours.transcribe(audio, options) == original.transcribe(audio, options)  # the same weights, the same words


def test_a_file_changed_after_install_is_reported(site_copy, tmp_path):
    models = tmp_path / "models"
    installed = install_whisper(site_copy, models, name="site-base").path
    assert verify_installed(installed) == []
    with open(installed / "model.bin", "r+b") as f:  # one byte of the weights, past the header
        f.seek(-100, os.SEEK_END)
        byte = f.read(1)
        f.seek(-100, os.SEEK_END)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert verify_installed(installed) == ["model.bin changed since it was installed (sha256 differs)"]
    shown = callqa(models, CALLQA_ASR_MODEL="site-base")
    assert shown.returncode == 2 and "model.bin changed since it was installed" in shown.stderr


def test_a_folder_that_would_reach_for_the_network_is_refused_and_nothing_is_copied(site_copy, tmp_path):
    (site_copy / "tokenizer.json").unlink()  # faster-whisper would download one from the model hub
    models = tmp_path / "models"
    added = callqa(models, "add", str(site_copy), "--name", "site-base")
    assert added.returncode == 2
    assert "tokenizer.json is missing" in added.stderr and "download" in added.stderr
    assert not models.exists() or not any(models.iterdir())
    # The same folder placed by hand is refused when it is loaded, before faster-whisper goes online.
    models.mkdir(exist_ok=True)
    shutil.copytree(site_copy, models / "faster-whisper-by-hand")
    with pytest.raises(WeightsNotFound, match="tokenizer.json is missing.*callqa models add"):
        load_recognizer("by-hand", str(models), device="cpu")


def test_a_tokenizer_of_another_model_and_a_truncated_model_are_refused(site_copy, tmp_path):
    tokenizer = json.loads((site_copy / "tokenizer.json").read_text())
    tokenizer["added_tokens"].append({**tokenizer["added_tokens"][-1], "id": 50364, "content": "<|yue|>"})
    (site_copy / "tokenizer.json").write_text(json.dumps(tokenizer))  # large-v3's one extra language
    with pytest.raises(ImportRefused, match="tokenizer.json has 50365 tokens, the model 51865"):
        install_whisper(site_copy, tmp_path / "models", name="x")
    truncated = tmp_path / "truncated"
    shutil.copytree(site_copy, truncated)
    data = (truncated / "model.bin").read_bytes()
    (truncated / "model.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportRefused, match="truncated"):
        install_whisper(truncated, tmp_path / "models", name="x")
    assert not (tmp_path / "models" / "faster-whisper-x").exists()


def test_a_128_mel_model_gets_the_preprocessor_config_faster_whisper_needs(site_copy, tmp_path, samples_dir):
    model = read_ct2_model(site_copy / "model.bin")
    conv1 = model.variables["encoder/conv1/weight"]  # (width, mels, 3): widen to 128 mel bins, as in large-v3
    wide = np.zeros((conv1.shape[0], 128, conv1.shape[2]), dtype=conv1.dtype)
    wide[:, :80] = conv1
    write_ct2_model(Ct2Model(model.binary_version, model.spec, model.revision,
                             {**model.variables, "encoder/conv1/weight": wide}, model.aliases), site_copy / "model.bin")
    assert inspect_whisper(site_copy).dims["n_mels"] == 128
    assert any("faster-whisper would compute 80 (no preprocessor_config.json)" in p
               for p in inspect_whisper(site_copy).problems)

    models = tmp_path / "models"
    shutil.copytree(site_copy, models / "faster-whisper-by-hand")  # placed by hand: refused at load
    with pytest.raises(WeightsNotFound, match="takes 128 mel bins"):
        load_recognizer("by-hand", str(models), device="cpu")

    installed = install_whisper(site_copy, models, name="wide")
    assert any("wrote preprocessor_config.json (feature_size 128)" in note for note in installed.notes)
    assert json.loads((installed.path / "preprocessor_config.json").read_text())["feature_size"] == 128
    assert verify_installed(installed.path) == [] and inspect_whisper(installed.path).problems == ()
    recognizer = load_recognizer("wide", str(models), device="cpu", compute_type="int8", batch_size=1, cpu_threads=2)
    assert recognizer._model.feature_extractor.mel_filters.shape[0] == 128
    recognizer.transcribe(clip(samples_dir), AsrOptions(language="en"))  # CTranslate2 takes the 128-mel features


def test_an_openai_checkpoint_is_installed_with_its_alignment_heads_and_transcribes(
        base_dir, tmp_path, samples_dir):
    import torch

    from models.whisper_convert import convert_ct2_to_openai

    built = convert_ct2_to_openai(base_dir, tmp_path / "built.pt")
    checkpoint = torch.load(built.path, weights_only=True)
    heads = checkpoint.pop("alignment_heads")
    site_pt = tmp_path / "site" / "base.pt"  # as OpenAI publishes them: float16, no alignment heads inside
    site_pt.parent.mkdir()
    torch.save({"dims": checkpoint["dims"],
                "model_state_dict": {k: v.half() for k, v in checkpoint["model_state_dict"].items()}}, site_pt)
    del checkpoint

    models = tmp_path / "models"
    added = callqa(models, "add", str(site_pt.parent))  # a folder holding one .pt is taken too
    assert added.returncode == 0, added.stderr
    assert 'asr_model = "base" and asr_backend = "openai-whisper"' in added.stdout
    assert "word-alignment heads of base recorded" in added.stdout
    manifest = json.loads((models / "openai-whisper-base.json").read_text())
    assert manifest["alignment_heads"] == heads and manifest["weight_dtype"] == "float16"
    shown = callqa(models, CALLQA_ASR_BACKEND="openai-whisper")
    assert shown.returncode == 0 and "every file matches its sha256" in shown.stdout

    recognizer = load_recognizer("base", str(models), device="cpu", backend="openai-whisper")
    mask = recognizer._model.alignment_heads.to_dense()
    assert sorted([int(a), int(b)] for a, b in zip(*np.nonzero(mask.numpy()))) == sorted(heads)
    result = recognizer.transcribe(clip(samples_dir), AsrOptions(language="en", word_timestamps=True))
    text = " ".join(s.text for s in result.segments)
    assert text and all(s.words for s in result.segments)
    reference = load_recognizer("base", str(base_dir.parent), device="cpu", compute_type="float32", batch_size=1)
    expected = " ".join(s.text for s in reference.transcribe(clip(samples_dir), AsrOptions(language="en")).segments)
    assert word_error_rate(expected, text) < 0.1


def test_what_is_not_a_whisper_model_is_refused_with_the_reason(tmp_path, site_copy):
    import torch

    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ImportRefused, match="not an openai-whisper checkpoint"):
        install_whisper(tmp_path / "other.pt", tmp_path / "models")
    (tmp_path / "notes.pt").write_text("not a checkpoint")
    with pytest.raises(ImportRefused, match="not a readable openai-whisper checkpoint"):
        install_whisper(tmp_path / "notes.pt", tmp_path / "models")
    with pytest.raises(ImportRefused, match="does not exist"):
        install_whisper(tmp_path / "nowhere", tmp_path / "models")
    with pytest.raises(ImportRefused, match="name 'Large V3'"):
        install_whisper(site_copy, tmp_path / "models", name="Large V3")
    install_whisper(site_copy, tmp_path / "models", name="b")
    with pytest.raises(ImportRefused, match="already exists"):
        install_whisper(site_copy, tmp_path / "models", name="b")
    assert install_whisper(site_copy, tmp_path / "models", name="b", replace=True).path.is_dir()
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["faster-whisper-b"]


@pytest.mark.parametrize("known", KNOWN_ARCHITECTURES, ids=lambda k: k.name)
def test_released_shapes_are_named(known):
    dims = {"n_mels": known.n_mels, "n_audio_ctx": 1500, "n_audio_state": known.width, "n_audio_head": 8,
            "n_audio_layer": known.encoder_layers, "n_vocab": 51866 if known.n_mels == 128 else 51865,
            "n_text_ctx": 448, "n_text_state": known.width, "n_text_head": 8, "n_text_layer": known.decoder_layers}
    info = WhisperModelInfo(Path("x"), "ctranslate2", dims, 10**9, "float16", 0)
    assert info.architecture == known.name and info.multilingual
    if known.name in ("tiny", "base", "small", "medium"):  # English-only releases: one token fewer
        english = WhisperModelInfo(Path("x"), "ctranslate2", {**dims, "n_vocab": 51864}, 1, "float16", 0)
        assert english.architecture == known.name + ".en" and not english.multilingual
    assert info.memory_bytes("int8") == 10**9 and info.memory_bytes("float16") == 2 * 10**9
