"""Settings: defaults, overridden by a TOML config file, overridden by environment variables.

The config file is ``$CALLQA_CONFIG`` or ``./callqa.toml``. Relative paths in
it are relative to the file; relative paths from the environment or the
defaults are relative to the current directory.

The settings come in sections, one per stage or concern (``settings.asr``,
``settings.intake``, ``settings.alerts``...); each section turns itself into
its stage's own options (``settings.asr.transcribe_options()``,
``settings.login.limits()``), so a stage never sees ``Settings``. Outside, a
setting keeps its one flat name (``asr_model``, ``retention_audio_days``): the
section's prefix and the field's name, or the name a field declares with
``known_as``. That name is the config key, ``CALLQA_<NAME>`` and the keyword of
``load_settings``; the config file may also group keys in a table per section
(``[asr] model = "small"``). A text value is read by the field's declared type:
``Path`` (a local path, or an fsspec URL kept as text), ``Literal`` (one of its
values), ``bool``, ``int``, ``float``, ``tuple[str, ...]`` (a comma-separated
list), and the markers below for what the type alone does not say.
"""

from __future__ import annotations

import os
import tomllib
import types
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin, get_type_hints

from pipeline.analyze import AnalyzeOptions
from pipeline.intake.recorder_presets import RecorderPresetName
from pipeline.speech.audio import AudioLimits
from pipeline.speech.speakers import MonoSpeakerOptions
from pipeline.speech.transcribe import OperatorChannel, TranscribeOptions
from pipeline.stats.alerts import AlertRule, default_rules
from pipeline.stats.cdr_kpis import AbandonedRule, KpiRules
from pipeline.stats.retention import RetentionPolicy
from reporting.i18n import Words, zone
from reporting.model import PeriodKind, ScopeKind
from storage.auth_events import Limit, LoginLimits
from storage.webhooks import EVENT_TYPES, Endpoint

# ---------------------------------------------------------------- how a text value is read


@dataclass(frozen=True)
class KeptForever:
    """Days of a retention term: 0, "forever", "none" or nothing keep the data for ever."""

    words: ClassVar[frozenset[str]] = frozenset({"", "0", "none", "forever"})

    def read(self, value: object, base: Path | None) -> object:
        return 0 if str(value).strip().lower() in self.words else _whole(value)


@dataclass(frozen=True)
class PathText:
    """A path (relative to the config file) or an fsspec URL, kept as text for the code that takes either."""

    def read(self, value: object, base: Path | None) -> object:
        return str(_location(value, base))


@dataclass(frozen=True)
class Listed:
    """A comma-separated list (or a TOML array) of lower-case words, each given ``prefix`` when it lacks it."""

    prefix: str = ""

    def read(self, value: object, base: Path | None) -> object:
        return self.words(value)

    def words(self, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value if isinstance(value, (list, tuple)) else [value]
        words = (str(i).strip().lower() for i in items)
        return tuple(w if w.startswith(self.prefix) else f"{self.prefix}{w}" for w in words if w)


@dataclass(frozen=True)
class TextList:
    """A comma-separated list (or a TOML array) of texts kept as written (team names, e-mail addresses)."""

    def read(self, value: object, base: Path | None) -> object:
        items = value.split(",") if isinstance(value, str) else value if isinstance(value, (list, tuple)) else [value]
        return tuple(text for text in (str(i).strip() for i in items) if text)


RetentionDays = Annotated[int, KeptForever()]
Texts = Annotated[tuple[str, ...], TextList()]
Extensions = Annotated[tuple[str, ...], Listed(prefix=".")]
Language = Literal["ru", "en", "auto"]
AsrBackend = Literal["faster-whisper", "openai-whisper"]

FLAT_NAME = "callqa_flat_name"


def known_as(flat_name: str, default: Any) -> Any:
    """A field whose config key / environment name is not the section's prefix and the field's name."""
    return field(default=default, metadata={FLAT_NAME: flat_name})


# ---------------------------------------------------------------- the sections


@dataclass(frozen=True)
class StorageSettings:
    """Where the results live."""

    prefix: ClassVar[str] = ""
    db: Path = Path("data/callqa.duckdb")
    # Per-call results (storage/results_store.py): a folder or fsspec URL that every worker can
    # write and the loader can read; "" = a "results" folder beside the database.
    results_dir: Annotated[str, PathText()] = ""


@dataclass(frozen=True)
class IntakeSettings:
    """Which recordings a run takes from the inbox, and what it does with the ones it cannot analyse."""

    prefix: ClassVar[str] = ""
    inbox: Path | str = Path("data/inbox")  # a folder, or an fsspec URL (s3://bucket/calls)
    quarantine_dir: Path | str | None = None  # None: a "quarantine" folder beside the database (or a URL)
    audio_extensions: Extensions = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".wma", ".amr", ".gsm")
    # A file whose size or modification time changes over this many seconds (checked once per run)
    # is still being written by the PBX: it is left for the next run.
    settle_s: float = 3.0
    # Operator/team/queue/site/vendor/time from file names, e.g. "(?P<operator>[^_]+)_(?P<started_at>\\d{8}T\\d{6})";
    # a NAME.meta.json sidecar next to a recording overrides it (pipeline/intake/call_meta.py).
    filename_pattern: str = ""
    # The recorder whose file naming to read (pipeline/intake/recorder_presets.py): asterisk (FreePBX MixMonitor),
    # freeswitch, 3cx; "" = none. filename_pattern, manifests and sidecars still win field by field.
    recorder_preset: RecorderPresetName = ""
    # A recording that failed (internal errors, timeouts) in this many runs is quarantined with its last error.
    max_attempts: int = 3

    def check(self) -> None:
        if self.settle_s < 0:
            raise ValueError("settle_s must be 0 or more seconds")
        if self.max_attempts < 1:
            raise ValueError("call_retries must be 0 or more, max_attempts at least 1")


