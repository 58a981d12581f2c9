#!/usr/bin/env python3
"""A generated two-vendor call set where one vendor is truly worse on ONE criterion.

Written dialogues (Russian and English), assembled per call from stages whose wording is
drawn at random; every stage the operator may do or skip. The company splits its calls
80/20 between two outsourced contact centres: ContactPro (site Tver) and CallNorth (site
Kazan). Every draw comes from the same distributions for both vendors except one:
CallNorth's operators skip offering further help ("anything else?") in 35% of calls,
ContactPro's in 10%. When the offer is skipped, the operator says a neutral line of as many
words instead (one the product's judge reads as no other criterion: checked) and the customer
answers the same way, so call length, silences and the other criteria cannot tell the vendors
apart.

Consequences that are therefore TRUE differences too: the QA score includes the extra-help
criterion (weight 10 of 120), so CallNorth's mean score is lower by about 0.25 * 10/120 * 100
~ 2 points. Everything else (the other seven criteria, escalations, handle time, silence,
dead air) has no true difference.

Each dialogue becomes the product's Transcript (one segment per turn, stereo channels, turn
times from the words), is judged by the product's own analysis stage
(``pipeline.judging.assess.assess_transcript`` with ``pipeline.analyze.build_judge``: verdicts,
escalations, conversation metrics, sentiment) and is stored with the flows' own
``storage.calls.save_analysis`` under a ``SourceFile`` that carries the vendor and site, like
a recording's metadata would. No audio is made.

    .venv/bin/python benchmarks/datasets/make_vendor_set.py [--calls 400] [--share-b 0.2] [--seed 0]
        [--db benchmarks/data/vendor_set.duckdb]
"""
from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a file: the project's packages
    sys.path.insert(0, str(REPO))

from pipeline.analyze import build_judge
from pipeline.judging.assess import assess_transcript
from pipeline.judging.scorecard import load_scorecard
from pipeline.judging.scoring import ScorecardJudge
from pipeline.records import CallAnalysis, Segment, Transcript, Word
from storage.calls import SourceFile, register_scorecard, save_analysis
from storage.db import connect

SCORECARD = "inbound_support"
OP, CU = "operator", "customer"
VENDOR_A = ("ContactPro", "Tver")
VENDOR_B = ("CallNorth", "Kazan")
WORSE_CRITERION = "extra_help"
FIRST_DAY = datetime(2026, 11, 2, 8, 0)

# How often an operator skips each stage (both vendors), except the worse criterion's.
SKIP = {"greeting": 0.05, "introduction": 0.10, "identification": 0.10, "needs_discovery": 0.08,
        "resolution": 0.15, "farewell": 0.08}
FORBIDDEN = 0.06  # the operator says a dismissive phrase
SKIP_EXTRA_HELP = {"A": 0.10, "B": 0.35}
# The customer asks for a manager: more often when the problem was not solved (both vendors alike).
ESCALATE = {"solved": 0.04, "unsolved": 0.30}
SILENT_CHECK = 0.15  # the operator looks something up without a word: 5-15 s of dead air
ANNOUNCED_HOLD = 0.15  # "one moment, please": 8-40 s on hold (not dead air)


@dataclass(frozen=True)
class Topic:
    problem: tuple[str, ...]  # the customer's opening, one of
    solution: tuple[str, ...]  # the operator's concrete next step, one of
    queue: str


