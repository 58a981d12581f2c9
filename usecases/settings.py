"""Settings: defaults, overridden by a TOML config file, overridden by environment variables.

The config file is ``$CALLQA_CONFIG`` or ``./callqa.toml``. Relative paths in
it are relative to the file; relative paths from the environment or the
defaults are relative to the current directory.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from pipeline.analyze import AnalyzeOptions
from pipeline.speech.audio import AudioLimits
from pipeline.speech.speakers import MonoSpeakerOptions
from pipeline.speech.transcribe import TranscribeOptions
from storage.auth_events import Limit, LoginLimits


@dataclass(frozen=True)
class Settings:
    inbox: Path | str = Path("data/inbox")  # a folder, or an fsspec URL (s3://bucket/calls)
    db: Path = Path("data/callqa.duckdb")
    models_dir: Path = Path("data/models")
    quarantine_dir: Path | str | None = None  # None: a "quarantine" folder beside the database (or a URL)
    scorecards_dir: Path | None = None  # None: the scorecards/ folder shipped with the project
    scorecard: str = "inbound_support"
    reasons_taxonomy: Path | None = None  # call reasons YAML; None: taxonomy/call_reasons.yaml shipped with the project
    language: str = "auto"  # ru | en | auto
    operator_channel: str = "left"  # which stereo channel carries the operator
    asr_model: str = "base"
    asr_device: str = "auto"  # auto | cpu | cuda
    asr_compute_type: str = "auto"  # auto: int8 on CPU, float16 on CUDA
    asr_backend: str = "faster-whisper"  # faster-whisper | openai-whisper (needs `callqa models prepare`)
    asr_batch_size: int = 0  # faster-whisper speech chunks per batch; 0 = auto (1 on CPU, 16 on CUDA)
    beam_size: int = 5
    # Calls per flow task. Each call's result is kept as soon as it is analysed, so a bigger batch
    # risks nothing on a crash, and fewer tasks cost less: 8 gave 9.3% orchestration overhead on
    # 200 short calls, 32 gave 4.4% (benchmarks/orchestration.py). Progress is shown per batch.
    batch_size: int = 32
    # A file whose size or modification time changes over this many seconds (checked once per run)
    # is still being written by the PBX: it is left for the next run.
    settle_s: float = 3.0
    # One run per database (storage/run_lock.py): a second `callqa run` waits this many seconds for
    # the first to finish, then exits (code 75) without touching anything; 0 = exit at once.
    run_lock_wait_s: float = 0.0
    # The temporary Prefect server (flows/server.py) must answer within this many seconds. Prefect's own
    # default is 20 s, which a loaded 2-core machine missed and the night failed.
    prefect_startup_timeout_s: float = 120.0
    # Analysis on Dask (flows/runners.py): a local cluster of this many worker processes, or an
    # existing cluster's scheduler address ("tcp://host:8786"); neither: threads in this process.
    dask_workers: int = 0
    dask_address: str = ""
    # Per-call results (storage/results_store.py): a folder or fsspec URL that every worker can
    # write and the loader can read; "" = a "results" folder beside the database.
    results_dir: str = ""
    # A call's analysis is stopped after this many seconds (usecases/analysis_process.py); 0 = no
    # limit, and the analysis runs in the task's own process.
    call_timeout_s: float = 1800.0
    # Transient errors (I/O, a crashed analysis process) are retried within the run this many
    # times, after retry_backoff_s, then twice that, and so on.
    call_retries: int = 2
    retry_backoff_s: float = 5.0
    # A recording that failed (internal errors, timeouts) in this many runs is quarantined with its last error.
    max_attempts: int = 3
    audio_extensions: tuple[str, ...] = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".wma", ".amr", ".gsm")
    max_duration_s: float = 4 * 3600.0
    # Higher source rates are refused from the header (a few MB of 384 kHz FLAC is gigabytes of samples).
    max_sample_rate: int = 192_000
    allow_download: bool = False  # never fetch weights from the internet unless asked to
    asr_vocabulary_hint: bool = False  # bias ASR towards the scorecard's phrases (hurt WER with base: off)
    # Tell ASR the scorecard's brands (hotwords, on the operator's speech). Off: Whisper takes the hint
    # for text already said, and on a clean call skipped an opening that was the brand ("Здравствуйте,
    # Северный банк" lost); it fixed a name misheard at 8 kbit/s. See README, Scorecards.
    asr_brand_hint: bool = False
    num_speakers: int = 2  # voices in a mono call (0: estimate the count)
    diarization_pipeline: Path | None = None  # a local official pyannote pipeline (directory or config.yaml); None: bundled
    # Operator/team/queue/site/vendor/time from file names, e.g. "(?P<operator>[^_]+)_(?P<started_at>\\d{8}T\\d{6})";
    # a NAME.meta.json sidecar next to a recording overrides it (pipeline/intake/call_meta.py).
    filename_pattern: str = ""
    redact_pii: bool = True  # mask phone/card/passport numbers and e-mails in stored transcripts
    # Run alerts (pipeline/stats/alerts.py): logged always, POSTed as JSON to the webhook when one is set.
    alert_webhook: str = ""  # "" = log only
    alert_flagged_share: float = 0.5  # share of a run's processed calls with any flag
    alert_failed_share: float = 0.05  # share of a run's new recordings that failed (internal errors)
    alert_negative_end_rise: float = 0.10  # negative customer ends, rise over the baseline runs' mean
    alert_baseline_runs: int = 7  # earlier completed runs with calls that "rising" compares against
    alert_min_calls: int = 10  # runs with fewer calls behind a share raise no alert on it
    # Retention (pipeline/stats/retention.py): days each kind of data is kept, counted from the day of the call;
    # 0 (or "forever") keeps it. The nightly flow applies them after each run; `callqa retention` does now.
    retention_audio_days: int = 90  # recordings (inbox, quarantine) and their .meta.json sidecars
    retention_transcripts_days: int = 365  # segments and words, PII spans, quoted evidence
    retention_verdicts_days: int = 730  # verdicts, scores, escalations, metrics, reviews (a tombstone stays)
    retention_aggregates_days: int = 0  # the anonymous daily aggregates behind dashboards' history
    # Periodic QA reports (usecases/reports.py): HTML and Excel per group, for the last complete period.
    reports_dir: Path | None = None  # None: a "reports" folder beside the database
    report_period: str = "week"  # day | week (Monday to Sunday) | month
    report_groups: tuple[str, ...] = ("all", "team", "site")  # one report over all calls, one per team, one per site
    report_trend_periods: int = 8  # periods shown in the trends, the reported one included
    reports_cron: str = "0 6 * * 1"  # when the scheduled reports flow runs: Monday 06:00, after the nightly run
    # Login throttle (storage/auth_events.py), per user name and per client address, counted in the
    # database so a new browser session starts from the same count. Failures count within the window;
    # after the free ones each attempt waits the base delay, doubled per further failure, up to the cap;
    # at the lockout count the name (or address) is refused for login_lockout_s, right password too,
    # until then or `callqa users unlock`. Addresses get more: an office behind one NAT shares one.
    login_window_s: float = 900.0
    login_lockout_s: float = 900.0
    login_user_free_failures: int = 3
    login_user_lockout_failures: int = 10
    login_address_free_failures: int = 20
    login_address_lockout_failures: int = 100
    login_delay_base_s: float = 1.0
    login_delay_max_s: float = 60.0
    # How long a login waits for the nightly flow to release the database before it refuses
    # ("try again"): it never lets anyone in without counting the attempt.
    login_db_wait_s: float = 5.0
    # New passwords (usecases/password_policy.py): at least this long, and a zxcvbn score (0-4) of at least this.
    password_min_length: int = 8
    password_min_score: int = 3

    def login_limits(self) -> LoginLimits:
        return LoginLimits(
            window_s=self.login_window_s,
            lockout_s=self.login_lockout_s,
            user=Limit(self.login_user_free_failures, self.login_user_lockout_failures, self.login_delay_base_s,
                       self.login_delay_max_s),
            address=Limit(self.login_address_free_failures, self.login_address_lockout_failures,
                          self.login_delay_base_s, self.login_delay_max_s),
        )

    def analyze_options(self) -> AnalyzeOptions:
        return AnalyzeOptions(
            transcribe=TranscribeOptions(
                language=None if self.language == "auto" else self.language,
                operator_channel=self.operator_channel,  # type: ignore[arg-type]
                beam_size=self.beam_size,
                speakers=MonoSpeakerOptions(
                    num_speakers=self.num_speakers or None,
                    diarization_pipeline=str(self.diarization_pipeline) if self.diarization_pipeline else None,
                ),
            ),
            limits=AudioLimits(max_duration_s=self.max_duration_s, max_sample_rate=self.max_sample_rate),
            vocabulary_hint=self.asr_vocabulary_hint,
            brand_hint=self.asr_brand_hint,
            redact_pii=self.redact_pii,
        )


_RETENTION = {"retention_audio_days", "retention_transcripts_days", "retention_verdicts_days",
              "retention_aggregates_days"}
_PATHS = {"inbox", "db", "models_dir", "quarantine_dir", "scorecards_dir", "diarization_pipeline", "results_dir",
          "reasons_taxonomy", "reports_dir"}
REPORT_PERIODS = ("day", "week", "month")
REPORT_GROUPS = ("all", "team", "site")
# Declared types of the settings ("int", "float", "bool", ...): how a text value is read.
_DECLARED = {f.name: str(f.type) for f in fields(Settings)}


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _boolean(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"{name}: {value!r} is not a yes/no value (use true or false)")


def _coerce(name: str, value: object, base: Path | None) -> object:
    if name in _PATHS:
        if "://" in str(value):  # an fsspec URL (s3://..., file://...): not a local path
            return str(value)
        path = Path(str(value)).expanduser()
        path = (base / path) if base is not None and not path.is_absolute() else path
        return str(path) if name == "results_dir" else path
    if name in _RETENTION:
        return 0 if str(value).strip().lower() in {"", "0", "none", "forever"} else int(value)  # type: ignore[arg-type]
    # Otherwise the field's declared type decides, so a new setting cannot be missed (as
    # redact_pii once was: "false" from the environment was read as a true string).
    declared = _DECLARED.get(name, "str")
    if declared == "int":
        return int(value)  # type: ignore[arg-type]
    if declared == "float":
        return float(value)  # type: ignore[arg-type]
    if declared == "bool":
        return _boolean(name, value)
    if name == "report_groups":
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
        return tuple(g for g in (i.strip().lower() for i in items) if g)
    if name == "audio_extensions":
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
        return tuple(e if e.startswith(".") else f".{e}" for e in (i.strip().lower() for i in items) if e)
    return str(value)


def _validate(settings: Settings) -> Settings:
    if settings.language not in {"ru", "en", "auto"}:
        raise ValueError(f"language must be ru, en or auto, not {settings.language!r}")
    if settings.operator_channel not in {"left", "right"}:
        raise ValueError(f"operator_channel must be left or right, not {settings.operator_channel!r}")
    if settings.batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if settings.dask_workers < 0:
        raise ValueError("dask_workers must be 0 (no Dask) or a number of worker processes")
    if settings.settle_s < 0:
        raise ValueError("settle_s must be 0 or more seconds")
    if settings.run_lock_wait_s < 0:
        raise ValueError("run_lock_wait_s must be 0 (do not wait) or more seconds")
    if settings.prefect_startup_timeout_s <= 0:
        raise ValueError("prefect_startup_timeout_s must be more than 0 seconds")
    if settings.call_timeout_s < 0 or settings.retry_backoff_s < 0:
        raise ValueError("call_timeout_s and retry_backoff_s must be 0 or more seconds")
    if settings.call_retries < 0 or settings.max_attempts < 1:
        raise ValueError("call_retries must be 0 or more, max_attempts at least 1")
    if settings.num_speakers < 0:
        raise ValueError("num_speakers must be 0 (estimate) or a count of voices")
    if settings.asr_backend not in {"faster-whisper", "openai-whisper"}:
        raise ValueError(f"asr_backend must be faster-whisper or openai-whisper, not {settings.asr_backend!r}")
    if settings.asr_batch_size < 0:
        raise ValueError("asr_batch_size must be 0 (auto) or more")
    for name in ("alert_flagged_share", "alert_failed_share", "alert_negative_end_rise"):
        if not 0 <= getattr(settings, name) <= 1:
            raise ValueError(f"{name} must be a share between 0 and 1 (1 switches the alert off)")
    if settings.alert_baseline_runs < 1:
        raise ValueError("alert_baseline_runs must be at least 1")
    if settings.alert_min_calls < 0:
        raise ValueError("alert_min_calls must be 0 or more")
    for name in sorted(_RETENTION):
        if getattr(settings, name) < 0:
            raise ValueError(f"{name} must be a number of days, or 0 to keep forever")
    if settings.report_period not in REPORT_PERIODS:
        raise ValueError(f"report_period must be day, week or month, not {settings.report_period!r}")
    unknown_groups = set(settings.report_groups) - set(REPORT_GROUPS)
    if unknown_groups or not settings.report_groups:
        raise ValueError(f"report_groups must name some of all, team, site, not {list(settings.report_groups)!r}")
    if settings.report_trend_periods < 1:
        raise ValueError("report_trend_periods must be at least 1")
    if settings.alert_webhook and not settings.alert_webhook.lower().startswith(("http://", "https://")):
        raise ValueError("alert_webhook must be an http:// or https:// URL (or empty: alerts are only logged)")
    settings.login_limits()  # raises ValueError with what is wrong
    if settings.login_db_wait_s < 0:
        raise ValueError("login_db_wait_s must be 0 or more seconds")
    if not 1 <= settings.password_min_length <= 1024 or not 0 <= settings.password_min_score <= 4:
        raise ValueError("password_min_length must be 1-1024 and password_min_score 0-4 (zxcvbn's scale)")
    return settings


def config_path() -> Path | None:
    explicit = os.environ.get("CALLQA_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"CALLQA_CONFIG points to {path}, which does not exist")
        return path
    local = Path("callqa.toml")
    return local if local.is_file() else None


def load_settings(**overrides: object) -> Settings:
    """Defaults < config file < ``CALLQA_*`` environment variables < explicit ``overrides`` (e.g. CLI flags)."""
    settings = Settings()
    names = {f.name for f in fields(Settings)}
    path = config_path()
    if path is not None:
        with open(path, "rb") as f:
            data = tomllib.load(f)
        data = data.get("callqa", data)
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"{path}: unknown settings {sorted(unknown)} (known: {sorted(names)})")
        settings = replace(settings, **{k: _coerce(k, v, path.parent) for k, v in data.items()})
    env = {n: os.environ[f"CALLQA_{n.upper()}"] for n in names if f"CALLQA_{n.upper()}" in os.environ}
    settings = replace(settings, **{k: _coerce(k, v, None) for k, v in env.items()})
    explicit = {k: v for k, v in overrides.items() if v is not None}
    settings = replace(settings, **{k: _coerce(k, v, None) for k, v in explicit.items()})
    if settings.quarantine_dir is None:
        settings = replace(settings, quarantine_dir=Path(settings.db).parent / "quarantine")
    if not settings.results_dir:
        settings = replace(settings, results_dir=str(Path(settings.db).parent / "results"))
    if settings.reports_dir is None:
        settings = replace(settings, reports_dir=Path(settings.db).parent / "reports")
    return _validate(settings)