@dataclass(frozen=True)
class AsrSettings:
    """Speech recognition: the Whisper weights and how a call's channels become speakers' segments."""

    prefix: ClassVar[str] = "asr_"
    model: str = "base"
    device: str = "auto"  # auto | cpu | cuda
    compute_type: str = "auto"  # auto: int8 on CPU, float16 on CUDA
    backend: AsrBackend = "faster-whisper"  # openai-whisper needs `callqa models prepare`
    batch_size: int = 0  # faster-whisper speech chunks per batch; 0 = auto (1 on CPU, 16 on CUDA)
    # CPU threads of one analysis (recognition, diarization); 0 = auto: the machine's cores shared among
    # the calls analysed at once (usecases/parallelism.py).
    cpu_threads: int = 0
    models_dir: Path = known_as("models_dir", Path("data/models"))
    allow_download: bool = known_as("allow_download", False)  # never fetch weights from the internet unless asked to
    language: Language = known_as("language", "auto")
    operator_channel: OperatorChannel = known_as("operator_channel", "left")  # the stereo channel of the operator
    beam_size: int = known_as("beam_size", 5)
    num_speakers: int = known_as("num_speakers", 2)  # voices in a mono call (0: estimate the count)
    # A local official pyannote pipeline (directory or config.yaml); None: bundled.
    diarization_pipeline: Path | None = known_as("diarization_pipeline", None)
    vocabulary_hint: bool = False  # bias ASR towards the scorecard's phrases (hurt WER with base: off)
    # Tell ASR the scorecard's brands (hotwords, on the operator's speech). Off: Whisper takes the hint
    # for text already said, and on a clean call skipped an opening that was the brand ("Здравствуйте,
    # Северный банк" lost); it fixed a name misheard at 8 kbit/s. See README, Scorecards.
    brand_hint: bool = False

    def transcribe_options(self) -> TranscribeOptions:
        return TranscribeOptions(
            language=None if self.language == "auto" else self.language,
            operator_channel=self.operator_channel,
            beam_size=self.beam_size,
            speakers=MonoSpeakerOptions(
                num_speakers=self.num_speakers or None,
                diarization_pipeline=str(self.diarization_pipeline) if self.diarization_pipeline else None,
            ),
        )

    def check(self) -> None:
        if self.num_speakers < 0:
            raise ValueError("num_speakers must be 0 (estimate) or a count of voices")
        if self.batch_size < 0:
            raise ValueError("asr_batch_size must be 0 (auto) or more")
        if self.cpu_threads < 0:
            raise ValueError("asr_cpu_threads must be 0 (auto) or more")


@dataclass(frozen=True)
class AudioSettings:
    """What a recording may be before it is decoded."""

    prefix: ClassVar[str] = ""
    max_duration_s: float = 4 * 3600.0
    # Higher source rates are refused from the header (a few MB of 384 kHz FLAC is gigabytes of samples).
    max_sample_rate: int = 192_000

    def limits(self) -> AudioLimits:
        return AudioLimits(max_duration_s=self.max_duration_s, max_sample_rate=self.max_sample_rate)