TEXT = {
    "ru": {
        "greeting": ("Здравствуйте!", "Добрый день!", "Доброе утро!"),
        "introduction": ("Компания {brand}, меня зовут {name}.", "Служба поддержки {brand}, меня зовут {name}."),
        "needs": ("Чем могу помочь?", "Что у вас случилось?", "По какому вопросу вы звоните?"),
        "open_bare": ("Да.", "Алло."),
        "identification": ("Назовите, пожалуйста, номер договора.",
                           "Подскажите, пожалуйста, ваше имя и номер договора."),
        "identified": ("Договор {number}.", "Иван Петров, договор {number}.", "Номер договора {number}."),
        "hold": ("Одну минуту, пожалуйста, проверяю.",),
        "hold_ok": ("Хорошо, жду.",),
        "forbidden": ("Почему так вышло, я не знаю.", "Это не ко мне вопрос."),
        "no_solution": ("Пока информации у меня нет.", "Ситуация у нас такая."),
        "ack": ("Понятно, спасибо.", "Хорошо, спасибо."),
        "escalate": ("Позовите, пожалуйста, руководителя.", "Я хочу поговорить с вашим руководителем."),
        "escalate_reply": ("Понимаю вас.", "Я вас понимаю."),
        # the offer of more help, or (skipped) a neutral line of as many words in its place
        "extra_help": (("Могу ли я ещё чем-то помочь?", "Ваше обращение у нас уже записано."),
                       ("Есть ли у вас ещё вопросы?", "Информация по вашему обращению уже сохранена.")),
        "last_word": ("Нет, это всё.", "Нет, спасибо."),
        "farewell": ("Спасибо за обращение, всего доброго!", "Всего хорошего, до свидания!"),
        "brands": ("Сеть Плюс", "Городской Телеком", "Северный Банк", "Быстрая Доставка"),
        "names": ("Андрей", "Мария", "Ольга", "Сергей", "Ирина", "Дмитрий"),
        "numbers": ("четыре пять семь восемь", "три один два девять", "шесть шесть ноль один", "девять два пять три"),
        "topics": (
            Topic(("У меня со вчерашнего вечера не работает интернет.", "Дома пропал интернет, роутер мигает красным."),
                  ("Я оформил заявку, мастер приедет завтра с десяти до двенадцати.",
                   "В вашем районе авария, связь восстановят до шести вечера."), "internet"),
            Topic(("Мне пришёл счёт в два раза больше обычного.", "С меня списали деньги дважды за один месяц."),
                  ("Я сделал перерасчёт, деньги вернутся в течение трёх дней.",
                   "Лишнее списание я отменил, средства вернутся на карту в течение недели."), "billing"),
            Topic(("Мой заказ должен был приехать позавчера, но его нет.", "Курьер так и не привёз мою посылку."),
                  ("Курьер привезёт заказ завтра до обеда.", "Заказ будет доставлен в четверг, я оформил заявку."),
                  "delivery"),
        ),
    },
    "en": {
        "greeting": ("Hello!", "Good morning!", "Good afternoon!"),
        "introduction": ("This is {brand} support, my name is {name}.", "You have reached {brand}, my name is {name}."),
        "needs": ("How can I help you today?", "What can I do for you?", "What seems to be the problem?"),
        "open_bare": ("Yes.", "Hello?"),
        "identification": ("May I have your account number, please?", "Can I have your full name and account number?"),
        "identified": ("It is {number}.", "Peter Brown, account {number}.", "The account number is {number}."),
        "hold": ("One moment please, let me check.",),
        "hold_ok": ("Okay, I will wait.",),
        "forbidden": ("Why that happened, I don't know.", "That is not my department."),
        "no_solution": ("I have no information on that yet.", "That is how things are at the moment."),
        "ack": ("I see, thanks.", "Okay, thank you."),
        "escalate": ("I want to speak to a manager.", "Put me through to your supervisor, please."),
        "escalate_reply": ("I understand.", "I hear you."),
        "extra_help": (("Is there anything else I can help you with?", "Your request is now on record with us here."),
                       ("Do you have any other questions?", "Your call is important to us.")),
        "last_word": ("No, that is all.", "No, thank you."),
        "farewell": ("Thank you for calling, have a great day!", "Goodbye, take care!"),
        "brands": ("Bright Net", "City Fiber", "Harbor Bank", "Swift Delivery"),
        "names": ("Emma", "James", "Olivia", "Daniel", "Sophie", "Michael"),
        "numbers": ("four five seven eight", "three one two nine", "six six zero one", "nine two five three"),
        "topics": (
            Topic(("My internet has been down since last night.", "The internet at home stopped working this morning."),
                  ("I've booked an engineer visit, he will come tomorrow between ten and twelve.",
                   "There is an outage in your area, the service will be restored by six tonight."), "internet"),
            Topic(("My bill this month is twice the usual amount.", "You charged my card twice this month."),
                  ("I've applied a credit to your account, the refund will arrive within three days.",
                   "I've cancelled the second charge, the money will be refunded within a week."), "billing"),
            Topic(("My order was due two days ago and it is still not here.", "The courier never brought my parcel."),
                  ("Your order will be delivered tomorrow before noon.",
                   "I've arranged a new delivery, the parcel will arrive on Thursday."), "delivery"),
        ),
    },
}


@dataclass(frozen=True)
class VendorCall:
    """One generated call and what the generator put in (its truth, by construction)."""

    call_id: str
    vendor: str
    site: str
    operator: str
    team: str
    queue: str
    started_at: datetime
    language: str
    turns: tuple[tuple[str, str, float, float], ...]  # speaker, text, start, end
    duration_s: float
    truth: tuple[tuple[str, str], ...]  # criterion id -> pass | fail, as the generator meant it
    escalated: bool


