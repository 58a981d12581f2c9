"""The QA app's queries at call-center scale (issue #5): generate a big database, time the reads.

    .venv/bin/python benchmarks/app_scale.py                       # 100k calls -> benchmarks/results/app_scale.duckdb
    .venv/bin/python benchmarks/app_scale.py --calls 10000 --seed 3 --db /tmp/small.duckdb
    .venv/bin/python benchmarks/app_scale.py --reuse               # time an existing file again, no generation
    .venv/bin/python benchmarks/app_scale.py --json benchmarks/results/app_scale.json

Generation: a fresh DuckDB file with the project's schema (``storage.db.connect`` applies
storage/migrations), filled by set-based SQL only (INSERT ... SELECT over ``range()`` with
seeded hashes, no Python loop over rows): ~300 operators in 20 teams, calls over 90 days,
ru/en 80/20, stereo/mono, processed with some quarantined/failed, 20-40 segments per call
with word timings, 8 verdicts per call of scorecard v3 plus the v2 verdicts kept for calls
rescored when v3 came (~10 verdicts per call in all), scores and flags derived from those
verdicts, analytics, escalations, PII spans, reviews on a few percent of calls, one run a night.
The same ``--seed``, ``--calls`` and ``--end`` give the same rows.

Timing: every query in the registry (``registry()``, one line each) runs on its own fresh
read-only connection from ``storage.db.connect(path, read_only=True)``, as the app opens one per
read: *cold* is opening that connection plus the first run (DuckDB's buffer pool empty; the OS
file cache is whatever it is), *warm* is the median of ``--repeat`` further runs. A trivial
``SELECT count(*) FROM calls`` is timed the same way in the same run, and each query's warm time
is also given as a ratio to it, since the machine is shared and noisy. Verdict: PASS when both
cold and warm are under the target (1.5 s).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import duckdb

from storage.db import connect

TARGET_S = 1.5
DEFAULT_DB = REPO / "benchmarks" / "results" / "app_scale.duckdb"
SCORECARD = "inbound_support"
DAYS = 90
RESCORED_DAYS = 27  # calls older than DAYS - RESCORED_DAYS were judged with v2 first, then rescored with v3

# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------

# (criterion, weight, critical, base failure rate, evidence window: seconds from start, or from the end when < 0)
CRITERIA = [
    ("greeting", 10, False, 0.05, 0.4, 6.0),
    ("introduction", 15, False, 0.12, 1.0, 12.0),
    ("identification", 15, False, 0.15, 10.0, 60.0),
    ("needs_discovery", 15, False, 0.18, 15.0, 90.0),
    ("resolution", 20, False, 0.14, -120.0, -20.0),
    ("extra_help", 10, False, 0.25, -40.0, -8.0),
    ("farewell", 10, False, 0.08, -10.0, -1.0),
    ("no_forbidden_phrases", 25, True, 0.012, 20.0, -20.0),
]

EVIDENCE = {
    ("greeting", "ru"): ["Здравствуйте", "Добрый день", "Доброе утро", "Добрый вечер"],
    ("greeting", "en"): ["Hello", "Good morning", "Good afternoon", "Hi, thanks for calling"],
    ("introduction", "ru"): ["компания Телеком Плюс, меня зовут Анна", "меня зовут Игорь, Телеком Плюс",
                             "Телеком Плюс, оператор Мария"],
    ("introduction", "en"): ["Telecom Plus, my name is Anna", "this is John from Telecom Plus",
                             "you're through to Mary at Telecom Plus"],
    ("identification", "ru"): ["назовите, пожалуйста, номер договора", "как я могу к вам обращаться?",
                               "подскажите ваши фамилию и имя"],
    ("identification", "en"): ["could I have your account number, please?", "may I have your full name?",
                               "can you confirm your date of birth?"],
    ("needs_discovery", "ru"): ["чем я могу вам помочь?", "расскажите, что случилось",
                                "правильно понимаю, интернет пропал вчера?"],
    ("needs_discovery", "en"): ["how can I help you today?", "what seems to be the problem?",
                                "so the connection dropped yesterday, right?"],
    ("resolution", "ru"): ["я перезапустила вашу линию, проверьте", "оформила перерасчёт, деньги вернутся за три дня",
                           "заявка создана, мастер приедет завтра"],
    ("resolution", "en"): ["I've reset your line, please check now", "I've issued a refund, it takes three days",
                           "an engineer will visit tomorrow"],
    ("extra_help", "ru"): ["могу ещё чем-то помочь?", "остались ли у вас вопросы?", "что-нибудь ещё подсказать?"],
    ("extra_help", "en"): ["is there anything else I can help with?", "anything else today?",
                           "do you have any other questions?"],
    ("farewell", "ru"): ["всего доброго", "до свидания, хорошего дня", "спасибо за обращение, до свидания"],
    ("farewell", "en"): ["goodbye, have a nice day", "thanks for calling, bye", "take care, goodbye"],
    ("no_forbidden_phrases", "ru"): ["это не моя проблема", "я не знаю, звоните в другой отдел", "не мешайте работать"],
    ("no_forbidden_phrases", "en"): ["that's not my problem", "I don't know, call someone else",
                                     "stop wasting my time"],
}

LINES = {
    ("ru", "operator"): [
        "Одну минуту, проверяю информацию по вашему договору",
        "Вижу, что на линии были работы вчера вечером",
        "Сейчас уточню у технической службы",
        "Спасибо за ожидание, я вернулась",
        "Давайте попробуем перезагрузить роутер",
        "По тарифу у вас сейчас сто мегабит",
        "Перерасчёт будет в следующем счёте",
        "Я создала заявку, номер пришлю в смс",
        "Понимаю, это неприятно, сейчас разберёмся",
        "Оставайтесь, пожалуйста, на линии",
        "Подскажите, индикатор на роутере горит?",
        "Платёж прошёл, но ещё не зачислен",
    ],
    ("ru", "customer"): [
        "У меня второй день не работает интернет",
        "Мне списали деньги дважды за месяц",
        "Карта заблокирована, не могу оплатить",
        "Да, роутер перезагружала, не помогло",
        "А когда приедет мастер?",
        "Хорошо, подожду",
        "Сколько можно, я уже третий раз звоню",
        "Понятно, спасибо",
        "Нет, индикатор мигает красным",
        "Хочу сменить тариф на более дешёвый",
        "Доставка опаздывает уже на неделю",
        "Ладно, давайте так",
    ],
    ("en", "operator"): [
        "One moment while I check your account",
        "I can see there was maintenance last night",
        "Let me check with the technical team",
        "Thanks for holding, I'm back",
        "Let's try restarting the router",
        "Your plan is one hundred megabits",
        "The adjustment will show on your next bill",
        "I've opened a ticket, you'll get a text",
        "I understand, let's sort this out",
        "Please stay on the line",
    ],
    ("en", "customer"): [
        "My internet has been down for two days",
        "I was charged twice this month",
        "My card is blocked and I can't pay",
        "Yes I restarted it, didn't help",
        "When will the engineer come?",
        "Okay, I'll wait",
        "This is the third time I'm calling",
        "Right, thanks",
        "No, the light is blinking red",
        "I want a cheaper plan",
    ],
}

PII_LINES = {
    "ru": {"phone": "Мой номер [PHONE], перезвоните", "card": "Номер карты [CARD]", "passport": "Паспорт [PASSPORT]",
           "email": "Почта [EMAIL], пришлите туда"},
    "en": {"phone": "My number is [PHONE], call me back", "card": "The card number is [CARD]",
           "passport": "Passport [PASSPORT]", "email": "My email is [EMAIL], send it there"},
}

REVIEWERS = ["qa.ivanova", "qa.petrov", "qa.sidorova", "qa.kuznetsov", "qa.smirnova", "qa.popov", "qa.volkova",
             "qa.morozov", "qa.lebedeva", "qa.novikov", "qa.brown", "qa.taylor"]
TEAM_QUEUES = ["support"] * 8 + ["billing"] * 4 + ["tech"] * 3 + ["sales"] * 3 + ["retention"] * 2
QUEUES = ["support", "billing", "tech", "sales", "retention"]
ESCALATIONS = ["manager", "manager", "manager", "complaint", "complaint", "cancellation", "cancellation",
               "regulator", "legal"]
ANALYSIS_COLUMNS = ["duration_s", "channels", "sample_rate", "language", "asr_model", "speaker_method",
                    "asr_confidence", "scorecard_name", "scorecard_version", "pipeline_version", "operator_id", "team",
                    "queue", "started_at", "dropped_segments", "speech_regions"]
QUARANTINE_REASONS = ["not audio: invalid data found when processing input", "empty recording",
                      "silent recording: no speech", "too long: 16200 s > max_duration_s 14400"]


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + s.replace("'", "''") + "'" for s in items) + "]"


def _pick(items: list[str], key: str) -> str:
    """SQL for a deterministic pick from a constant list by a hash expression."""
    return f"{_sql_list(items)}[1 + (({key}) % {len(items)})::BIGINT]"


def _lines_expr(role: str, key: str) -> str:
    return (f"CASE g.language WHEN 'ru' THEN {_pick(LINES[('ru', role)], key)} "
            f"ELSE {_pick(LINES[('en', role)], key)} END")


def generation_steps(calls: int, seed: int, end: date) -> list[tuple[str, str]]:
    """(label, SQL) in order. Every random draw is a hash of (row keys, salt, seed): reproducible, and parallel."""
    crit_values = ", ".join(
        f"({k}, '{cid}', {w}.0, {str(crit).lower()}, {p}, {lo}, {hi})"
        for k, (cid, w, crit, p, lo, hi) in enumerate(CRITERIA)
    )
    ev_cases = " ".join(
        f"WHEN criterion_id = '{cid}' AND language = '{lang}' THEN {_pick(items, 'hash(i, k, 51)')}"
        for (cid, lang), items in EVIDENCE.items()
    )
    pii_kinds = ["phone", "phone", "phone", "card", "passport", "email"]
    pii_kind = _pick(pii_kinds, "hash(g.i, s.k, 48)")
    pii_line = " ".join(
        f"WHEN g.language = '{lang}' AND {pii_kind} = '{kind}' THEN '{text}'" for lang, kinds in PII_LINES.items()
        for kind, text in kinds.items()
    )
    return [
        ("macros", f"""
            CREATE OR REPLACE TEMP MACRO u(a, b, salt) AS (hash(a, b, salt, {seed}) % 1000003) / 1000003.0;
            CREATE OR REPLACE TEMP TABLE crit AS SELECT * FROM (VALUES {crit_values})
                t(k, criterion_id, weight, critical, base_fail, ev_lo, ev_hi);
        """),
        # One row per call with every per-call draw, so the tables below agree with each other.
        ("call parameters", f"""
            CREATE OR REPLACE TEMP TABLE g AS
            WITH b AS (
                SELECT i,
                       sha256('{seed}:' || i) AS sha,
                       least(299, floor(300 * pow(u(i, 0, 1), 1.25)))::INTEGER AS op,  -- some operators take more calls
                       1 + floor({DAYS} * u(i, 0, 2))::INTEGER AS day_back,
                       u(i, 0, 6) AS st,
                       CASE WHEN u(i, 0, 8) < 0.8 THEN 'ru' ELSE 'en' END AS language,
                       CASE WHEN u(i, 0, 9) < 0.7 THEN 2 ELSE 1 END AS channels,
                       round(least(3600, 25 + -ln(1 - u(i, 0, 10)) * 210), 2) AS duration_s,
                       u(i, 0, 11) < 0.03 AS asr_low,
                       u(i, 0, 16) AS cs_u, u(i, 0, 17) AS ce_u
                FROM range({calls}) t(i)
            )
            SELECT b.*,
                   sha[:20] AS call_id,
                   'op' || lpad(op::VARCHAR, 4, '0') AS operator_id,
                   'team-' || lpad((op % 20 + 1)::VARCHAR, 2, '0') AS team,
                   CASE WHEN u(i, 0, 3) < 0.1 THEN {_pick(QUEUES, 'hash(i, 4)')}
                        ELSE {_sql_list(TEAM_QUEUES)}[op % 20 + 1] END AS queue,
                   DATE '{end.isoformat()}' - day_back AS call_day,
                   (DATE '{end.isoformat()}' - day_back)::TIMESTAMP
                       + to_seconds(floor(8 * 3600 + 12 * 3600 * u(i, 0, 5))::BIGINT) AS started_at,
                   CASE WHEN st < 0.97 THEN 'processed' WHEN st < 0.99 THEN 'quarantined' ELSE 'failed' END AS status,
                   md5('run:' || (DATE '{end.isoformat()}' - day_back + 1))[:12] AS run_id,
                   (DATE '{end.isoformat()}' - day_back + 1)::TIMESTAMP
                       + to_seconds(floor(2 * 3600 + 3 * 3600 * u(i, 0, 7))::BIGINT) AS processed_at,
                   day_back > {DAYS - RESCORED_DAYS} AS rescored,
                   round(CASE WHEN asr_low THEN 0.3 + 0.2 * u(i, 0, 12) ELSE 0.62 + 0.33 * u(i, 0, 12) END, 3)
                       AS asr_confidence,
                   CASE WHEN channels = 2 THEN 'stereo_channels'
                        WHEN u(i, 0, 13) < 0.05 THEN 'mono_unassigned' ELSE 'pyannote_diarization' END
                       AS speaker_method,
                   (20 + hash(i, 14) % 21)::INTEGER AS nseg,
                   CASE WHEN u(i, 0, 15) < 0.8 THEN 0 ELSE (1 + hash(i, 15) % 3)::INTEGER END AS pii_n,
                   round(-0.5 + 1.1 * cs_u, 3) AS customer_start,
                   round(-0.5 + 1.3 * (0.7 * ce_u + 0.3 * cs_u), 3) AS customer_end,
                   round(0.05 + 0.3 * u(i, 0, 19), 3) AS operator_mean,
                   round(-ln(1 - u(i, 0, 20)) * 3.5, 2) AS dead_air_s,
                   CASE WHEN u(i, 0, 21) < 0.85 THEN 0 ELSE (1 + hash(i, 21) % 2)::INTEGER END AS hold_count,
                   round(duration_s * (0.3 + 0.25 * u(i, 0, 22)), 2) AS operator_talk_s,
                   round(duration_s * (0.25 + 0.25 * u(i, 0, 23)), 2) AS customer_talk_s,
                   round(-ln(1 - u(i, 0, 24)) * 2.5, 2) AS overtalk_s,
                   u(i, 0, 18) AS esc_u,
                   {_pick(ESCALATIONS, 'hash(i, 25)')} AS esc_category
            FROM b
        """),
        ("call parameters 2", """
            CREATE OR REPLACE TEMP TABLE g AS
            SELECT *,
                   CASE WHEN hold_count = 0 THEN 0 ELSE round(10 + 80 * u(i, 0, 26), 2) END AS hold_s,
                   esc_u < 0.05 + CASE WHEN customer_end < -0.15 THEN 0.25 ELSE 0 END AS escalated
            FROM g
        """),
        ("calls", f"""
            INSERT INTO calls (call_id, content_sha256, source_path, file_name, file_size, status, error, attempts,
                               first_seen_at, processed_at, run_id, {", ".join(ANALYSIS_COLUMNS)})
            SELECT call_id, sha, source_path, fname, file_size, status,
                   CASE status WHEN 'quarantined' THEN {_pick(QUARANTINE_REASONS, 'hash(i, 30)')}
                               WHEN 'failed' THEN 'internal error: RuntimeError: CUDA out of memory' END,
                   CASE status WHEN 'failed' THEN 2 ELSE 1 END,
                   processed_at - to_seconds((30 + hash(i, 31) % 300)::BIGINT), processed_at, run_id,
                   -- save_problem stores no analysis and no metadata for quarantined and failed recordings
                   {", ".join(f"CASE WHEN status = 'processed' THEN a_{c} END" for c in ANALYSIS_COLUMNS)}
            FROM (
                SELECT *,
                       '/mnt/pbx/recordings/' || strftime(call_day, '%Y/%m/%d/') || fname AS source_path,
                       (duration_s * 16000 * channels)::BIGINT + 44 AS file_size,
                       duration_s AS a_duration_s, channels AS a_channels, 8000 AS a_sample_rate,
                       language AS a_language, 'base' AS a_asr_model, speaker_method AS a_speaker_method,
                       asr_confidence AS a_asr_confidence, '{SCORECARD}' AS a_scorecard_name, 3 AS a_scorecard_version,
                       '2' AS a_pipeline_version, operator_id AS a_operator_id, team AS a_team, queue AS a_queue,
                       started_at AS a_started_at, (hash(i, 32) % 3)::INTEGER AS a_dropped_segments,
                       (CASE WHEN channels = 2
                             THEN '[[[0.4,' || round(duration_s * 0.3, 2) || '],[' || round(duration_s * 0.5, 2) || ','
                                  || round(duration_s - 1, 2) || ']],[[' || round(duration_s * 0.3, 2) || ','
                                  || round(duration_s * 0.5, 2) || ']]]'
                             ELSE '[[[0.4,' || round(duration_s - 1, 2) || ']]]' END)::JSON AS a_speech_regions
                FROM (SELECT *, operator_id || '_' || strftime(started_at, '%Y%m%dT%H%M%S') || '_' || i
                                || CASE WHEN channels = 2 THEN '.wav' ELSE '.mp3' END AS fname FROM g)
            )
        """),
        ("segments", f"""
            INSERT INTO segments (call_id, idx, speaker, channel, start_s, end_s, text, asr_confidence,
                                  speaker_confidence, words, sentiment)
            SELECT call_id, k, speaker, channel, start_s, end_s, text, asr_confidence, speaker_confidence,
                   list_transform(ws, lambda w, j: {{
                       's': round(start_s + (j - 1) * step, 2), 'e': round(start_s + j * step, 2), 'w': w,
                       'p': round(least(1.0, asr_confidence + 0.1 * (u(i, k * 64 + j, 47) - 0.5)), 3)}}),
                   sentiment
            FROM (SELECT *, string_split(text, ' ') AS ws, (end_s - start_s) / len(string_split(text, ' ')) AS step
                  FROM (
                SELECT g.call_id, g.i, s.k,
                       CASE WHEN g.speaker_method = 'mono_unassigned' THEN 'unknown'
                            WHEN s.k % 2 = 0 THEN 'operator' ELSE 'customer' END AS speaker,
                       CASE WHEN g.channels = 2 THEN (s.k % 2)::INTEGER ELSE 0 END AS channel,
                       round(s.k * g.duration_s / g.nseg + 0.1 * u(g.i, s.k, 41) * g.duration_s / g.nseg, 2) AS start_s,
                       round(s.k * g.duration_s / g.nseg + (0.6 + 0.3 * u(g.i, s.k, 42)) * g.duration_s / g.nseg, 2)
                           AS end_s,
                       CASE WHEN s.k % 2 = 1 AND (s.k - 1) / 2 BETWEEN 1 AND g.pii_n
                            THEN CASE {pii_line} END
                            WHEN s.k % 2 = 0 THEN {_lines_expr('operator', 'hash(g.i, s.k, 43)')}
                            ELSE {_lines_expr('customer', 'hash(g.i, s.k, 43)')} END AS text,
                       round(least(0.99, g.asr_confidence + 0.1 * (u(g.i, s.k, 44) - 0.5)), 3) AS asr_confidence,
                       CASE WHEN g.channels = 2 THEN 1.0 WHEN g.speaker_method = 'mono_unassigned' THEN 0.0
                            ELSE round(0.6 + 0.39 * u(g.i, s.k, 45), 3) END AS speaker_confidence,
                       CASE WHEN s.k % 2 = 1
                            THEN round(g.customer_start + (g.customer_end - g.customer_start) * s.k / g.nseg
                                       + 0.2 * (u(g.i, s.k, 46) - 0.5), 3)
                            ELSE round(g.operator_mean + 0.1 * (u(g.i, s.k, 46) - 0.5), 3) END AS sentiment
                FROM g JOIN range(40) s(k) ON s.k < g.nseg
                WHERE g.status = 'processed'
            ))
        """),
        ("pii_spans", """
            INSERT INTO pii_spans (call_id, idx, kind, segment_idx, start_s, end_s)
            SELECT s.call_id, row_number() OVER (PARTITION BY s.call_id ORDER BY s.idx) - 1,
                   CASE WHEN s.text LIKE '%[PHONE]%' THEN 'phone' WHEN s.text LIKE '%[CARD]%' THEN 'card'
                        WHEN s.text LIKE '%[PASSPORT]%' THEN 'passport' ELSE 'email' END,
                   s.idx, round(s.start_s + 0.3 * (s.end_s - s.start_s), 2),
                   round(s.start_s + 0.8 * (s.end_s - s.start_s), 2)
            FROM segments s
            WHERE s.idx % 2 = 1 AND s.idx <= 7 AND s.text LIKE '%[%]%'
        """),
        ("call_analytics", """
            INSERT INTO call_analytics (call_id, metrics, sentiment, customer_end_sentiment, talk_listen_ratio,
                                        dead_air_s, overtalk_s, handle_time_s)
            SELECT call_id,
                   json_object('handle_time_s', duration_s, 'conversation_s', round(duration_s - 0.4, 2),
                               'speech_s', round(operator_talk_s + customer_talk_s - overtalk_s, 2),
                               'silence_s', round(greatest(0, duration_s - operator_talk_s - customer_talk_s), 2),
                               'dead_air_s', dead_air_s, 'longest_silence_s', round(dead_air_s * 0.7, 2),
                               'hold_count', hold_count, 'hold_s', hold_s,
                               'holds', CASE WHEN hold_count = 0 THEN []
                                             ELSE [[round(duration_s * 0.4, 2),
                                                    round(duration_s * 0.4 + hold_s, 2)]] END,
                               'long_silences', CASE WHEN dead_air_s > 10 THEN [[round(duration_s * 0.6, 2),
                                                     round(duration_s * 0.6 + dead_air_s, 2)]] ELSE [] END,
                               'operator_talk_s', operator_talk_s, 'customer_talk_s', customer_talk_s,
                               'overtalk_s', overtalk_s,
                               'interruptions_by_operator', (hash(i, 60) % 4)::INTEGER,
                               'interruptions_by_customer', (hash(i, 61) % 6)::INTEGER,
                               'talk_listen_ratio', round(operator_talk_s / customer_talk_s, 3),
                               'operator_wpm', round(120 + 50 * u(i, 0, 62), 1),
                               'customer_wpm', round(110 + 60 * u(i, 0, 63), 1)),
                   json_object('customer_start', customer_start, 'customer_end', customer_end,
                               'operator_mean', operator_mean),
                   customer_end, round(operator_talk_s / customer_talk_s, 3), dead_air_s, overtalk_s, duration_s
            FROM g WHERE status = 'processed'
        """),
        ("detections", """
            INSERT INTO detections (call_id, scorecard_name, scorecard_version, kind, category, method, confidence,
                                    evidence_text, evidence_start, evidence_end)
            SELECT g.call_id, 'inbound_support', v.ver, 'escalation', g.esc_category,
                   CASE WHEN u(g.i, 0, 70) < 0.7 THEN 'lemma' ELSE 'semantic' END,
                   round(0.65 + 0.34 * u(g.i, 0, 71), 3),
                   CASE g.esc_category
                        WHEN 'manager' THEN CASE g.language WHEN 'ru' THEN 'позовите руководителя'
                                                            ELSE 'let me speak to your manager' END
                        WHEN 'complaint' THEN CASE g.language WHEN 'ru' THEN 'я буду жаловаться'
                                                              ELSE 'I want to file a complaint' END
                        WHEN 'cancellation' THEN CASE g.language WHEN 'ru' THEN 'я расторгаю договор'
                                                                 ELSE 'I am cancelling my contract' END
                        WHEN 'regulator' THEN CASE g.language WHEN 'ru' THEN 'напишу в Роскомнадзор'
                                                              ELSE 'I will report you to the regulator' END
                        ELSE CASE g.language WHEN 'ru' THEN 'обращусь в суд' ELSE 'my lawyer will contact you' END END,
                   round(g.duration_s * (0.5 + 0.4 * u(g.i, 0, 72)), 2),
                   round(g.duration_s * (0.5 + 0.4 * u(g.i, 0, 72)) + 2.5, 2)
            FROM g JOIN (VALUES (2), (3)) v(ver) ON v.ver = 3 OR g.rescored
            WHERE g.status = 'processed' AND g.escalated
        """),
        # Operators differ: each is much weaker than average on ~12% of criteria, a bit better or worse on the rest.
        ("criteria_results", f"""
            INSERT INTO criteria_results (call_id, scorecard_name, scorecard_version, criterion_id, result, method,
                                          confidence, weight, critical, reason, evidence_text, evidence_start,
                                          evidence_end, evidence_speaker, scored_at)
            WITH x AS (
                SELECT g.i, g.call_id, g.language, g.duration_s, g.processed_at, g.speaker_method, g.rescored,
                       c.k, c.criterion_id, c.weight, c.critical, c.ev_lo, c.ev_hi, v.ver,
                       least(0.9, c.base_fail
                             * CASE WHEN u(g.op, c.k, 31) < 0.12 THEN 2.5 + 2.5 * u(g.op, c.k, 32)
                                    ELSE 0.4 + 0.8 * u(g.op, c.k, 32) END
                             * CASE WHEN v.ver = 2 THEN 1.2 ELSE 1.0 END) AS p_fail,
                       CASE WHEN g.asr_low THEN 0.45 WHEN g.speaker_method = 'mono_unassigned' THEN 0.6
                            WHEN g.channels = 1 THEN 0.04 ELSE 0.015 END
                           * CASE WHEN c.critical THEN 0.3 ELSE 1.0 END AS p_unknown,
                       u(g.i, c.k, 33) AS r,
                       u(g.i, c.k, 34) AS r2
                FROM g CROSS JOIN crit c JOIN (VALUES (2), (3)) v(ver) ON v.ver = 3 OR g.rescored
                WHERE g.status = 'processed'
            ), y AS (
                SELECT *,
                       CASE WHEN criterion_id = 'identification' AND r > 0.97 THEN 'na'
                            WHEN r < p_unknown THEN 'unknown' WHEN r < p_unknown + p_fail THEN 'fail' ELSE 'pass' END
                           AS result,
                       -- evidence time: a window from the start, from the end, or anywhere between (forbidden phrases)
                       round(greatest(0.2, least(duration_s - 1,
                           CASE WHEN ev_lo >= 0 AND ev_hi >= 0 THEN ev_lo + (ev_hi - ev_lo) * r2
                                WHEN ev_lo < 0 THEN duration_s + ev_lo + (ev_hi - ev_lo) * r2
                                ELSE ev_lo + (duration_s + ev_hi - ev_lo) * r2 END)), 2) AS ev_at
                FROM x
            )
            SELECT call_id, '{SCORECARD}', ver, criterion_id, result,
                   CASE WHEN result = 'pass' AND critical THEN 'lemma/fuzzy/semantic'
                        WHEN result = 'pass' THEN CASE WHEN r2 < 0.55 THEN 'lemma' WHEN r2 < 0.7 THEN 'fuzzy'
                                                       WHEN r2 < 0.8 THEN 'pattern' ELSE 'semantic' END
                                                  || CASE WHEN criterion_id = 'introduction' THEN '+lemma' ELSE '' END
                        WHEN result = 'fail' AND critical THEN CASE WHEN r2 < 0.8 THEN 'lemma' ELSE 'semantic' END
                        WHEN result = 'fail' AND r2 < 0.12 THEN 'lemma'
                        WHEN result = 'fail' THEN 'lemma/fuzzy/pattern/semantic'
                        WHEN result = 'unknown' AND speaker_method = 'mono_unassigned' THEN 'lemma_unattributed'
                        ELSE 'none' END AS method,
                   round(CASE result WHEN 'pass' THEN 0.7 + 0.3 * r2 WHEN 'fail' THEN 0.6 + 0.35 * r2
                                     WHEN 'unknown' THEN 0.25 + 0.25 * r2 ELSE 1.0 END, 3),
                   weight, critical,
                   CASE WHEN result = 'pass' AND critical THEN NULL
                        WHEN result = 'pass' THEN 'said: ' || coalesce(ev_text, criterion_id)
                        WHEN result = 'fail' AND critical THEN 'rudeness: ' || ev_text
                        WHEN result = 'fail' AND r2 < 0.12 THEN 'said outside its window'
                        WHEN result = 'fail' THEN 'not said by the operator'
                        WHEN result = 'unknown' AND speaker_method = 'mono_unassigned'
                             THEN 'heard in speech not attributed to a speaker'
                        WHEN result = 'unknown'
                             THEN 'low recognition confidence (0.' || (30 + hash(i, k, 35) % 20) || ')'
                        ELSE 'not applicable' END,
                   ev_text, CASE WHEN ev_text IS NOT NULL THEN ev_at END,
                   CASE WHEN ev_text IS NOT NULL THEN round(ev_at + 0.6 + length(ev_text) / 15.0, 2) END,
                   CASE WHEN ev_text IS NULL THEN NULL WHEN speaker_method = 'mono_unassigned' THEN 'unknown'
                        ELSE 'operator' END,
                   CASE WHEN rescored AND ver = 3
                        THEN DATE '{end.isoformat()}' - {DAYS - RESCORED_DAYS - 1} + INTERVAL 3 HOUR
                        ELSE processed_at END
            FROM (
                SELECT *,
                       CASE WHEN (result = 'pass' AND NOT critical) OR (result = 'fail' AND (critical OR r2 < 0.12))
                                 OR (result = 'unknown' AND speaker_method = 'mono_unassigned')
                            THEN CASE {ev_cases} END END AS ev_text
                FROM y
            ) x
        """),
        ("scores", """
            INSERT INTO scores (call_id, scorecard_name, scorecard_version, score, flags, scored_at)
            WITH agg AS (
                SELECT call_id, scorecard_name, scorecard_version,
                       bool_or(critical AND result = 'fail') AS critical_fail,
                       sum(weight) FILTER (result = 'pass') AS w_pass,
                       sum(weight) FILTER (result IN ('pass', 'fail')) AS w_judged,
                       bool_or(result = 'unknown') AS unjudged,
                       max(scored_at) AS scored_at
                FROM criteria_results GROUP BY ALL
            ), s AS (
                SELECT agg.*, g.asr_low, g.speaker_method, g.escalated, g.customer_end, g.dead_air_s, g.hold_s,
                       CASE WHEN critical_fail THEN 0.0
                            WHEN w_judged > 0 THEN round(100.0 * coalesce(w_pass, 0) / w_judged, 1) END AS score
                FROM agg JOIN g USING (call_id)
            )
            SELECT call_id, scorecard_name, scorecard_version, score,
                   list_filter([
                       CASE WHEN critical_fail THEN 'forbidden_phrase' END,
                       CASE WHEN critical_fail THEN 'critical_fail' END,
                       CASE WHEN score < 70 THEN 'low_score' END,
                       CASE WHEN asr_low THEN 'low_asr_confidence' END,
                       CASE WHEN unjudged THEN 'unjudged_criteria' END,
                       CASE WHEN speaker_method = 'mono_unassigned' THEN 'speakers_unassigned' END,
                       CASE WHEN escalated THEN 'escalation' END,
                       CASE WHEN customer_end < -0.15 THEN 'negative_customer_end' END,
                       CASE WHEN dead_air_s > 10 OR hold_s > 60 THEN 'long_silence' END], f -> f IS NOT NULL),
                   scored_at
            FROM s
        """),
        # A few percent of calls are reviewed, flagged ones ten times as often; reviewers confirm or override
        # some verdicts (some twice, by a second reviewer later), comment on some calls, mark the call reviewed.
        ("reviews", f"""
            CREATE OR REPLACE TEMP TABLE rv AS
            SELECT g.call_id, g.i, g.processed_at + to_seconds((3600 + hash(g.i, 80) % (5 * 86400))::BIGINT) AS rv_at,
                   {_pick(REVIEWERS, 'hash(g.op, 81)')} AS reviewer
            FROM scores s JOIN g USING (call_id)
            WHERE s.scorecard_version = 3 AND u(g.i, 0, 82) < CASE WHEN len(s.flags) > 0 THEN 0.06 ELSE 0.006 END;

            INSERT INTO reviews (review_id, call_id, criterion_id, action, verdict, comment, reviewer, created_at)
            SELECT md5('review:' || rv.call_id || ':' || cr.criterion_id || ':' || n.n), rv.call_id, cr.criterion_id,
                   CASE WHEN n.n = 2 OR u(rv.i, cr.k, 83) < 0.35 THEN 'override' ELSE 'confirm' END,
                   CASE WHEN n.n = 2 THEN CASE WHEN cr.result = 'pass' THEN 'fail' ELSE 'pass' END
                        WHEN u(rv.i, cr.k, 83) < 0.35
                             THEN CASE cr.result WHEN 'fail' THEN 'pass' WHEN 'pass' THEN 'fail'
                                       ELSE {_pick(['pass', 'fail', 'na'], 'hash(rv.i, cr.k, 84)')} END
                        WHEN cr.result = 'unknown' THEN {_pick(['pass', 'fail'], 'hash(rv.i, cr.k, 84)')}
                        ELSE cr.result END,
                   CASE WHEN u(rv.i, cr.k, 85) < 0.3 THEN 'evidence checked on the recording' END,
                   CASE WHEN n.n = 2 THEN 'qa.lead' ELSE rv.reviewer END,
                   rv.rv_at + to_seconds(60 * cr.k + 86400 * (n.n - 1))
            FROM rv
            JOIN (SELECT c.*, k FROM criteria_results c JOIN crit USING (criterion_id) WHERE c.scorecard_version = 3) cr
                 USING (call_id)
            JOIN (VALUES (1), (2)) n(n) ON n.n = 1 OR u(rv.i, cr.k, 86) < 0.1
            WHERE (cr.result IN ('fail', 'unknown') AND u(rv.i, cr.k, 87) < 0.7)
               OR (cr.result = 'pass' AND u(rv.i, cr.k, 87) < 0.04);

            INSERT INTO reviews (review_id, call_id, criterion_id, action, verdict, comment, reviewer, created_at)
            SELECT md5('review:' || call_id || ':comment'), call_id, NULL, 'comment', NULL,
                   {_pick(['operator was polite but skipped the script', 'customer was hard to hear',
                           'good recovery after the complaint', 'discuss extra_help at the next 1:1',
                           'ASR missed the greeting'], 'hash(i, 88)')},
                   reviewer, rv_at + INTERVAL 10 MINUTE
            FROM rv WHERE u(i, 0, 89) < 0.25;

            INSERT INTO reviews (review_id, call_id, criterion_id, action, verdict, comment, reviewer, created_at)
            SELECT md5('review:' || rv.call_id || ':flip'), rv.call_id, NULL, 'flip_roles', NULL, NULL, rv.reviewer,
                   rv.rv_at + INTERVAL 1 MINUTE
            FROM rv JOIN g USING (call_id) WHERE g.speaker_method = 'pyannote_diarization' AND u(rv.i, 0, 91) < 0.05;

            INSERT INTO reviews (review_id, call_id, criterion_id, action, verdict, comment, reviewer, created_at)
            SELECT md5('review:' || call_id || ':reviewed'), call_id, NULL, 'reviewed', NULL, NULL, reviewer,
                   rv_at + INTERVAL 15 MINUTE
            FROM rv WHERE u(i, 0, 90) < 0.9;  -- some reviews were left unfinished
        """),
        ("runs", """
            INSERT INTO runs (run_id, flow, inbox, started_at, finished_at, status, discovered, new_calls, processed,
                              quarantined, failed, skipped, audio_s, wall_s)
            SELECT run_id, 'nightly', '/mnt/pbx/recordings', min(processed_at) - INTERVAL 10 MINUTE,
                   max(processed_at) + INTERVAL 2 MINUTE,
                   CASE WHEN hash(run_id) % 60 = 0 THEN 'failed' ELSE 'completed' END,
                   count(*), count(*), count(*) FILTER (status = 'processed'), count(*) FILTER (status = 'quarantined'),
                   count(*) FILTER (status = 'failed'), 0, round(sum(duration_s), 1),
                   round(epoch(max(processed_at) - min(processed_at)) + 720, 1)
            FROM g GROUP BY run_id
        """),
    ]


def _register_scorecards(con: duckdb.DuckDBPyConnection) -> None:
    """The real v2 and v3 texts, as ``storage.calls.register_scorecard`` keeps them."""
    for version, path in ((2, REPO / "scorecards" / "archive" / f"{SCORECARD}@2.yaml"),
                          (3, REPO / "scorecards" / f"{SCORECARD}.yaml")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            con.execute("INSERT INTO scorecards (scorecard_name, scorecard_version, digest, yaml, registered_at)"
                        " VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
                        [SCORECARD, version, hashlib.sha256(text.encode("utf-8")).hexdigest(), text])


def optional_steps(con: duckdb.DuckDBPyConnection, end: date) -> list[tuple[str, str]]:
    """Rows for schema parts that later migrations add: filled when this database has them."""
    columns = {(t, c) for t, c in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'").fetchall()}
    steps = []
    if ("reviews", "reviewer_role") in columns:
        steps.append(("reviews.reviewer_role", """
            UPDATE reviews SET reviewer_role = CASE WHEN reviewer = 'qa.lead' THEN 'trainer' ELSE 'reviewer' END
            WHERE created_at >= (SELECT min(created_at) + INTERVAL 30 DAY FROM reviews)  -- NULL before the column came
        """))
    if ("coaching_assignments", "assignment_id") in columns:
        # Trainers assigned about half of the operators' weak topics, some 30-60 days ago.
        steps.append(("coaching_assignments", f"""
            INSERT INTO coaching_assignments (assignment_id, operator_id, criterion_id, assigned_by, assigned_at, note)
            SELECT md5('assign:' || o.op || ':' || c.criterion_id), 'op' || lpad(o.op::VARCHAR, 4, '0'), c.criterion_id,
                   'qa.lead',
                   (DATE '{end.isoformat()}' - (30 + hash(o.op, c.k, 92) % 30)::INTEGER)::TIMESTAMP + INTERVAL 11 HOUR,
                   CASE WHEN u(o.op, c.k, 93) < 0.5 THEN 'listen to three good calls together' END
            FROM range(300) o(op) CROSS JOIN crit c
            WHERE u(o.op, c.k, 31) < 0.12 AND u(o.op, c.k, 94) < 0.5
        """))
    if ("audit_samples", "sample_id") in columns:
        # The QA programme (issue #18): two calls per operator and night drawn for the audit sample, reviewed
        # criterion by criterion on 80% of them (a reviewer overturns about one verdict in ten), and operators'
        # disputes on 0.5% of failed verdicts, most resolved.
        steps.append(("audit_samples", """
            INSERT INTO audit_samples (sample_id, call_id, stratum, drawn_at, drawn_by, seed, period_since,
                                       period_until)
            SELECT 'night-' || strftime(day, '%Y-%m-%d'), call_id, 'operator=' || operator_id,
                   day + INTERVAL 1 DAY + INTERVAL 3 HOUR, 'nightly', 'callqa', day, day + INTERVAL 1 DAY
            FROM (SELECT call_id, operator_id, CAST(coalesce(started_at, processed_at) AS DATE)::TIMESTAMP AS day,
                         row_number() OVER (PARTITION BY operator_id, CAST(coalesce(started_at, processed_at) AS DATE)
                                            ORDER BY sha256('callqa' || call_id)) AS place
                  FROM calls WHERE status = 'processed')
            WHERE place <= 2
        """))
        steps.append(("audit sample reviews", """
            INSERT INTO reviews (review_id, call_id, criterion_id, action, verdict, comment, reviewer, created_at,
                                 reviewer_role)
            SELECT md5('sample-review:' || r.call_id || r.criterion_id), r.call_id, r.criterion_id,
                   CASE WHEN hash(r.call_id, r.criterion_id, 95) % 10 = 0 THEN 'override' ELSE 'confirm' END,
                   CASE WHEN hash(r.call_id, r.criterion_id, 95) % 10 <> 0 THEN
                        CASE WHEN r.result = 'unknown' THEN 'pass' ELSE r.result END
                        WHEN r.result = 'fail' THEN 'pass' ELSE 'fail' END,
                   NULL, 'qa.sample', a.drawn_at + INTERVAL 5 HOUR, 'reviewer'
            FROM audit_samples a
            JOIN calls c USING (call_id)
            JOIN criteria_results r ON r.call_id = c.call_id AND r.scorecard_name = c.scorecard_name
                 AND r.scorecard_version = c.scorecard_version
            WHERE hash(a.call_id, 96) % 10 < 8 AND r.result IN ('pass', 'fail', 'unknown')
        """))
    if ("disputes", "dispute_id") in columns:
        steps.append(("disputes", """
            INSERT INTO disputes (dispute_id, call_id, criterion_id, operator_id, raised_by, raised_at, comment,
                                  disputed_verdict)
            SELECT md5('dispute:' || r.call_id || r.criterion_id), r.call_id, r.criterion_id, c.operator_id,
                   c.operator_id, c.processed_at + INTERVAL 1 DAY, 'I said it at the start of the call', 'fail'
            FROM criteria_results r JOIN calls c ON c.call_id = r.call_id AND c.scorecard_name = r.scorecard_name
                 AND c.scorecard_version = r.scorecard_version
            WHERE r.result = 'fail' AND hash(r.call_id, r.criterion_id, 97) % 200 = 0
        """))
        steps.append(("dispute_resolutions", """
            INSERT INTO dispute_resolutions (dispute_id, outcome, resolved_by, resolved_at, comment, new_verdict,
                                             call_id)
            SELECT dispute_id, CASE WHEN hash(dispute_id, 98) % 3 = 0 THEN 'overturned' ELSE 'upheld' END,
                   'qa.lead', raised_at + INTERVAL 1 DAY, 'checked the recording',
                   CASE WHEN hash(dispute_id, 98) % 3 = 0 THEN 'pass' END, call_id
            FROM disputes WHERE hash(dispute_id, 99) % 10 < 8
        """))
    return steps


def generate(path: Path, calls: int, seed: int, end: date) -> dict:
    """A fresh database at ``path``; returns seconds per step and row counts."""
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            p.unlink()
    steps: dict[str, float] = {}
    t_all = time.perf_counter()
    with connect(path) as con:  # applies storage/migrations
        for label, sql in generation_steps(calls, seed, end) + optional_steps(con, end):
            t = time.perf_counter()
            con.execute("BEGIN TRANSACTION")
            con.execute(sql)
            con.execute("COMMIT")
            steps[label] = round(time.perf_counter() - t, 2)
            print(f"  {label:<20} {steps[label]:7.2f} s", flush=True)
        _register_scorecards(con)
        t = time.perf_counter()
        con.execute("CHECKPOINT")
        steps["checkpoint"] = round(time.perf_counter() - t, 2)
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
            " AND table_name <> 'schema_migrations' ORDER BY table_name").fetchall()]
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    return {"seconds": round(time.perf_counter() - t_all, 2), "steps": steps, "rows": counts}


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Params:
    """What the queries are asked about, drawn from the database with the seed."""
    call_id: str
    operator_id: str
    team: str
    criterion_id: str  # a topic coached for operator_id where trainers assigned any, else one they fail often
    run_id: str
    until: datetime  # the day after the last call: the app's periods end "now"
    since30: datetime
    since90: datetime
    deep_offset_30: int  # the last page of the app's default queue (flagged, 30 days)


@dataclass(frozen=True)
class Entry:
    name: str
    fn: Callable[[duckdb.DuckDBPyConnection], Any] | None
    note: str = ""
    errors: list[str] = field(default_factory=list)  # parts of a page that raised (the rest is still timed)


@dataclass(frozen=True)
class Lazy:
    """An argument built from a ``storage`` class when the entry is resolved (it may not exist yet)."""
    target: str
    kwargs: dict


def new(target: str, **kwargs: Any) -> Lazy:
    return Lazy(target, kwargs)


def _resolve(target: str) -> Any:
    module_name, _, attr = target.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def q(name: str, target: str, *args: Any, **kwargs: Any) -> Entry:
    """An entry timing ``module.function(con, *args, **kwargs)``; skipped (with a note) while it does not exist."""
    try:
        func = _resolve(target)
        args = tuple(_resolve(a.target)(**a.kwargs) if isinstance(a, Lazy) else a for a in args)
        kwargs = {k: _resolve(v.target)(**v.kwargs) if isinstance(v, Lazy) else v for k, v in kwargs.items()}
    except (ImportError, AttributeError) as err:
        return Entry(name, None, f"{target}: {type(err).__name__}: {err}")
    return Entry(name, lambda con: func(con, *args, **kwargs))


def page(name: str, *parts: Entry) -> Entry:
    """A page's reads one after another (on one connection; the app opens one per read, ~10-40 ms each).
    A read that raises is left out of the figure and reported, as the page would show an error there."""
    present = [p for p in parts if p.fn is not None]
    missing = [p.name for p in parts if p.fn is None]
    if not present:
        return Entry(name, None, "none of its reads exist")
    errors: list[str] = []

    def run(con: duckdb.DuckDBPyConnection) -> list:
        out = []
        for part in present:
            try:
                out.append(part.fn(con))
            except duckdb.Error as err:
                message = f"{part.name}: {type(err).__name__}: {str(err).splitlines()[0]}"
                if message not in errors:
                    errors.append(message)
        return out

    return Entry(name, run, f"without {', '.join(missing)} (missing)" if missing else "", errors)


def registry(p: Params) -> list[Entry]:
    """The queries timed: add a dashboard query with one line. Periods: the app's defaults (30 or 90 days)."""
    flagged_30 = new("storage.review_queue.QueueFilter", since=p.since30, until=p.until)
    call_reads = [
        q("call_detail", "storage.queries.call_detail", p.call_id),
        q("call_segments", "storage.queries.call_segments", p.call_id),
        q("roles_flipped", "storage.calls.roles_flipped", p.call_id),
        q("call_pii_spans", "storage.queries.call_pii_spans", p.call_id),
        q("call_analytics", "storage.queries.call_analytics", p.call_id),
        q("call_detections", "storage.queries.call_detections", p.call_id),
        q("call_criteria", "storage.queries.call_criteria", p.call_id),
        q("call_reviews", "storage.queries.call_reviews", p.call_id),
    ]
    queue_reads = [
        q("recent_runs (last run)", "storage.queries.recent_runs", limit=1),
        q("filter_options", "storage.review_queue.filter_options"),
        q("queue_size: flagged, 30 days", "storage.review_queue.queue_size", flagged_30),
        q("queue: flagged, 30 days, page 1", "storage.review_queue.review_queue", flagged_30),
        q("problem_calls", "storage.queries.problem_calls"),
    ]
    operator_reads = [
        q("operators", "storage.dashboards.operators"),
        q("filter_options", "storage.review_queue.filter_options"),
        q("score_trend: 90 days, weekly", "storage.dashboards.score_trend", p.operator_id, p.since90, p.until, "week"),
        q("criteria_vs_team: 90 days", "storage.dashboards.criteria_vs_team", p.operator_id, p.since90, p.until),
        q("operator_calls: 90 days", "storage.dashboards.operator_calls", p.operator_id, p.since90, p.until),
    ]
    training_reads = [
        q("filter_options", "storage.review_queue.filter_options"),
        q("failure_heatmap: 30 days", "storage.training.failure_heatmap", p.since30, p.until),
        q("coaching_topics: 30 days", "storage.coaching.coaching_topics", p.since30, p.until),
        q("assignments", "storage.training.assignments"),
        q("before_after", "storage.training.before_after"),
        q("weekly_fail_rate: 1 topic", "storage.training.weekly_fail_rate", p.operator_id, p.criterion_id,
          p.since90, p.until),
    ]
    calibration_reads = [
        q("filter_options", "storage.review_queue.filter_options"),
        q("agreement: 90 days", "storage.calibration.agreement", p.since90, p.until),
        q("overturned_calls: 90 days", "storage.calibration.overturned_calls", p.since90, p.until),
    ]
    sample_30 = new("storage.review_queue.QueueFilter", since=p.since30, until=p.until, sampled=True,
                    flagged_only=False)
    programme_reads = [
        q("accuracy sheet: 90 days", "usecases.accuracy_sheet.accuracy_sheet_of", p.since90, p.until),
        q("queue: audit sample, 30 days, page 1", "storage.review_queue.review_queue", sample_30),
        q("audit sample candidates: 1 night", "storage.audit_samples.candidates", p.until - timedelta(days=1),
          p.until),
        q("open disputes", "storage.disputes.open_disputes"),
        q("morning digest: 1 run", "storage.digest.waiting", p.run_id, 5),
    ]
    return [
        # the QA programme (issue #18)
        *programme_reads,
        # the review queue (storage.review_queue, filtered)
        *queue_reads[1:4],
        q("queue: flagged, 30 days, last page", "storage.review_queue.review_queue", flagged_30,
          offset=p.deep_offset_30),
        q("queue: all 90 days, newest, offset 50000", "storage.review_queue.review_queue",
          new("storage.review_queue.QueueFilter", flagged_only=False), offset=50_000, sort="newest"),
        q("queue: team + flag + not reviewed", "storage.review_queue.review_queue",
          new("storage.review_queue.QueueFilter", since=p.since30, until=p.until, teams=(p.team,),
              flags=("low_score", "critical_fail"), reviewed=False)),
        q("queue: 1 operator, 90 days, by score", "storage.review_queue.review_queue",
          new("storage.review_queue.QueueFilter", operators=(p.operator_id,), flagged_only=False), sort="score"),
        q("queue CSV export: flagged, 30 days (all rows)", "storage.review_queue.review_queue", flagged_30,
          limit=1_000_000),
        page("queue page (5 reads)", *queue_reads),
        # previous / next call through the filtered queue (the call page's bar; issue #17)
        q("queue neighbours: flagged, 30 days", "storage.review_queue.neighbours", p.call_id, flagged_30),
        q("queue neighbours: all 90 days, newest", "storage.review_queue.neighbours", p.call_id,
          new("storage.review_queue.QueueFilter", flagged_only=False), "newest"),
        q("queue neighbours: team + flag + not reviewed", "storage.review_queue.neighbours", p.call_id,
          new("storage.review_queue.QueueFilter", since=p.since30, until=p.until, teams=(p.team,),
              flags=("critical_fail",), reviewed=False)),
        # the call page
        page("call page (the 4 reads of #5)", *call_reads[0:2], *call_reads[6:8]),
        page(f"call page ({len(call_reads)} reads, as the app now)", *call_reads),
        *call_reads,
        # dashboards
        q("recent_runs", "storage.queries.recent_runs"),
        q("run_problems: 1 run", "storage.queries.run_problems", p.run_id),
        q("stats", "storage.queries.stats"),
        q("coaching_topics: 30 days, 1 operator", "storage.coaching.coaching_topics", p.since30, p.until,
          p.operator_id),
        *operator_reads[0:1], *operator_reads[2:],
        page("operator page (5 reads)", *operator_reads),
        *training_reads[1:],
        page("training page (6 reads)", *training_reads),
        *calibration_reads[1:],
        page("calibration page (3 reads)", *calibration_reads),
    ]


