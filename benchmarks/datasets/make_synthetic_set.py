#!/usr/bin/env python3
"""Generate a larger synthetic benchmark set of support calls with ground truth.

The dialogues are assembled from templates, deterministically from --seed: company,
operator name, topic (internet outage, billing, card blocked, delivery late, tariff
change), the customer's problem statement, follow-up questions, and which script
stages the operator does or skips (greeting, introduction, identification, needs
discovery, extra help, farewell; "rude" calls also contain a forbidden phrase). So the
set holds a mix of good, partial and failing calls.

Synthesis, the telephone channel, the truth files and the judging of the written text
are those of samples/make_samples.py (imported, not copied): the same voices and
8 kHz FLAC, plus voice variation per call (English: espeak-ng speed 135-150 for each
party and a second customer voice, en-us+m7; Russian: two customer pitch/tempo
variants). The truth's expected_criteria are the product's own verdicts on the
written dialogue (pipeline.judging.scoring via make_samples.judge_call), so the set measures
how far the verdicts from audio drift from the verdicts on the text. Where the judge
reads the text otherwise than the template meant (a stage it passes that the operator
skipped, a customer who says a scorecard phrase), the run lists it at the end; --strict
stops instead.

Default: 24 calls (12 Russian + 12 English, half stereo / half mono, each 20-60 s) in
benchmarks/data/synthetic/. Existing generated calls (NAME pattern
{ru,en}_{stereo,mono}_NN_topic) in the output folder are replaced.

    .venv/bin/python benchmarks/datasets/make_synthetic_set.py [--out DIR] [--count N] [--seed S]
        [--only-language ru|en] [--jobs J]
    CALLQA_MODELS_DIR=data/models .venv/bin/python benchmarks/speech.py --set benchmarks/data/synthetic --no-openai
"""
from __future__ import annotations