def _dialogue(rng: random.Random, lang: str, skip_extra_help: float
              ) -> tuple[list[tuple[str, str]], dict[str, str], bool, str, str | None, int]:
    """Turns, truth per criterion, whether the customer escalates, the queue, the pause kind
    (None, "silent", "hold") and the turn it comes before."""
    t = TEXT[lang]
    pick = rng.choice
    does = {stage: rng.random() >= p for stage, p in SKIP.items()}
    offers_help = rng.random() >= skip_extra_help
    forbidden = rng.random() < FORBIDDEN
    topic = pick(t["topics"])
    pause = None
    r = rng.random()
    if r < SILENT_CHECK:
        pause = "silent"
    elif r < SILENT_CHECK + ANNOUNCED_HOLD:
        pause = "hold"

    opening = []
    if does["greeting"]:
        opening.append(pick(t["greeting"]))
    if does["introduction"]:
        opening.append(pick(t["introduction"]).format(brand=pick(t["brands"]), name=pick(t["names"])))
    if does["needs_discovery"]:
        opening.append(pick(t["needs"]))
    turns = [(OP, " ".join(opening) or pick(t["open_bare"])), (CU, pick(topic.problem))]
    if does["identification"]:
        turns += [(OP, pick(t["identification"])), (CU, pick(t["identified"]).format(number=pick(t["numbers"])))]
    if pause == "hold":
        turns += [(OP, pick(t["hold"])), (CU, pick(t["hold_ok"]))]
    answer = [pick(t["forbidden"])] if forbidden else []
    answer.append(pick(topic.solution) if does["resolution"] else pick(t["no_solution"]))
    answer_at = len(turns)
    turns.append((OP, " ".join(answer)))
    escalated = rng.random() < ESCALATE["solved" if does["resolution"] else "unsolved"]
    if escalated:
        turns += [(CU, pick(t["escalate"])), (OP, pick(t["escalate_reply"]))]
    turns.append((CU, pick(t["ack"])))
    offer, neutral = pick(t["extra_help"])
    turns += [(OP, offer if offers_help else neutral), (CU, pick(t["last_word"]))]
    if does["farewell"]:
        turns.append((OP, pick(t["farewell"])))
    truth = {
        "greeting": does["greeting"], "introduction": does["introduction"], "identification": does["identification"],
        "needs_discovery": does["needs_discovery"], "resolution": does["resolution"],
        "extra_help": offers_help, "farewell": does["farewell"], "no_forbidden_phrases": not forbidden,
    }
    return turns, {k: "pass" if v else "fail" for k, v in truth.items()}, escalated, topic.queue, pause, answer_at


def _timed(rng: random.Random, turns: list[tuple[str, str]], pause: str | None,
           pause_before: int) -> tuple[list[tuple[str, str, float, float]], float]:
    """Turn times: a per-call speaking rate and natural gaps, plus the silent check or the hold
    (when the call has one) just before the operator's answer."""
    word_s = rng.uniform(0.33, 0.45)
    t = rng.uniform(0.3, 1.0)
    out = []
    for i, (speaker, text) in enumerate(turns):
        if i == pause_before and pause == "silent":
            t += rng.uniform(5.0, 15.0)
        elif i == pause_before and pause == "hold":
            t += rng.uniform(8.0, 40.0)
        length = word_s * len(text.split()) + rng.uniform(0.1, 0.4)
        out.append((speaker, text, round(t, 3), round(t + length, 3)))
        t += length + rng.uniform(0.4, 1.2)
    return out, round(t + rng.uniform(0.3, 1.5), 3)


def generate(calls: int = 400, share_b: float = 0.2, seed: int = 0,
             skip_extra_help: dict[str, float] | None = None) -> list[VendorCall]:
    """``calls`` calls, ``share_b`` of them (rounded) by vendor B, deterministic from ``seed``."""
    rates = skip_extra_help or SKIP_EXTRA_HELP
    rng = random.Random(seed)
    n_b = round(calls * share_b)
    which = ["B"] * n_b + ["A"] * (calls - n_b)
    rng.shuffle(which)
    out = []
    for i, side in enumerate(which):
        vendor, site = VENDOR_A if side == "A" else VENDOR_B
        lang = "ru" if rng.random() < 0.5 else "en"
        turns, truth, escalated, queue, pause, pause_before = _dialogue(rng, lang, rates[side])
        timed, duration = _timed(rng, turns, pause, pause_before)
        operator = f"op.{vendor.lower()}{rng.randrange(8 if side == 'A' else 3) + 1}"
        started = FIRST_DAY + timedelta(days=rng.randrange(26), minutes=rng.randrange(10 * 60))
        digest = hashlib.sha256(f"{seed}:{i}:{timed}".encode()).hexdigest()
        out.append(VendorCall(f"vs{seed:03d}{i:04d}{digest[:8]}", vendor, site, operator, f"support-{lang}", queue,
                              started, lang, tuple(timed), duration, tuple(truth.items()), escalated))
    return out