@dataclass(frozen=True)
class JudgingSettings:
    """What a transcript is judged against, and what of it is stored."""

    prefix: ClassVar[str] = ""
    scorecard: str = "inbound_support"
    scorecards_dir: Path | None = None  # None: the scorecards/ folder shipped with the project
    reasons_taxonomy: Path | None = None  # call reasons YAML; None: taxonomy/call_reasons.yaml shipped with the project
    redact_pii: bool = True  # mask phone/card/passport numbers and e-mails in stored transcripts


@dataclass(frozen=True)
class RunSettings:
    """How a run is orchestrated: batches, the run lock, the Prefect server, Dask, timeouts and retries."""

    prefix: ClassVar[str] = ""
    # Calls per flow task. Each call's result is kept as soon as it is analysed, so a bigger batch
    # risks nothing on a crash, and fewer tasks cost less: 8 gave 9.3% orchestration overhead on
    # 200 short calls, 32 gave 4.4% (benchmarks/orchestration.py). Progress is shown per batch.
    batch_size: int = 32
    # One run per database (storage/run_lock.py): a second `callqa run` waits this many seconds for
    # the first to finish, then exits (code 75) without touching anything; 0 = exit at once.
    lock_wait_s: float = known_as("run_lock_wait_s", 0.0)
    # The temporary Prefect server (flows/server.py) must answer within this many seconds. Prefect's own
    # default is 20 s, which a loaded 2-core machine missed and the night failed.
    prefect_startup_timeout_s: float = 120.0
    # Analysis on Dask (flows/runners.py): a local cluster of this many worker processes, or an
    # existing cluster's scheduler address ("tcp://host:8786"); neither: threads in this process.
    dask_workers: int = 0
    dask_address: str = ""
    # Calls analysed at once on this machine when Dask is not used: that many analysis processes, each
    # with its share of the cores (asr_cpu_threads). 0 = auto: one per core on a CPU, fewer when memory
    # is short (about 2.5 GB each), one on a GPU. Two at once on 2 cores: 1.5x the audio per hour of one.
    workers: int = 0
    # A call's analysis is stopped after this many seconds (usecases/analysis_process.py); 0 = no
    # limit, and the analysis runs in the task's own process.
    call_timeout_s: float = 1800.0
    # Transient errors (I/O, a crashed analysis process) are retried within the run this many
    # times, after retry_backoff_s, then twice that, and so on.
    call_retries: int = 2
    retry_backoff_s: float = 5.0
    # `callqa watch` looks at the inbox this often (seconds); a file is taken once it has not changed for settle_s.
    watch_poll_s: float = 2.0

    def check(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.dask_workers < 0:
            raise ValueError("dask_workers must be 0 (no Dask) or a number of worker processes")
        if self.workers < 0:
            raise ValueError("workers must be 0 (auto) or a number of calls analysed at once")
        if self.lock_wait_s < 0:
            raise ValueError("run_lock_wait_s must be 0 (do not wait) or more seconds")
        if self.prefect_startup_timeout_s <= 0:
            raise ValueError("prefect_startup_timeout_s must be more than 0 seconds")
        if self.call_timeout_s < 0 or self.retry_backoff_s < 0:
            raise ValueError("call_timeout_s and retry_backoff_s must be 0 or more seconds")
        if self.call_retries < 0:
            raise ValueError("call_retries must be 0 or more, max_attempts at least 1")
        if self.watch_poll_s <= 0:
            raise ValueError("watch_poll_s must be more than 0 seconds")


@dataclass(frozen=True)
class AlertSettings:
    """Run alerts (pipeline/stats/alerts.py): logged always, POSTed as JSON to the webhook when one is set."""

    prefix: ClassVar[str] = "alert_"
    webhook: str = ""  # "" = log only
    flagged_share: float = 0.5  # share of a run's processed calls with any flag
    failed_share: float = 0.05  # share of a run's new recordings that failed (internal errors)
    negative_end_rise: float = 0.10  # negative customer ends, rise over the baseline runs' mean
    baseline_runs: int = 7  # earlier completed runs with calls that "rising" compares against
    min_calls: int = 10  # runs with fewer calls behind a share raise no alert on it

    def rules(self) -> list[AlertRule]:
        return default_rules(self.flagged_share, self.failed_share, self.negative_end_rise, self.min_calls)

    def check(self) -> None:
        for name in ("flagged_share", "failed_share", "negative_end_rise"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"alert_{name} must be a share between 0 and 1 (1 switches the alert off)")
        if self.baseline_runs < 1:
            raise ValueError("alert_baseline_runs must be at least 1")
        if self.min_calls < 0:
            raise ValueError("alert_min_calls must be 0 or more")
        if self.webhook and not self.webhook.lower().startswith(("http://", "https://")):
            raise ValueError("alert_webhook must be an http:// or https:// URL (or empty: alerts are only logged)")


@dataclass(frozen=True)
class RetentionSettings:
    """Days each kind of data is kept, counted from the day of the call (pipeline/stats/retention.py);
    0 (or "forever") keeps it. The nightly flow applies them after each run; `callqa retention` does now."""

    prefix: ClassVar[str] = "retention_"
    audio_days: RetentionDays = 90  # recordings (inbox, quarantine) and their .meta.json sidecars
    transcripts_days: RetentionDays = 365  # segments and words, PII spans, quoted evidence
    verdicts_days: RetentionDays = 730  # verdicts, scores, escalations, metrics, reviews (a tombstone stays)
    aggregates_days: RetentionDays = 0  # the anonymous daily aggregates behind dashboards' history

    def policy(self) -> RetentionPolicy:
        return RetentionPolicy(self.audio_days, self.transcripts_days, self.verdicts_days, self.aggregates_days)

    def check(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"retention_{f.name} must be a number of days, or 0 to keep forever")


@dataclass(frozen=True)
class ReportSettings:
    """Periodic QA reports (usecases/reports.py): HTML and Excel per group, for the last complete period."""

    prefix: ClassVar[str] = "report_"
    dir: Path | None = known_as("reports_dir", None)  # None: a "reports" folder beside the database
    period: PeriodKind = "week"  # day | week (Monday to Sunday) | month
    groups: tuple[ScopeKind, ...] = ("all", "team", "site")  # one report over all calls, one per team, one per site
    trend_periods: int = 8  # periods shown in the trends, the reported one included
    cron: str = known_as("reports_cron", "0 6 * * 1")  # when the reports flow runs: Monday 06:00, after the night

    def check(self) -> None:
        if not self.groups:
            raise ValueError(f"report_groups must name some of {', '.join(REPORT_GROUPS)}, not []")
        if self.trend_periods < 1:
            raise ValueError("report_trend_periods must be at least 1")


@dataclass(frozen=True)
class LoginSettings:
    """The login throttle (storage/auth_events.py), per user name and per client address.

    Counted in the database so a new browser session starts from the same count. Failures count within
    the window; after the free ones each attempt waits the base delay, doubled per further failure, up to
    the cap; at the lockout count the name (or address) is refused for lockout_s, right password too,
    until then or `callqa users unlock`. Addresses get more: an office behind one NAT shares one.
    """

    prefix: ClassVar[str] = "login_"
    window_s: float = 900.0
    lockout_s: float = 900.0
    user_free_failures: int = 3
    user_lockout_failures: int = 10
    address_free_failures: int = 20
    address_lockout_failures: int = 100
    delay_base_s: float = 1.0
    delay_max_s: float = 60.0
    # How long a login waits for the nightly flow to release the database before it refuses
    # ("try again"): it never lets anyone in without counting the attempt.
    db_wait_s: float = 5.0
    # A password login lasts this long across reloads and new tabs (a signed cookie naming a server-side
    # session); 0 keeps it to the browser session (the cookie goes when the browser closes, and the server
    # ends it after SESSION_CAP_HOURS at most). Unused for this long (no page drawn in any tab), it ends
    # too; 0 = no idle limit.
    session_hours: float = 12.0
    session_idle_hours: float = 2.0

    def limits(self) -> LoginLimits:
        return LoginLimits(
            window_s=self.window_s,
            lockout_s=self.lockout_s,
            user=Limit(self.user_free_failures, self.user_lockout_failures, self.delay_base_s, self.delay_max_s),
            address=Limit(self.address_free_failures, self.address_lockout_failures, self.delay_base_s,
                          self.delay_max_s),
        )

    def check(self) -> None:
        self.limits()  # raises ValueError with what is wrong
        if self.db_wait_s < 0:
            raise ValueError("login_db_wait_s must be 0 or more seconds")
        if not 0 <= self.session_hours <= 24 * 90 or not 0 <= self.session_idle_hours <= 24 * 90:
            raise ValueError("login_session_hours and login_session_idle_hours must be 0-2160 hours (0: see the docs)")


@dataclass(frozen=True)
class PasswordSettings:
    """New passwords (usecases/password_policy.py): at least this long, and a zxcvbn score (0-4) of at least this."""

    prefix: ClassVar[str] = "password_"
    min_length: int = 8
    min_score: int = 3

    def check(self) -> None:
        if not 1 <= self.min_length <= 1024 or not 0 <= self.min_score <= 4:
            raise ValueError("password_min_length must be 1-1024 and password_min_score 0-4 (zxcvbn's scale)")


@dataclass(frozen=True)
class InterfaceSettings:
    """What people read: the app's, the reports' and the exports' language, and the site's time zone.

    Each user may switch the app's language for themselves; this is the site's default. Times are
    stored in UTC and shown in ``time_zone`` (an IANA name).
    """

    prefix: ClassVar[str] = "ui_"
    language: Literal["ru", "en"] = "ru"
    time_zone: str = "Europe/Moscow"

    def words(self, language: str | None = None) -> Words:
        return Words(language or self.language, self.time_zone)

    def check(self) -> None:
        zone(self.time_zone)  # raises ValueError naming it


Stratum = Literal["operator", "team", "queue", "language", "channels"]
SmtpSecurity = Literal["none", "starttls", "ssl"]


@dataclass(frozen=True)
class SamplingSettings:
    """The audit sample (issue #18): calls drawn at random each night, flagged or not, for reviewers to judge.

    Calls of the night's period are grouped by the strata (one group per operator, by default) and
    ``per_stratum`` calls drawn from each, so every operator is audited whatever the flags say. The draw
    is seeded (``seed`` and the period), so the same night drawn again gives the same calls.
    """

    prefix: ClassVar[str] = "sample_"
    per_stratum: int = 2  # calls drawn per stratum and night; 0 switches the audit sample off
    strata: tuple[Stratum, ...] = ("operator",)  # any of operator, team, queue, language, channels (stereo/mono)
    seed: str = "callqa"  # with the period, makes a draw reproducible; change it to draw other calls

    def check(self) -> None:
        if self.per_stratum < 0:
            raise ValueError("sample_per_stratum must be 0 (no audit sample) or more calls")
        allowed = get_args(Stratum)
        wrong = [s for s in self.strata if s not in allowed]
        if wrong:
            raise ValueError(f"sample_strata must name some of {', '.join(allowed)}, not {', '.join(wrong)}")


@dataclass(frozen=True)
class CoachingSettings:
    """Coach only what recurs (issue #18): a topic is proposed when an operator missed the criterion in at
    least ``min_misses`` of their last ``recent_calls`` calls judged on it, not on a single miss."""

    prefix: ClassVar[str] = "coach_"
    recent_calls: int = 10
    min_misses: int = 3

    def check(self) -> None:
        if not 1 <= self.min_misses <= self.recent_calls:
            raise ValueError("coach_min_misses must be at least 1 and at most coach_recent_calls")


@dataclass(frozen=True)
class DigestSettings:
    """The morning digest (issue #18), after each night: per team, the critical calls, escalations, disputes
    waiting and the audit sample to review. POSTed to ``webhook`` (or, when empty, ``alert_webhook``) and,
    when ``smtp_host`` is set, e-mailed to the team's addresses in ``to``."""

    prefix: ClassVar[str] = "digest_"
    webhook: str = ""  # "" = the alert webhook; "off" = none
    smtp_host: str = ""  # "" = no e-mail
    smtp_port: int = 25
    smtp_security: SmtpSecurity = "none"
    smtp_user: str = ""
    smtp_password: str = ""  # better given as CALLQA_DIGEST_SMTP_PASSWORD than in the file
    sender: str = "callqa@localhost"
    # "TEAM=address" entries; "*=address" gets the digest of every team.
    to: Texts = ()
    app_url: str = ""  # the app's address as readers open it (https://qa.example.ru): the digest links the calls

    def check(self) -> None:
        if self.webhook and self.webhook != "off" and not self.webhook.lower().startswith(("http://", "https://")):
            raise ValueError("digest_webhook must be an http:// or https:// URL, off, or empty (the alert webhook)")
        if self.app_url and not self.app_url.lower().startswith(("http://", "https://")):
            raise ValueError("digest_app_url must be the app's http:// or https:// address, or empty (no links)")
        if not 1 <= self.smtp_port <= 65535:
            raise ValueError("digest_smtp_port must be a TCP port (1-65535)")
        for entry in self.to:
            team, _, address = entry.partition("=")
            if not team.strip() or "@" not in address:
                raise ValueError(f"digest_to entries are TEAM=address (or *=address), not {entry!r}")


LogFormat = Literal["text", "json"]


@dataclass(frozen=True)
class OperationsSettings:
    """What operations watch (usecases/metrics.py, usecases/health.py) and how the command line logs
    (callqa/logs.py): ``callqa metrics``, ``callqa health`` and, after merging, the API's /metrics and /v1/health."""

    prefix: ClassVar[str] = ""
    # "json": one JSON object per line on stderr (time, level, logger, message, run_id, call_id), for a log
    # collector; "text": the plain lines.
    log_format: LogFormat = "text"
    # health fails when the latest completed run finished longer ago than this (a nightly run plus slack); 0: unchecked.
    health_max_run_age_h: float = 26.0
    # health fails when the disk beside the database or the inbox has less free space than this.
    health_min_free_gb: float = 1.0
    # A scrape waits this long for a writer (the nightly run loading results) to let go of the database,
    # then answers callqa_up 0 instead of an error.
    metrics_db_wait_s: float = 2.0

    def check(self) -> None:
        if self.health_max_run_age_h < 0 or self.health_min_free_gb < 0:
            raise ValueError("health_max_run_age_h and health_min_free_gb must be 0 or more")
        if not 0 <= self.metrics_db_wait_s <= 60:
            raise ValueError("metrics_db_wait_s must be 0-60 seconds (a scrape must answer within its timeout)")


@dataclass(frozen=True)
class ApiSettings:
    """The REST API (``callqa api``, issue #19): how often each token may call it, how large an upload may be,
    where a submitted path may point, and how often its request audit is written."""

    prefix: ClassVar[str] = "api_"
    rate_per_minute: int = 600  # requests per token per minute (a token bucket: bursts up to this many)
    max_upload_mb: float = 200.0  # a larger upload is refused (413) before anything is written
    # Folders besides the inbox whose recordings may be submitted by path (POST /v1/calls {"path": ...}).
    allowed_roots: Texts = ()
    audit_flush_s: float = 1.0  # the request audit is written in one batch this often

    def check(self) -> None:
        if self.rate_per_minute < 1:
            raise ValueError("api_rate_per_minute must be 1 or more")
        if self.max_upload_mb <= 0:
            raise ValueError("api_max_upload_mb must be more than 0")
        if self.audit_flush_s <= 0:
            raise ValueError("api_audit_flush_s must be more than 0 seconds")


@dataclass(frozen=True)
class CdrSettings:
    """Contact-centre KPIs from call detail records (issue #19, ``pipeline.stats.cdr_kpis``): how service level
    and abandoned calls are counted."""

    prefix: ClassVar[str] = "cdr_"
    service_level_s: float = 20.0  # answered within this many seconds of entering the queue counts as in time
    service_level_target: float = 0.8  # the target shown beside it (80/20)
    short_abandon_s: float = 5.0  # abandoned sooner than this: left out of every KPI (0: every abandon counts)
    abandoned_in_service_level: AbandonedRule = "against"  # against: abandoned calls count as not in time; excluded

    def rules(self) -> KpiRules:
        return KpiRules(self.service_level_s, self.service_level_target, self.short_abandon_s,
                        self.abandoned_in_service_level)

    def check(self) -> None:
        if self.service_level_s <= 0:
            raise ValueError("cdr_service_level_s must be a number of seconds above 0 (20 for 80/20)")
        if not 0 < self.service_level_target <= 1:
            raise ValueError("cdr_service_level_target must be a share above 0 and at most 1 (0.8 for 80/20)")
        if self.short_abandon_s < 0:
            raise ValueError("cdr_short_abandon_s must be 0 (every abandoned call counts) or more seconds")
def _hook_entry(entry: str) -> tuple[str, str]:
    """A ``webhook_urls`` entry as (event type, URL): a bare URL (its query may hold "=") is for every type."""
    if entry.lower().startswith(("http://", "https://")):
        return "", entry
    kind, _, url = entry.partition("=")
    return kind, url


@dataclass(frozen=True)
class WebhookSettings:
    """Webhooks for the CRM (issue #19, usecases/webhook_delivery.py): events POSTed as signed JSON to each URL
    in ``urls``, retried with backoff; delivered after each nightly run and by `callqa webhooks deliver`."""

    prefix: ClassVar[str] = "webhook_"
    # "URL" gets every event; "TYPE=URL" only that type (call.flagged=https://crm/hooks/qa); repeat for several.
    urls: Texts = ()
    secret: str = ""  # the HMAC key; "" = the key in webhook.key beside the database (created once, mode 0600)
    timeout_s: float = 5.0  # per try
    max_attempts: int = 10  # tries in all before a delivery is marked failed
    backoff_s: float = 60.0  # wait before the next pass's try, doubled per pass (with jitter)

    def endpoints(self) -> tuple[Endpoint, ...]:
        """The receivers, one per URL, with the event types each gets (none named: all)."""
        types: dict[str, list[str]] = {}
        for entry in self.urls:
            kind, url = _hook_entry(entry)
            wanted = types.setdefault(url.strip(), [])
            if kind.strip() in ("", "*"):
                wanted.append("*")
            elif kind.strip() not in wanted:
                wanted.append(kind.strip())
        return tuple(Endpoint(url, () if "*" in kinds else tuple(kinds)) for url, kinds in types.items())

    def check(self) -> None:
        for entry in self.urls:
            kind, url = _hook_entry(entry)
            if not url.strip().lower().startswith(("http://", "https://")):
                raise ValueError(f"webhook_urls entries are URL or TYPE=URL with an http(s) URL, not {entry!r}")
            if kind.strip() not in ("", "*", *EVENT_TYPES):
                raise ValueError(f"webhook_urls: unknown event type {kind.strip()!r} (known: {', '.join(EVENT_TYPES)})")
        if self.timeout_s <= 0:
            raise ValueError("webhook_timeout_s must be more than 0 seconds")
        if self.max_attempts < 1:
            raise ValueError("webhook_max_attempts must be at least 1")
        if self.backoff_s < 0:
            raise ValueError("webhook_backoff_s must be 0 or more seconds")


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = field(default_factory=StorageSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    judging: JudgingSettings = field(default_factory=JudgingSettings)
    run: RunSettings = field(default_factory=RunSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    login: LoginSettings = field(default_factory=LoginSettings)
    passwords: PasswordSettings = field(default_factory=PasswordSettings)
    interface: InterfaceSettings = field(default_factory=InterfaceSettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    coaching: CoachingSettings = field(default_factory=CoachingSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    operations: OperationsSettings = field(default_factory=OperationsSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    cdr: CdrSettings = field(default_factory=CdrSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    def analyze_options(self) -> AnalyzeOptions:
        return AnalyzeOptions(
            transcribe=self.asr.transcribe_options(),
            limits=self.audio.limits(),
            vocabulary_hint=self.asr.vocabulary_hint,
            brand_hint=self.asr.brand_hint,
            redact_pii=self.judging.redact_pii,
        )

    def check(self) -> Settings:
        """Raises ValueError naming the first setting out of its range; returns the settings."""
        for section in fields(self):
            check = getattr(getattr(self, section.name), "check", None)
            if check is not None:
                check()
        return self


REPORT_PERIODS: tuple[PeriodKind, ...] = get_args(PeriodKind)
REPORT_GROUPS: tuple[str, ...] = get_args(ScopeKind)


@dataclass(frozen=True)
class _Setting:
    """Where one flat setting lives: its section, its field, and the field's declared type."""

    section: str
    name: str
    declared: Any


def _index() -> dict[str, _Setting]:
    index: dict[str, _Setting] = {}
    for section, cls in get_type_hints(Settings).items():
        hints = get_type_hints(cls, include_extras=True)
        for f in fields(cls):
            flat = f.metadata.get(FLAT_NAME, f"{cls.prefix}{f.name}")
            assert flat not in index, f"two settings are called {flat}"
            index[flat] = _Setting(section, f.name, hints[f.name])
    return index


# Every setting by its flat name (config key, CALLQA_<NAME>, load_settings keyword).
SETTINGS: dict[str, _Setting] = _index()
SECTIONS: dict[str, dict[str, str]] = {}  # section -> field -> flat name (the config file's [section] tables)
for _flat, _where in SETTINGS.items():
    SECTIONS.setdefault(_where.section, {})[_where.name] = _flat
assert not set(SECTIONS) & set(SETTINGS), "a section must not share its name with a setting (config keys)"


# ---------------------------------------------------------------- reading a value by its declared type

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"{value!r} is not a yes/no value (use true or false)")


def _whole(value: object) -> int:
    try:
        if isinstance(value, (int, float, str)):
            return int(value)
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a whole number")


def _number(value: object) -> float:
    try:
        if isinstance(value, (int, float, str)):
            return float(value)
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a number")


def _location(value: object, base: Path | None) -> Path | str:
    if "://" in str(value):  # an fsspec URL (s3://..., file://...): not a local path
        return str(value)
    path = Path(str(value)).expanduser()
    return (base / path) if base is not None and not path.is_absolute() else path


def _one_of(allowed: tuple[object, ...], value: object) -> object:
    text = str(value).strip()
    if text not in allowed:
        raise ValueError(f"{value!r} is not one of {', '.join(map(str, allowed))}")
    return text


def coerce(declared: Any, value: object, base: Path | None = None) -> object:
    """``value`` (text from the environment, or a TOML value) as the ``declared`` type of its field;
    relative paths are taken from ``base``. Raises ValueError saying what was expected."""
    if get_origin(declared) is Annotated:
        plain, *markers = get_args(declared)
        reader = next((m for m in markers if hasattr(m, "read")), None)
        return reader.read(value, base) if reader is not None else coerce(plain, value, base)
    options = get_args(declared) if get_origin(declared) in (Union, types.UnionType) else (declared,)
    if Path in options:
        return _location(value, base)
    kind = options[0]
    if get_origin(kind) is Literal:
        return _one_of(get_args(kind), value)
    if get_origin(kind) is tuple:
        items = Listed().words(value)
        element = get_args(kind)[0]
        if get_origin(element) is Literal:
            unknown = [i for i in items if i not in get_args(element)]
            if unknown:
                raise ValueError(f"{unknown} are not among {', '.join(get_args(element))}")
        return items
    if kind is bool:
        return _boolean(value)
    if kind is int:
        return _whole(value)
    if kind is float:
        return _number(value)
    return str(value)


def _read(flat: str, value: object, base: Path | None, source: str) -> tuple[_Setting, object]:
    setting = SETTINGS[flat]
    try:
        return setting, coerce(setting.declared, value, base)
    except ValueError as err:
        raise ValueError(f"{source}: {flat} {err}") from None


def with_values(settings: Settings, values: dict[str, tuple[_Setting, object]]) -> Settings:
    """``settings`` with the read ``values`` (by flat name) put into their sections."""
    changes: dict[str, dict[str, object]] = {}
    for setting, value in values.values():
        changes.setdefault(setting.section, {})[setting.name] = value
    return replace(settings, **{section: replace(getattr(settings, section), **new)
                                for section, new in changes.items()})


def _from_file(path: Path) -> dict[str, tuple[_Setting, object]]:
    """The settings of a config file: flat keys, or keys in a table per section (``[asr] model``),
    both optionally inside a ``[callqa]`` table. An unknown key is an error (a typo must not pass)."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    data = data.get("callqa", data)
    values: dict[str, tuple[_Setting, object]] = {}
    unknown: list[str] = []
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, dict):
            pairs = [(SECTIONS[key].get(name), f"[{key}] {name}", v) for name, v in value.items()]
        else:
            pairs = [(key if key in SETTINGS else None, key, value)]
        for flat, shown, v in pairs:
            if flat is None:
                unknown.append(shown)
            elif flat in values:
                raise ValueError(f"{path}: {flat} is set twice (as a key and in its [{SETTINGS[flat].section}] table)")
            else:
                values[flat] = _read(flat, v, path.parent, str(path))
    if unknown:
        raise ValueError(f"{path}: unknown settings {sorted(unknown)} (known: {sorted(SETTINGS)}, "
                         f"or the same without the prefix in a table: {sorted(SECTIONS)})")
    return values


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
    """Defaults < config file < ``CALLQA_*`` environment variables < explicit ``overrides`` (e.g. CLI
    flags, by flat name: ``load_settings(db=..., asr_model="small")``)."""
    settings = Settings()
    path = config_path()
    if path is not None:
        settings = with_values(settings, _from_file(path))
    env = {flat: f"CALLQA_{flat.upper()}" for flat in SETTINGS}
    settings = with_values(settings, {flat: _read(flat, os.environ[name], None, name)
                                      for flat, name in env.items() if name in os.environ})
    unknown = set(overrides) - set(SETTINGS)
    if unknown:
        raise TypeError(f"load_settings() got unknown settings {sorted(unknown)}")
    settings = with_values(settings, {flat: _read(flat, value, None, "load_settings")
                                      for flat, value in overrides.items() if value is not None})
    beside_db = Path(settings.storage.db).parent
    if settings.intake.quarantine_dir is None:
        settings = replace(settings, intake=replace(settings.intake, quarantine_dir=beside_db / "quarantine"))
    if not settings.storage.results_dir:
        settings = replace(settings, storage=replace(settings.storage, results_dir=str(beside_db / "results")))
    if settings.reports.dir is None:
        settings = replace(settings, reports=replace(settings.reports, dir=beside_db / "reports"))
    return settings.check()


__all__ = ["AlertSettings", "ApiSettings", "AsrSettings", "AudioSettings", "CdrSettings", "IntakeSettings",
           "JudgingSettings", "LoginSettings", "OperationsSettings", "PasswordSettings", "REPORT_GROUPS",
           "REPORT_PERIODS", "ReportSettings", "RetentionSettings", "RunSettings", "SETTINGS", "Settings",
           "StorageSettings", "WebhookSettings", "coerce", "config_path", "load_settings"]