def baseline(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM calls").fetchone()[0]


def draw_params(path: Path, seed: int) -> Params:
    with connect(path, read_only=True) as con:
        call_id, operator_id, team = con.execute(
            "SELECT call_id, operator_id, team FROM calls WHERE status = 'processed' ORDER BY hash(call_id, ?) LIMIT 1",
            [seed]
        ).fetchone()
        last = con.execute("SELECT max(started_at) FROM calls").fetchone()[0]
        until = datetime.combine(last.date() + timedelta(days=1), datetime.min.time())
        since30 = until - timedelta(days=30)
        has_assignments = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'coaching_assignments'").fetchone()[0]
        topic = con.execute(
            "SELECT operator_id, criterion_id FROM coaching_assignments ORDER BY hash(assignment_id, ?) LIMIT 1", [seed]
        ).fetchone() if has_assignments else None
        if topic:
            operator_id, criterion = topic
            team = con.execute("SELECT any_value(team) FROM calls WHERE operator_id = ?", [operator_id]).fetchone()[0]
        else:
            criterion = con.execute(
                "SELECT criterion_id FROM criteria_results r JOIN calls c USING (call_id) WHERE c.operator_id = ?"
                " AND r.result = 'fail' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", [operator_id]).fetchone()[0]
        run_id = con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
        flagged = """SELECT count(*) FROM calls c JOIN scores s ON s.call_id = c.call_id
                     AND s.scorecard_name = c.scorecard_name AND s.scorecard_version = c.scorecard_version
                     WHERE c.status = 'processed' AND len(s.flags) > 0"""
        n_flagged_30 = con.execute(flagged + " AND coalesce(c.started_at, c.processed_at) >= ?",
                                   [since30]).fetchone()[0]
    def last_page(n: int) -> int:
        return max(0, (n - 1) // 100 * 100)

    return Params(call_id, operator_id, team, criterion, run_id, until, since30, until - timedelta(days=90),
                  last_page(n_flagged_30))


def _rows(result: Any) -> int:
    """Rows a query returned: a frame's or list's length (summed over the call page's reads); a scalar or record
    is 1."""
    if result is None:
        return 0
    if isinstance(result, list) and any(hasattr(r, "shape") or isinstance(r, (dict, list)) or r is None
                                        for r in result):
        return sum(_rows(r) for r in result)
    if hasattr(result, "__len__") and not isinstance(result, (str, dict)):
        return len(result)
    return 1


def time_entry(path: Path, entry: Entry, repeat: int, threads: int | None) -> dict:
    """Cold: open a read-only connection (as the app does per read) and run once; warm: median of further runs."""
    t0 = time.perf_counter()
    with connect(path, read_only=True) as con:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        opened = time.perf_counter()
        result = entry.fn(con)
        cold_end = time.perf_counter()
        warm = []
        for _ in range(repeat):
            t = time.perf_counter()
            entry.fn(con)
            warm.append(time.perf_counter() - t)
    return {"name": entry.name, "open_s": opened - t0, "cold_query_s": cold_end - opened, "cold_s": cold_end - t0,
            "warm_s": statistics.median(warm) if warm else cold_end - opened, "rows": _rows(result)}


def run_timings(path: Path, seed: int, repeat: int, threads: int | None) -> tuple[list[dict], list[str], Params]:
    params = draw_params(path, seed)
    notes: list[str] = []
    results = []
    base = time_entry(path, Entry("baseline: SELECT count(*) FROM calls", baseline), repeat, threads)
    base["baseline"] = True
    results.append(base)
    for entry in registry(params):
        if entry.fn is None:
            notes.append(f"skipped {entry.name}: {entry.note}")
            print(f"  skipped {entry.name}: {entry.note}", flush=True)
            continue
        try:
            r = time_entry(path, entry, repeat, threads)
        except Exception as err:  # a query module changing under us must not stop the other timings
            message = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            results.append({"name": entry.name, "error": message, "pass": False})
            print(f"  ERROR {entry.name}: {message}", flush=True)
            continue
        if entry.note:
            notes.append(f"{entry.name}: {entry.note}")
        if entry.errors:
            r["errors"] = list(entry.errors)
            notes.extend(f"{entry.name}: left out after an error in {e}" for e in entry.errors)
        r["ratio_to_baseline"] = r["warm_s"] / base["warm_s"] if base["warm_s"] > 0 else None
        r["pass"] = r["cold_s"] < TARGET_S and r["warm_s"] < TARGET_S
        results.append(r)
        print(f"  {r['name']:<46} cold {r['cold_s']:7.3f} s  warm {r['warm_s']:7.3f} s  rows {r['rows']}", flush=True)
    return results, notes, params


def print_table(results: list[dict]) -> None:
    width = max(len(r["name"]) for r in results) + 1
    print(f"\n{'query':<{width}} {'cold s':>7} {'warm s':>7} {'rows':>7} {'x base':>7}  vs {TARGET_S} s"
          "   (cold: open + first run; warm: median; x base: warm / baseline's warm)")
    for r in results:
        if "error" in r:
            print(f"{r['name']:<{width}} {'-':>7} {'-':>7} {'-':>7} {'-':>7}  ERROR {r['error']}")
            continue
        ratio = "" if r.get("baseline") else f"{r['ratio_to_baseline']:7.0f}"
        verdict = "" if r.get("baseline") else (("PASS" if r["pass"] else "FAIL")
                                                + (" (partial: error)" if r.get("errors") else ""))
        print(f"{r['name']:<{width}} {r['cold_s']:7.3f} {r['warm_s']:7.4f} {r['rows']:7d} {ratio:>7}  {verdict}")


PAGES = [("queue", "views/queue.py"), ("call", "views/call.py"), ("operator", "views/operator.py"),
         ("training", "views/training.py"), ("calibration", "views/calibration.py"), ("runs", "views/runs.py")]


def time_pages(path: Path, params: Params, repeat: int) -> list[dict]:
    """Whole pages as the server runs them (Streamlit's AppTest: login gate, the page script, its
    reads and building its elements; not the browser's drawing). Cold: the app's cache cleared."""
    import streamlit as st
    from streamlit import config as st_config
    from streamlit.testing.v1 import AppTest

    os.environ["CALLQA_DB"] = str(path)
    os.environ["CALLQA_USERS"] = str(path.with_name(path.name + ".no-users.toml"))  # none: the local admin
    st_config.set_option("server.address", "127.0.0.1")
    query = {"call": {"call_id": params.call_id}, "operator": {"operator": params.operator_id}}
    out = []
    for name, page in PAGES:
        cold, warm = [], []
        for _ in range(repeat):
            st.cache_data.clear()
            at = AppTest.from_file(str(REPO / "qa_app" / "app.py"), default_timeout=300)
            at.switch_page(page)
            for k, v in query.get(name, {}).items():
                at.query_params[k] = v
            started = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
            problems = [e.message for e in at.exception] + [e.value for e in at.error]
            if problems:
                raise RuntimeError(f"page {name}: {problems[0]}")
        cold_s, warm_s = statistics.median(cold), statistics.median(warm)
        out.append({"name": f"page: {name}", "cold_s": cold_s, "warm_s": warm_s, "pass": cold_s < TARGET_S})
        print(f"  page {name:<12} cold {cold_s:6.3f} s  warm {warm_s:6.3f} s  "
              f"{'PASS' if cold_s < TARGET_S else 'FAIL'}", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=DEFAULT_DB, help="database file to create (and time)")
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--end", type=date.fromisoformat, default=datetime.now(timezone.utc).date(),
                    help="date of the last nightly run (calls cover the 90 days before it)")
    ap.add_argument("--repeat", type=int, default=5, help="warm runs per query; the median is reported")
    ap.add_argument("--threads", type=int, default=None,
                    help="DuckDB threads for the reads (default: DuckDB's, = cores)")
    ap.add_argument("--reuse", action="store_true", help="time an existing --db, do not generate")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    ap.add_argument("--pages", action="store_true", help="also time whole app pages (AppTest), median of --repeat")
    args = ap.parse_args()

    meta_path = args.db.with_name(args.db.name + ".meta.json")
    if args.reuse:
        if not args.db.is_file():
            print(f"no database at {args.db}", file=sys.stderr)
            return 2
        gen = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    else:
        print(f"generating {args.calls} calls (seed {args.seed}, last night {args.end}) into {args.db}", flush=True)
        gen = generate(args.db, args.calls, args.seed, args.end)
        gen.update(calls=args.calls, seed=args.seed, end=args.end.isoformat())
        meta_path.write_text(json.dumps(gen, indent=2))
        print(f"generated in {gen['seconds']:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in gen["rows"].items()))
    size = args.db.stat().st_size
    print(f"database {args.db}: {size / 2**20:.0f} MiB on disk", flush=True)
    if args.generate_only:
        return 0

    threads = args.threads
    with connect(args.db, read_only=True) as con:
        threads_in_effect = threads or con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"timing on {threads_in_effect} DuckDB threads ({os.cpu_count()} cores), {args.repeat} warm runs each",
          flush=True)
    results, notes, params = run_timings(args.db, args.seed, args.repeat, threads)
    print_table(results)
    for note in notes:
        print("note:", note)
    if args.pages:
        print("whole pages (script, reads and elements; cache cleared for cold):", flush=True)
        results += time_pages(args.db, params, args.repeat)
    over = [r["name"] for r in results if not r.get("baseline") and "error" not in r and not r["pass"]]
    errors = [r["name"] for r in results if "error" in r]
    print(f"\n{len(results) - 1 - len(over) - len(errors)} of {len(results) - 1} queries under {TARGET_S} s"
          + (f"; over: {', '.join(over)}" if over else "") + (f"; errors: {', '.join(errors)}" if errors else ""))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "db": str(args.db), "db_size_bytes": size, "generation": gen, "target_s": TARGET_S,
            "threads": threads_in_effect, "cores": os.cpu_count(), "duckdb": duckdb.__version__,
            "python": platform.python_version(), "repeat": args.repeat,
            "params": {k: str(v) for k, v in params.__dict__.items()},
            "results": results, "notes": notes,
        }, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