def transcript(call: VendorCall) -> Transcript:
    """The dialogue as the product's Transcript: one segment per turn, a stereo channel per party,
    every word certain, VAD regions from the turn times (what metrics are measured on)."""
    segments = []
    for speaker, text, start, end in call.turns:
        pieces = text.split()
        step = (end - start) / len(pieces)
        words = tuple(Word(start + k * step, start + (k + 0.9) * step, w, 1.0) for k, w in enumerate(pieces))
        segments.append(Segment(speaker, start, end, text, words, 0 if speaker == OP else 1, 1.0, 1.0))
    regions = tuple(tuple((s, e) for spk, _, s, e in call.turns if spk == who) for who in (OP, CU))
    return Transcript(call.language, tuple(segments), "written-script", "stereo_channels", speech_regions=regions)


def analyse(call: VendorCall, judge: ScorecardJudge) -> CallAnalysis:
    """The product's analysis stage on the written dialogue (no audio, no recognition)."""
    assessment = assess_transcript(transcript(call), call.duration_s, judge)
    card = judge.scorecard
    return CallAnalysis(call.call_id, f"generated/{call.call_id}.flac", call.duration_s, 2, 8000,
                        assessment.transcript, assessment.criteria, assessment.score, card.name, card.version,
                        detections=assessment.detections, metrics=assessment.metrics, sentiment=assessment.sentiment,
                        pii=assessment.pii)


def source(call: VendorCall) -> SourceFile:
    sha = hashlib.sha256(call.call_id.encode()).hexdigest()
    return SourceFile(f"generated/{call.call_id}.flac", sha, call.call_id, 0, call.operator, call.team, call.queue,
                      call.started_at, "inbound", None, call.site, call.vendor)


def store(db: str | Path, calls: list[VendorCall], judge: ScorecardJudge) -> list[CallAnalysis]:
    """Judge every call and store it as the nightly flow's loader does; returns the analyses."""
    analyses = [analyse(c, judge) for c in calls]
    with connect(db) as con:
        register_scorecard(con, judge.scorecard)
        for call, analysis in zip(calls, analyses):
            save_analysis(con, source(call), analysis, run_id=None, worker="make_vendor_set")
    return analyses


def judge_agreement(calls: list[VendorCall], analyses: list[CallAnalysis]) -> dict[str, tuple[int, int]]:
    """Per criterion (and 'escalation'): how many calls the product judged as the generator meant,
    out of how many judged pass or fail (for the record: the comparison is about the product's verdicts)."""
    out: dict[str, list[int]] = {}
    for call, analysis in zip(calls, analyses):
        truth = dict(call.truth)
        for c in analysis.criteria:
            if c.result in ("pass", "fail"):
                tally = out.setdefault(c.id, [0, 0])
                tally[0] += c.result == truth[c.id]
                tally[1] += 1
        escalated = any(d.kind == "escalation" for d in analysis.detections)
        tally = out.setdefault("escalation", [0, 0])
        tally[0] += escalated == call.escalated
        tally[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--share-b", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--db", default=str(REPO / "benchmarks" / "data" / "vendor_set.duckdb"))
    args = ap.parse_args(argv)
    db = Path(args.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    judge = build_judge(load_scorecard(SCORECARD))
    calls = generate(args.calls, args.share_b, args.seed)
    analyses = store(db, calls, judge)
    print(f"{len(calls)} calls ({sum(c.vendor == VENDOR_B[0] for c in calls)} by {VENDOR_B[0]}) judged and stored "
          f"in {db} in {time.perf_counter() - t0:.1f} s")
    for criterion, (agree, judged) in judge_agreement(calls, analyses).items():
        print(f"  judge agrees with the generator on {criterion:22s} {agree}/{judged}")
    print(f"compare them:  callqa compare --by vendor --db {db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