import argparse
import importlib.util
import random
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def load_make_samples():
    """samples/make_samples.py (a script, not a package) as a module: its voices, phrases and tool checks
    serve the generated sets too. Loaded once per process."""
    if "callqa_make_samples" in sys.modules:
        return sys.modules["callqa_make_samples"]
    path = REPO / "samples" / "make_samples.py"
    spec = importlib.util.spec_from_file_location("callqa_make_samples", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ms = load_make_samples()
OP, CU, P, F = ms.OP, ms.CU, ms.P, ms.F
CRITERIA = ms.CRITERIA
STAGES = ("greeting", "introduction", "identification", "needs_discovery", "extra_help", "farewell")
TOPICS = ("internet_outage", "billing", "card_blocked", "delivery_late", "tariff_change")
TOPIC_TITLES = {
    "internet_outage": "internet provider: no connection",
    "billing": "billing: wrong charge",
    "card_blocked": "bank card: card blocked",
    "delivery_late": "order delivery: parcel late",
    "tariff_change": "mobile operator: tariff change",
}
DURATION = (20.0, 60.0)
NAME_RE = re.compile(r"^(ru|en)_(stereo|mono)_\d{2}_[a-z_]+\.(flac|truth\.json)$")

# ---------------------------------------------------------------------------
# Templates. Customers' lines avoid every scorecard phrase (checked by
# make_samples.script_problems). Operator lines outside a stage avoid that stage's
# phrases (checked against the intended stages). Numbers are written as words.
# ---------------------------------------------------------------------------
TEXT = {
    "ru": {
        "operators": ["Андрей", "Мария", "Елена", "Дмитрий", "Ольга", "Сергей"],
        "greeting": ["Здравствуйте!", "Добрый день!", "Доброе утро!", "Добрый вечер!"],
        "intro": ["Компания {company}, меня зовут {name}.",
                  "Служба поддержки компании {company}, меня зовут {name}.",
                  "Компания {company}, на связи оператор {name}."],
        "bare_open": ["Да, слушаю.", "Алло, слушаю.", "Слушаю."],
        "needs": ["Чем могу помочь?", "Чем я могу вам помочь?", "Какой у вас вопрос?"],
        "ident": [("Назовите, пожалуйста, номер договора.", "Договор четыре пять семь, восемь один два."),
                  ("Назовите, пожалуйста, вашу фамилию.", "Петров, Иван Сергеевич."),
                  ("Как к вам обращаться?", "Светлана Николаевна."),
                  ("Назовите, пожалуйста, дату рождения владельца договора.", "Двенадцатое марта восемьдесят пятого года.")],
        "ident_bad": [("Номер договора?", "Три два один, девять ноль пять."),
                      ("Кто звонит?", "Петров Иван.")],
        "thanks": "Спасибо.",
        "reaction": ["Понятно, спасибо.", "Хорошо, спасибо.", "Ладно, буду ждать."],
        "extra": ["Остались ли у вас ещё вопросы?", "Есть ли у вас ещё вопросы?"],
        "extra_answer": ["Нет, это всё.", "Нет, больше ничего.", "Нет, спасибо."],
        "farewell": ["Спасибо за обращение! Всего доброго, до свидания.", "Всего хорошего, до свидания!",
                     "Спасибо за обращение, хорошего дня!"],
        "rude_question": ["А кто может объяснить мне причину?", "И что мне теперь делать?",
                          "А можно узнать, почему так вышло?"],
        "forbidden": ["Почему так вышло, я не знаю.", "Это не ко мне. Звоните в другой отдел.",
                      "Ничем не могу помочь.", "Это не моя проблема.", "Я же сказал, ждите."],
        "topics": {
            "internet_outage": {
                "companies": ["Сеть Плюс", "Городской телеком", "Домашний интернет"],
                "problems": ["У меня со вчерашнего вечера не работает интернет.",
                             "Интернет пропадает каждые десять минут, невозможно работать.",
                             "Роутер мигает красным, и интернета нет с самого утра."],
                "resolutions": ["В вашем районе авария на линии, связь восстановят до шести вечера.",
                                "Я перезапустил ваше подключение, интернет появится через пять минут."],
                "followups": [("А мне сделают перерасчёт за эти дни?", "Да, перерасчёт сделают автоматически в конце месяца."),
                              ("А роутер нужно перезагружать?", "Нет, роутер трогать не нужно, всё заработает само.")],
            },
            "billing": {
                "companies": ["Городской телеком", "Энергосбыт", "Сеть Плюс"],
                "problems": ["Мне пришёл счёт в два раза больше обычного.",
                             "С моего счёта списали деньги за услугу, которую я не подключал."],
                "resolutions": ["Вам дважды начислили абонентскую плату, лишнюю сумму вернут в течение трёх дней.",
                                "Услугу подключили по ошибке, я её отключил и вернул деньги на баланс."],
                "followups": [("Когда вернутся деньги?", "В течение трёх рабочих дней, на тот же счёт."),
                              ("А в следующем месяце такого не будет?", "Нет, начисления теперь правильные.")],
            },
            "card_blocked": {
                "companies": ["Северный банк", "Народный банк", "Волга банк"],
                "problems": ["У меня заблокировали банковскую карту, я не могу оплатить покупки.",
                             "Карта не проходит ни в одном магазине с утра."],
                "resolutions": ["Карту заблокировали после подозрительной операции. Блокировка снята, карта снова работает.",
                                "Банк остановил карту из-за платежа за границей. Сейчас карта уже работает."],
                "followups": [("Мне нужно перевыпускать карту?", "Нет, карта остаётся прежней."),
                              ("А деньги на карте в порядке?", "Да, все деньги на месте, операций не было.")],
            },
            "delivery_late": {
                "companies": ["Быстрая доставка", "Почта Экспресс", "Курьер Сервис"],
                "problems": ["Я заказывал пылесос неделю назад, а его всё ещё не привезли.",
                             "Посылка должна была прийти в понедельник, но её до сих пор нет."],
                "resolutions": ["Заказ задержался на складе, курьер привезёт его завтра до обеда.",
                                "Посылка сейчас в пути, её доставят послезавтра вечером."],
                "followups": [("А курьер позвонит перед приездом?", "Да, курьер позвонит за час до приезда."),
                              ("А можно привезти после шести вечера?", "Да, я перенёс доставку на вечер.")],
            },
            "tariff_change": {
                "companies": ["Мобильная связь", "Городской телеком", "Связь Регион"],
                "problems": ["Я хочу перейти на тариф подешевле.",
                             "Мне нужен тариф с большим количеством интернета."],
                "resolutions": ["Я подключил вам тариф Базовый, он начнёт действовать с первого числа.",
                                "Я перевёл вас на тариф Максимум, он уже действует."],
                "followups": [("А номер телефона останется тем же?", "Да, номер и баланс останутся прежними."),
                              ("А за переход нужно платить?", "Нет, переход на этот тариф бесплатный.")],
            },
        },
    },
    "en": {
        "operators": ["Emma", "James", "Olivia", "Daniel", "Sophie", "Michael"],
        "greeting": ["Hello.", "Good morning.", "Good afternoon.", "Good evening.", "Thank you for calling {company}."],
        "intro": ["This is {company} customer support, my name is {name}.",
                  "You have reached {company}, {name} speaking.",
                  "My name is {name}, at {company}."],
        "bare_open": ["Yes?", "Yeah, go ahead.", "Support line."],
        "needs": ["How can I help you today?", "What can I do for you?", "How may I help you?"],
        "ident": [("May I have your name, please?", "Sure, the account is under Peter Brown."),
                  ("What is your account number, please?", "It is four five seven, eight one two."),
                  ("Can you confirm your name and your date of birth?", "Laura Smith, born March third, nineteen eighty."),
                  ("What is your phone number, please?", "Two one three, four four nine, six zero.")],
        "ident_bad": [("Number?", "Three two one, nine zero five."),
                      ("Who is this?", "Peter Brown.")],
        "thanks": "Thank you.",
        "reaction": ["Great, thanks a lot.", "Okay, thank you.", "Alright, thanks."],
        "extra": ["Is there anything else I can do for you?", "Do you have any other questions?",
                  "Is there something else I can help you with?"],
        "extra_answer": ["No, that's all.", "No, thank you.", "Nope, that was it."],
        "farewell": ["Have a great day. Goodbye!", "Have a nice day, bye!", "Goodbye!"],
        "rude_question": ["Can you tell me why this happened?", "So what am I supposed to do now?",
                          "Who can explain this to me?"],
        "forbidden": ["Why it happened, I don't know.", "That is not my problem.", "I can't help you with that.",
                      "Not my job. Call them on your own.", "I already told you, just wait."],
        "topics": {
            "internet_outage": {
                "companies": ["Bright Net", "Metro Broadband", "City Fiber"],
                "problems": ["My internet has been down since last night.",
                             "The connection keeps dropping every few minutes, and I work from home.",
                             "The router light is red and there is no internet this morning."],
                "resolutions": ["There is an outage in your area. It should be fixed by six p.m.",
                                "I have reset your line. The connection should come back in five minutes."],
                "followups": [("Will I get money back for these days?", "Yes, the refund will be added to your next bill."),
                              ("Should I restart the router?", "No need, it will reconnect by itself.")],
            },
            "billing": {
                "companies": ["Clear Mobile", "Apex Energy", "Bright Net"],
                "problems": ["My bill this month is twice as high as usual.",
                             "I was charged for a service that I never ordered."],
                "resolutions": ["You were charged twice for the monthly fee. The extra amount will be refunded within three days.",
                                "The service was added by mistake. I have removed it and refunded the charge."],
                "followups": [("When will I see the money?", "Within three working days, on the same card."),
                              ("Will this happen again next month?", "No, the charges are correct now.")],
            },
            "card_blocked": {
                "companies": ["Northwind Bank", "Harbor Bank", "Union Bank"],
                "problems": ["My card stopped working at the shop this morning.",
                             "My card is blocked and I cannot pay for anything."],
                "resolutions": ["Your card was blocked after an unusual payment. It works again now.",
                                "The bank stopped the card because of a payment abroad. It is active again."],
                "followups": [("Do I need a new card?", "No, you can keep using the same card."),
                              ("Is my money safe?", "Yes, your balance is fine, there were no other payments.")],
            },
            "delivery_late": {
                "companies": ["Swift Delivery", "Parcel Point", "Rapid Post"],
                "problems": ["I ordered a laptop two weeks ago, and it is still not here.",
                             "My parcel was due on Monday, but it never arrived."],
                "resolutions": ["Your parcel was delayed at the warehouse. The courier will bring it tomorrow before noon.",
                                "The parcel is on its way now. It will arrive the day after tomorrow."],
                "followups": [("Can the courier call me before coming?", "Yes, I have added a note for the courier."),
                              ("Can it come after six in the evening?", "Yes, I moved the delivery to the evening.")],
            },
            "tariff_change": {
                "companies": ["Clear Mobile", "Sky Telecom", "Metro Mobile"],
                "problems": ["I would like to switch to a cheaper plan.",
                             "I need a plan with more mobile data."],
                "resolutions": ["I have moved you to the Basic plan. It starts on the first of next month.",
                                "I have switched you to the Max plan, and it is active already."],
                "followups": [("Will my number stay the same?", "Yes, your number and balance stay the same."),
                              ("Do I pay anything for the switch?", "No, the switch to this plan is free.")],
            },
        },
    },
}

# Profile of a call: which stages the operator skips, and whether he is rude.
PROFILE_CYCLE = ("good", "partial", "rude", "partial", "good", "partial",
                 "rude", "good", "partial", "partial", "good", "rude")
WORDS_PER_S = {"ru": 1.9, "en": 2.35}   # at espeak speed 140 / festival default (from samples/calls)


def choose_skips(rng: random.Random, profile: str) -> set[str]:
    if profile == "good":
        return set()
    if profile == "partial":
        return set(rng.sample(STAGES, rng.choice((1, 1, 2, 2, 3))))
    return set(rng.sample(STAGES, rng.choice((2, 3, 4))))


def voices_for(rng: random.Random, lang: str) -> tuple[dict, str]:
    """Per-call voice variation; returns make_samples voices and a short label."""
    if lang == "en":
        op_speed, cu_speed = rng.randint(135, 150), rng.randint(135, 150)
        cu_voice = rng.choice(("en-gb+m3", "en-us+m7"))
        voices = {OP: {"espeak": "en-us+f3", "speed": op_speed}, CU: {"espeak": cu_voice, "speed": cu_speed}}
        return voices, f"op f3@{op_speed} cu {cu_voice.split('+')[0][-2:]}+{cu_voice.split('+')[1]}@{cu_speed}"
    fx = rng.choice((("pitch", "-350", "tempo", "1.05"), ("pitch", "-200", "tempo", "0.97")))
    return {CU: {"fx": list(fx)}}, f"cu pitch {fx[1]} tempo {fx[3]}"


def make_dialogue(rng: random.Random, lang: str, topic: str, profile: str) -> tuple[list, set[str], dict]:
    T, tp = TEXT[lang], TEXT[lang]["topics"][topic]
    company, name = rng.choice(tp["companies"]), rng.choice(T["operators"])
    skips = choose_skips(rng, profile)
    rude = profile == "rude"
    does = {s: s not in skips for s in STAGES}
    fmt = dict(company=company, name=name)

    turns = []
    opening = []
    if does["greeting"]:
        greet = rng.choice(T["greeting"])
        if "{company}" in greet and does["introduction"]:
            greet = T["greeting"][0]          # the company comes with the introduction
        opening.append(greet.format(**fmt))
    if does["introduction"]:
        opening.append(rng.choice(T["intro"]).format(**fmt))
    if not opening:
        opening.append(rng.choice(T["bare_open"]))
    if does["needs_discovery"]:
        opening.append(rng.choice(T["needs"]))
    turns.append((OP, " ".join(opening)))
    turns.append((CU, rng.choice(tp["problems"])))
    if does["identification"]:
        q, a = rng.choice(T["ident"])
    elif rude or rng.random() < 0.5:
        q, a = rng.choice(T["ident_bad"])     # asks, but not in the script's words
    else:
        q = a = None
    if q:
        turns += [(OP, q), (CU, a)]
    resolution = rng.choice(tp["resolutions"])
    turns.append((OP, (T["thanks"] + " " + resolution) if q and not rude else resolution))
    followups = list(tp["followups"])
    rng.shuffle(followups)
    n_follow = rng.choice((0, 1, 1, 2))
    if rude:
        turns.append((CU, rng.choice(T["rude_question"])))
        turns.append((OP, rng.choice(T["forbidden"])))
        n_follow = min(n_follow, 1)
    extra_turns = [t for qa in followups[:n_follow] for t in ((CU, qa[0]), (OP, qa[1]))]
    tail = [(CU, rng.choice(T["reaction"]))]
    if does["extra_help"]:
        tail += [(OP, rng.choice(T["extra"])), (CU, rng.choice(T["extra_answer"]))]
    if does["farewell"]:
        tail.append((OP, rng.choice(T["farewell"])))
    info = {"company": company, "operator": name, "skips": sorted(skips), "rude": rude,
            "followups": followups, "n_follow": n_follow}
    return turns[:] + extra_turns + tail, does, info


def estimate_s(lang: str, turns: list, voices: dict) -> float:
    words = sum(len(t.split()) for _, t in turns)
    speed = sum(v.get("speed", 140) for v in voices.values()) / max(len(voices), 1) if lang == "en" else 140
    return ms.LEAD_IN + ms.TAIL + words / (WORDS_PER_S[lang] * speed / 140) + 0.65 * (len(turns) - 1)


def plan_calls(count: int, seed: int, languages: tuple[str, ...]) -> list[dict]:
    per_lang = {lang: count // len(languages) + (1 if i < count % len(languages) else 0)
                for i, lang in enumerate(languages)}
    calls = []
    for lang in languages:
        n = per_lang[lang]
        rng = random.Random(f"callqa-synthetic:{seed}:{lang}")
        profiles = [PROFILE_CYCLE[i % len(PROFILE_CYCLE)] for i in range(n)]
        rng.shuffle(profiles)
        topic_offset = rng.randrange(len(TOPICS))
        for i in range(n):
            channels = 2 if i % 2 == 0 else 1
            topic = TOPICS[(topic_offset + i) % len(TOPICS)]
            voices, voice_label = voices_for(rng, lang)
            turns, does, info = make_dialogue(rng, lang, topic, profiles[i])
            # Keep the call inside 20-60 s: add or drop polite follow-up exchanges.
            insert_at = len(turns) - (1 + 2 * does["extra_help"] + does["farewell"])
            while estimate_s(lang, turns, voices) < DURATION[0] + 4 and info["n_follow"] < len(info["followups"]):
                q, a = info["followups"][info["n_follow"]]
                turns[insert_at:insert_at] = [(CU, q), (OP, a)]
                insert_at += 2
                info["n_follow"] += 1
            calls.append({
                "name": f"{lang}_{'stereo' if channels == 2 else 'mono'}_{i + 1:02d}_{topic}",
                "language": lang,
                "channels": channels,
                "topic": TOPIC_TITLES[topic],
                "turns": turns,
                "voices": voices,
                "_does": does,
                "_profile": profiles[i],
                "_voice_label": voice_label,
                "_info": info,
                # No contact reason or outcome is labelled in this set.
                "expected_reason": None,
                "expected_outcome": None,
            })
    return calls


def judge_and_check(call: dict, card) -> list[str]:
    """expected_criteria := the product's verdicts on the written text. Returns where they
    differ from the stages the template meant (or a customer says a scorecard phrase):
    the judge's reading of the text, not the speech layer, decides those calls."""
    results, _score = ms.judge_call(call, card)
    call["expected_criteria"] = {r.id: r.result for r in results}
    intended = {s: (P if call["_does"][s] else F) for s in STAGES}
    intended["no_forbidden_phrases"] = F if call["_info"]["rude"] else P
    intended["resolution"] = P            # every template call states what was done
    problems = ms.verdict_problems(call["name"], results, intended, "the product's judge on the text")
    return problems + ms.script_problems(call, card)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "data" / "synthetic"),
                    help="output folder (default benchmarks/data/synthetic)")
    ap.add_argument("--count", type=int, default=24,
                    help="number of calls, split evenly between languages (default 24)")
    ap.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same set (default 0)")
    ap.add_argument("--only-language", choices=("ru", "en"), help="generate calls in one language only")
    ap.add_argument("--jobs", type=int, default=2, help="calls synthesised in parallel (default 2)")
    ap.add_argument("--strict", action="store_true",
                    help="stop when the judge reads a written call otherwise than the template meant")
    args = ap.parse_args(argv)
    if args.count < 1:
        raise SystemExit("--count must be at least 1")

    languages = (args.only_language,) if args.only_language else ("ru", "en")
    t0 = time.perf_counter()
    card = ms.load_scorecard(ms.SCORECARD)
    calls = plan_calls(args.count, args.seed, languages)
    problems = [p for call in calls for p in judge_and_check(call, card)]
    if problems and args.strict:
        raise SystemExit("templates the judge reads otherwise than meant:\n  " + "\n  ".join(problems))
    ms.check_tools(set(languages))

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        if old.is_file() and NAME_RE.match(old.name):
            old.unlink()

    def build(call: dict) -> dict:
        truth = ms.build_call(call, out_dir, card)
        lo, hi = DURATION
        if not lo <= truth["duration"] <= hi:
            print(f"warning: {call['name']} is {truth['duration']} s, outside {lo:.0f}-{hi:.0f} s", file=sys.stderr)
        return truth

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        truths = list(pool.map(build, calls))
    elapsed = time.perf_counter() - t0

    short = {P: "P", F: "F"}
    print(f"{'call':<34}{'ch':>3}{'dur s':>7}  {'profile':<8}{'verdicts':<10}{'score':>6}  {'flags':<27}"
          f"{'company / operator':<32}voices")
    for call, truth in zip(calls, truths):
        verdicts = "".join(short.get(truth["expected_criteria"][c], "?") for c in CRITERIA)
        flags = ",".join(truth["expected_flags"]) or "-"
        who = f"{call['_info']['company']} / {call['_info']['operator']}"
        print(f"{call['name']:<34}{truth['channels']:>3}{truth['duration']:>7.1f}  {call['_profile']:<8}{verdicts:<10}"
              f"{truth['expected_score']:>6.0f}  {flags:<27}{who:<32}{call['_voice_label']}")
    print("verdict order: " + " ".join(CRITERIA))
    n_pass = {c: sum(t["expected_criteria"][c] == P for t in truths) for c in CRITERIA}
    groups: dict[str, int] = {}
    for t in truths:
        key = f"{t['language']}_{'stereo' if t['channels'] == 2 else 'mono'}"
        groups[key] = groups.get(key, 0) + 1
    durations = [t["duration"] for t in truths]
    print(f"{len(truths)} calls ({', '.join(f'{k} {v}' for k, v in groups.items())}), "
          f"{sum(durations) / 60:.1f} min of audio, {min(durations):.1f}-{max(durations):.1f} s each")
    print("criteria passed: " + ", ".join(f"{c} {n}/{len(truths)}" for c, n in n_pass.items()))
    print(f"low_score: {sum('low_score' in t['expected_flags'] for t in truths)}, "
          f"forbidden_phrase: {sum('forbidden_phrase' in t['expected_flags'] for t in truths)}, "
          f"all criteria pass: {sum(all(v == P for v in t['expected_criteria'].values()) for t in truths)}")
    if problems:
        # The speech benchmark compares audio against the text's verdicts, so these calls
        # still measure the speech layer; they are the judge's errors on clean text.
        print(f"{len(problems)} places where the judge reads the written text otherwise than the template "
              "meant (expected_criteria follow the judge):\n  " + "\n  ".join(problems), file=sys.stderr)
    print(f"wrote {out_dir} in {elapsed:.1f} s (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
