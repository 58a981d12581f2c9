"""Personal-data masking measured on what Whisper really writes from dictated speech.

    .venv/bin/python benchmarks/pii.py make        [--out benchmarks/data/pii_set] [--seed 0] [--per-kind 4]
    .venv/bin/python benchmarks/pii.py make-dictation [--seed 0]   # tests/fixtures/pii_dictation_ru.flac + .truth.json
    .venv/bin/python benchmarks/pii.py transcribe  [--out benchmarks/data/pii_set]
    .venv/bin/python benchmarks/pii.py score       [--out benchmarks/data/pii_set] [--json FILE] [--show-misses]

``make`` writes two-party stereo calls (operator LEFT, customer RIGHT, 8 kHz FLAC) in which the
operator asks for something and the customer dictates it: phones, cards (Luhn-valid), passports,
e-mails, accounts, CVV codes, expiry dates, birth dates, SNILS, INN, names and addresses, in
Russian (festival, msu_ru_nsh) and English (espeak-ng), as digits read by the voice, digit by digit,
in halves across the operator's "повторите" / "sorry, again?", and read twice. Every call also has
ordinary speech that must stay: amounts, dates, times, order numbers, tariffs, cities, companies.
Each piece is voiced on its own, so the truth (``index.json``) knows when every item was said.

``transcribe`` runs the product's speech layer (``pipeline.speech.transcribe.transcribe_call``, Whisper
as configured) on every call and caches the *unmasked* segments: the labelled set is real ASR
output, not typed text. ``score`` masks the cached segments with ``pipeline.privacy.pii.redact_segments``
(whatever code is on PYTHONPATH, so the code before a change can be scored on the same ASR output)
and prints:

- recall per item: an item is caught when every recognised word said during it (by the words'
  times) that would give it away (a digit, a number word, a word close to the name, street or
  login) lies inside a masked span; items of which Whisper kept no such word are counted apart;
- leaked digits: items whose digits (4 or more in a row) appear in the masked text;
- precision: masked spans that overlap a dictated item of the same party, over all masked spans
  (ordinary speech masked by mistake counts against it);
- muted share: the part of each item's audio the masked spans' times cover (what the player mutes);
- time to mask one call's segments.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

GAP_S = 0.15  # between pieces of one turn
TURN_GAP_S = 0.6
LEAD_S = 0.4


def _make_samples():
    from benchmarks.datasets.make_synthetic_set import load_make_samples

    return load_make_samples()


# ---------------------------------------------------------------- values


def _luhn_complete(prefix: str, rng: random.Random, length: int = 16) -> str:
    from pipeline.privacy.pii import luhn_valid

    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return next(body + check for check in "0123456789" if luhn_valid(body + check))


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def _groups(s: str, sizes: tuple[int, ...]) -> str:
    out, pos = [], 0
    for size in sizes:
        out.append(s[pos : pos + size])
        pos += size
    if pos < len(s):
        out.append(s[pos:])
    return " ".join(out)


def _one_by_one(s: str) -> str:
    return " ".join(s)


RU_NAMES = ["Иван Петрович Сидоров", "Мария Ивановна Петрова", "Алексей Смирнов", "Ольга Николаевна Кузнецова",
            "Дмитрий Сергеевич Волков", "Елена Морозова", "Сергей Александрович Новиков", "Наталья Павлова"]
RU_STREETS = ["улица Ленина", "улица Гагарина", "проспект Мира", "улица Садовая", "Невский проспект", "улица Пушкина"]
RU_CITIES = ["Москва", "Казань", "Самара", "Тверь"]
EN_NAMES = ["John Smith", "Mary Johnson", "Robert Brown", "Linda Davis", "Michael Wilson", "Susan Taylor"]
EN_STREETS = ["Oak Street", "Maple Avenue", "Park Road", "Elm Street", "Hill Drive"]
RU_MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
             "ноября", "декабря"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
RU_LOGINS = [("ivan", "иван"), ("petrov", "петров"), ("olga", "ольга"), ("smirnov", "смирнов")]
EN_LOGINS = ["john", "mary", "smith", "linda"]

# Ordinary speech that must stay visible (precision): said before or after the dictation.
RU_ORDINARY = [
    "Заказ номер 48213 на сумму 1500 рублей.", "Мне звонили 12 мая в 14 30.", "У меня тариф за 500 рублей в месяц.",
    "Я живу в городе {city}.", "Я раньше был клиентом компании Сеть Плюс.", "Вчера списали 2300 рублей.",
    "Договорились на 15 число.", "Звоню уже третий раз за неделю.",
]
EN_ORDINARY = [
    "My order number is 48213 and it was 150 dollars.", "They called me on May 12th at 2 30.",
    "I pay 50 dollars a month.", "I live in Chicago.", "I used to be with Metro Mobile.",
    "You charged me 230 dollars yesterday.", "This is the third time I call this week.",
]


@dataclass
class Piece:
    text: str
    kind: str | None = None  # None: ordinary speech
    value: str = ""  # the digits or words that must not stay visible


def _ru_items(kind: str, rng: random.Random, style: int) -> tuple[str, list[list[Piece]]]:
    """(operator's question, the customer's turns as pieces)."""
    if kind == "phone":
        d = "89" + _digits(rng, 9)
        said = [_groups(d, (1, 3, 3, 2, 2)), _one_by_one(d), "+7 " + _groups(d[1:], (3, 3, 2, 2))][style % 3]
        return "Продиктуйте, пожалуйста, ваш номер телефона.", [[Piece("Да, записывайте,"), Piece(said, kind, d)]]
    if kind == "card":
        d = _luhn_complete(rng.choice(["4276", "5469", "2202"]), rng)
        if style % 4 == 3:  # in halves across the operator's "повторите"
            return "Назовите номер карты.", [[Piece("Номер карты"), Piece(_groups(d[:8], (4, 4)), kind, d[:8])],
                                              "OP:Так, повторите, пожалуйста.",
                                              [Piece(_groups(d[8:], (4, 4)), kind, d[8:])]]
        if style % 4 == 2:  # read twice
            return "Назовите номер карты.", [[Piece("Номер карты"), Piece(_groups(d, (4, 4, 4, 4)), kind, d),
                                              Piece("повторяю"), Piece(_groups(d, (4, 4, 4, 4)), kind, d)]]
        said = [_groups(d, (4, 4, 4, 4)), _one_by_one(d)][style % 4]
        return "Назовите номер карты.", [[Piece("Номер карты"), Piece(said, kind, d)]]
    if kind == "passport":
        s, n = _digits(rng, 4), _digits(rng, 6)
        return "Мне нужны ваши паспортные данные.", [[Piece("Паспорт, серия"),
                                                      Piece(f"{s[:2]} {s[2:]} номер {n}", kind, s + n)]]
    if kind == "email":
        (_latin, cyr), domain = (rng.choice(RU_LOGINS),
                                 rng.choice(["мейл точка ру", "яндекс точка ру", "джимейл точка ком"]))
        digits = str(rng.randint(10, 99))
        return "Какая у вас электронная почта?", [[Piece("Почта"),
                                                   Piece(f"{cyr} {digits} собака {domain}", kind, digits)]]
    if kind == "account":
        d = "40817810" + _digits(rng, 12)
        return "Назовите номер лицевого счёта.", [[Piece("Номер счёта"), Piece(_groups(d, (5, 3, 1, 4, 7)), kind, d)]]
    if kind == "cvv":
        d = _digits(rng, 3)
        said = [d, _one_by_one(d)][style % 2]
        return "Назовите код с обратной стороны карты.", [[Piece("Код на обороте"), Piece(said, kind, d)]]
    if kind == "expiry":
        m, y = rng.randint(1, 12), rng.randint(26, 31)
        return "До какого числа действует карта?", [[Piece("Срок действия"),
                                                     Piece(f"{m:02d} {y}", kind, f"{m:02d}{y}")]]
    if kind == "birth_date":
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1950, 2004)
        said = [f"{day} {RU_MONTHS[month - 1]} {year} года", f"{day:02d} {month:02d} {year}"][style % 2]
        return "Назовите дату рождения.", [[Piece("Дата рождения"), Piece(said, kind, str(year))]]
    if kind == "snils":
        d = _digits(rng, 11)
        return "Продиктуйте СНИЛС.", [[Piece("Снилс"), Piece(_groups(d, (3, 3, 3, 2)), kind, d)]]
    if kind == "inn":
        d = _digits(rng, 12)
        return "Назовите ваш ИНН.", [[Piece("ИНН"), Piece(_groups(d, (4, 4, 4)), kind, d)]]
    if kind == "name":
        name = rng.choice(RU_NAMES)
        return "Как к вам обращаться?", [[Piece("Меня зовут"), Piece(name, kind, name)]]
    if kind == "address":
        street, house, flat = rng.choice(RU_STREETS), rng.randint(1, 99), rng.randint(1, 250)
        return "Назовите адрес подключения.", [[Piece("Адрес:"),
                                                Piece(f"{street}, дом {house}, квартира {flat}", kind, street)]]
    raise ValueError(kind)


def _en_items(kind: str, rng: random.Random, style: int) -> tuple[str, list[list[Piece]]]:
    if kind == "phone":
        d = "212" + _digits(rng, 7)
        said = [_groups(d, (3, 3, 4)), _one_by_one(d)][style % 2]
        return "Can I have your phone number?", [[Piece("Sure, it's"), Piece(said, kind, d)]]
    if kind == "card":
        d = _luhn_complete(rng.choice(["4111", "5500", "4000"]), rng)
        if style % 3 == 2:
            return "What's the card number?", [[Piece("The card number is"),
                                                Piece(_groups(d[:8], (4, 4)), kind, d[:8])],
                                               "OP:Sorry, go on.", [Piece(_groups(d[8:], (4, 4)), kind, d[8:])]]
        said = [_groups(d, (4, 4, 4, 4)), _one_by_one(d)][style % 3]
        return "What's the card number?", [[Piece("The card number is"), Piece(said, kind, d)]]
    if kind == "email":
        login, digits = rng.choice(EN_LOGINS), str(rng.randint(10, 99))
        return "What's your email address?", [[Piece("It's"),
                                               Piece(f"{login} {digits} at gmail dot com", kind, digits)]]
    if kind == "account":
        d = _digits(rng, 12)
        return "What's your account number?", [[Piece("My account number is"), Piece(_groups(d, (4, 4, 4)), kind, d)]]
    if kind == "cvv":
        d = _digits(rng, 3)
        return "And the security code on the back?", [[Piece("The security code is"), Piece(_one_by_one(d), kind, d)]]
    if kind == "expiry":
        m, y = rng.randint(1, 12), rng.randint(26, 31)
        return "When does the card expire?", [[Piece("It expires"), Piece(f"{m:02d} {y}", kind, f"{m:02d}{y}")]]
    if kind == "birth_date":
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1950, 2004)
        said = f"{EN_MONTHS[month - 1]} {day}, {year}"
        return "Can you confirm your date of birth?", [[Piece("My date of birth is"), Piece(said, kind, str(year))]]
    if kind == "name":
        name = rng.choice(EN_NAMES)
        return "Who am I speaking with?", [[Piece("My name is"), Piece(name, kind, name)]]
    if kind == "address":
        house, street = rng.randint(10, 999), rng.choice(EN_STREETS)
        return "What's the address on the account?", [[Piece("It's"), Piece(f"{house} {street}", kind, street)]]
    raise ValueError(kind)


RU_KINDS = ("phone", "card", "passport", "email", "account", "cvv", "expiry", "birth_date", "snils", "inn", "name",
            "address")
EN_KINDS = ("phone", "card", "email", "account", "cvv", "expiry", "birth_date", "name", "address")


class _Studio:
    """Voices pieces and lays them on a stereo timeline (operator LEFT, customer RIGHT),
    remembering when each item of personal data was said."""

    def __init__(self, tmp: Path) -> None:
        import numpy as np

        self.ms = _make_samples()
        self.np = np
        self.tmp = tmp
        self.counter = 0

    def voice(self, lang: str, speaker: str, text: str):
        import array

        self.counter += 1
        data = self.ms.synth_turn(lang, speaker, text, self.tmp, self.counter)
        return self.np.frombuffer(array.array("h", data).tobytes(),
                                  dtype=self.np.int16).astype(self.np.float32) / 32768.0

    def call(self, lang: str, exchanges: list[tuple[str, list]]) -> tuple[object, list[dict], list[str]]:
        """``exchanges``: (the operator's question, the turns that answer it). A turn is a list
        of pieces (the customer) or a string "OP:..." (the operator between two halves)."""
        np, sr = self.np, self.ms.SR
        left: list = []
        right: list = []
        t = 0.0
        truth: list[dict] = []
        ordinary: list[str] = []

        def add(channel: str, audio, gap: float) -> None:
            nonlocal t
            silence = np.zeros(len(audio), dtype=np.float32)
            left.append(audio if channel == "left" else silence)
            right.append(audio if channel == "right" else silence)
            pause = np.zeros(int(gap * sr), dtype=np.float32)
            left.append(pause)
            right.append(pause.copy())
            t += len(audio) / sr + len(pause) / sr

        add("left", np.zeros(0, dtype=np.float32), LEAD_S)
        for question, turns in exchanges:
            add("left", self.voice(lang, self.ms.OP, question), TURN_GAP_S)
            for turn in turns:
                if isinstance(turn, str):  # the operator's reply between halves
                    add("left", self.voice(lang, self.ms.OP, turn[3:]), TURN_GAP_S)
                    continue
                for n, piece in enumerate(turn):
                    audio = self.voice(lang, self.ms.CU, piece.text)
                    if piece.kind:
                        truth.append({"kind": piece.kind, "start": round(t, 3), "end": round(t + len(audio) / sr, 3),
                                      "text": piece.text, "value": piece.value, "speaker": "customer"})
                    else:
                        ordinary.append(piece.text)
                    add("right", audio, GAP_S if n < len(turn) - 1 else TURN_GAP_S)
        return np.stack([np.concatenate(left), np.concatenate(right)], axis=1), truth, ordinary


def make(out: Path, seed: int, per_kind: int) -> None:
    import soundfile as sf

    _make_samples().check_tools({"ru", "en"})
    out.mkdir(parents=True, exist_ok=True)
    index = []
    with tempfile.TemporaryDirectory() as tmp_name:
        studio = _Studio(Path(tmp_name))
        for lang, kinds, items in (("ru", RU_KINDS, _ru_items), ("en", EN_KINDS, _en_items)):
            ordinary = RU_ORDINARY if lang == "ru" else EN_ORDINARY
            for kind in kinds:
                for k in range(per_kind):
                    rng = random.Random(f"{seed}-{lang}-{kind}-{k}")
                    question, turns = items(kind, rng, k)
                    plain = Piece(rng.choice(ordinary).format(city=rng.choice(RU_CITIES)))
                    # The ordinary sentence before or after the dictation, alternating.
                    if k % 2:
                        turns[-1] = list(turns[-1]) + [plain]
                    else:
                        turns[0] = [plain] + list(turns[0])
                    stereo, truth, said = studio.call(lang, [(question, turns)])
                    name = f"{lang}_{kind}_{k}"
                    sf.write(out / f"{name}.flac", stereo, studio.ms.SR, subtype="PCM_16")
                    index.append({"call": name, "language": lang, "items": truth, "ordinary": said,
                                  "question": question})
                    print(f"{name}: {len(stereo) / studio.ms.SR:.1f} s", flush=True)
    (out / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")


# One Russian call dictating several things, shipped with the tests (tests/fixtures/pii_dictation_ru.*).
DICTATION_KINDS = ("phone", "card", "cvv", "email", "name")


def make_dictation(path: Path, seed: int) -> None:
    import soundfile as sf

    _make_samples().check_tools({"ru"})
    with tempfile.TemporaryDirectory() as tmp_name:
        studio = _Studio(Path(tmp_name))
        # style 0: digits as the voice reads them; the card in halves across "повторите" (style 3).
        exchanges = [_ru_items(kind, random.Random(f"{seed}-{kind}"),
                               3 if kind == "card" else 0) for kind in DICTATION_KINDS]
        stereo, truth, _ = studio.call("ru", exchanges)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path.with_suffix(".flac"), stereo, studio.ms.SR, subtype="PCM_16")
    path.with_suffix(".truth.json").write_text(
        json.dumps({"language": "ru", "items": truth}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{path.with_suffix('.flac')}: {len(stereo) / studio.ms.SR:.1f} s, {len(truth)} items")


# ---------------------------------------------------------------- transcribe


def transcribe(out: Path) -> None:
    from pipeline.speech.audio import decode
    from pipeline.speech.transcribe import transcribe_call
    from usecases.runtime import build_analyzer
    from usecases.settings import load_settings

    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    analyzers = {}
    cache = {}
    for entry in index:
        lang = entry["language"]
        if lang not in analyzers:
            analyzers[lang] = build_analyzer(load_settings(language=lang))
        analyzer = analyzers[lang]
        audio = decode(out / f"{entry['call']}.flac", analyzer.options.limits)
        t0 = time.perf_counter()
        transcript = transcribe_call(audio, analyzer.recognizer, analyzer.options.transcribe)
        cache[entry["call"]] = {
            "language": transcript.language,
            "segments": [
                {"speaker": s.speaker, "start": s.start, "end": s.end, "text": s.text, "channel": s.channel,
                 "confidence": s.asr_confidence, "speaker_confidence": s.speaker_confidence,
                 "words": [[w.start, w.end, w.text, w.probability] for w in s.words]}
                for s in transcript.segments
            ],
        }
        print(f"{entry['call']}: {time.perf_counter() - t0:.1f} s | "
              + " / ".join(s.text for s in transcript.segments if s.speaker == "customer"), flush=True)
    (out / "asr.json").write_text(json.dumps(cache, ensure_ascii=False, indent=1), encoding="utf-8")


# ---------------------------------------------------------------- score


def _segments(cached: dict):
    from pipeline.records import Segment, Word

    return [
        Segment(s["speaker"], s["start"], s["end"], s["text"], tuple(Word(*w) for w in s["words"]), s["channel"],
                s["confidence"], s["speaker_confidence"])
        for s in cached["segments"]
    ]


_JOINERS = {"собака", "точка", "at", "dot", "дом", "квартира", "номер", "серия", "улица", "проспект", "street",
            "avenue", "road", "drive", "года", "год"}


def _value_words(item: dict) -> list[str]:
    """The words of an item that identify someone: a name, a street's name, an address's login."""
    if item["kind"] == "email":
        said = re.findall(r"\w+", item["text"].lower())
        at = next((i for i, w in enumerate(said) if w in ("собака", "at")), len(said))
        return [w for w in said[:at] if len(w) >= 3]
    if item["kind"] in ("name", "address"):
        return [w for w in re.findall(r"\w+", item["value"].lower()) if len(w) >= 3 and w not in _JOINERS]
    return []


def _number_words() -> dict[str, int]:
    try:
        from pipeline.privacy.numbers import number_words
    except ImportError:  # the code before issue #15 is scored with this script too
        from pipeline.privacy.pii import _both_number_words as both

        return both()
    return number_words("ru")


def _sensitive(text: str, item: dict) -> bool:
    """A recognised word that would give the item away: a digit, a number word, or (names,
    addresses, e-mails) a word close to the item's own. Fillers said inside it ("дом", "точка",
    "повторяю") are not."""
    from rapidfuzz import fuzz

    word = re.sub(r"[^\w]", "", text.lower())
    if not word:
        return False
    if any(ch.isdigit() for ch in word) or word in _number_words():
        return True
    return len(word) >= 3 and any(fuzz.ratio(word, v) >= 70 for v in _value_words(item))


def _covered(t: float, spans) -> bool:
    return any(s.start - 0.01 <= t <= s.end + 0.01 for s in spans)


def score(out: Path, json_path: Path | None, show_misses: bool) -> dict:
    from pipeline.privacy.pii import redact_segments

    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    asr = json.loads((out / "asr.json").read_text(encoding="utf-8"))
    per_kind: dict[str, dict[str, int]] = {}
    true_spans = false_spans = 0
    false_texts: list[str] = []
    misses: list[str] = []
    muted: list[float] = []
    mask_s: list[float] = []
    leaked = 0
    for entry in index:
        lang = entry["language"]
        segments = _segments(asr[entry["call"]])
        redact_segments(segments, lang)  # warm the models once per language
        t0 = time.perf_counter()
        masked_segments, spans = redact_segments(segments, lang)
        mask_s.append(time.perf_counter() - t0)
        masked_text = " ".join(s.text for s in masked_segments)
        raw_words = [(w, s) for s in segments for w in s.words]
        for item in entry["items"]:
            row = per_kind.setdefault(f"{lang} {item['kind']}", {"items": 0, "caught": 0, "unheard": 0, "leaked": 0})
            row["items"] += 1
            said = [w for w, s in raw_words if s.speaker == item["speaker"]
                    and item["start"] - 0.1 <= (w.start + w.end) / 2 <= item["end"] + 0.1 and _sensitive(w.text, item)]
            if not said:
                row["unheard"] += 1
                continue
            caught = all(_covered((w.start + w.end) / 2, [p for p in spans]) for w in said)
            row["caught"] += caught
            if not caught:
                misses.append(f"{entry['call']} {item['kind']}: heard \"{' '.join(w.text for w in said)}\"")
            # Digits of the value left in the masked text (4 in a row or more).
            value_digits = re.sub(r"\D", "", item["value"])
            visible = re.sub(r"\D", "", masked_text)
            if len(value_digits) >= 4 and any(value_digits[i : i + 4] in visible for i in range(len(value_digits) - 3)):
                row["leaked"] += 1
                leaked += 1
            inside = sum(max(0.0, min(item["end"], p.end) - max(item["start"], p.start)) for p in spans)
            muted.append(min(1.0, inside / max(item["end"] - item["start"], 1e-6)))
        for p in spans:
            seg = segments[p.segment_index]
            hit = any(seg.speaker == item["speaker"] and p.start < item["end"] + 0.2 and item["start"] - 0.2 < p.end
                      for item in entry["items"])
            if hit:
                true_spans += 1
            else:
                false_spans += 1
                words = " ".join(w.text for w in seg.words if p.start - 0.01 <= w.start and w.end <= p.end + 0.01)
                false_texts.append(f"{entry['call']} {p.kind}: \"{words}\"")
    heard = sum(r["items"] - r["unheard"] for r in per_kind.values())
    caught = sum(r["caught"] for r in per_kind.values())
    result = {
        "items": sum(r["items"] for r in per_kind.values()),
        "heard": heard,
        "recall": caught / heard if heard else None,
        "precision": true_spans / (true_spans + false_spans) if true_spans + false_spans else None,
        "masked_spans": true_spans + false_spans,
        "false_spans": false_texts,
        "leaked_items": leaked,
        "mean_muted_share": sum(muted) / len(muted) if muted else None,
        "mask_ms_per_call_median": sorted(mask_s)[len(mask_s) // 2] * 1000 if mask_s else None,
        "per_kind": per_kind,
        "misses": misses,
    }
    print(f"items {result['items']}, heard {heard}; recall {caught}/{heard} = {result['recall']:.3f}; "
          f"precision {true_spans}/{true_spans + false_spans} = {result['precision']:.3f}; "
          f"leaked digits in {leaked} item(s); muted share {result['mean_muted_share']:.3f}; "
          f"masking {result['mask_ms_per_call_median']:.1f} ms per call (median)")
    print(f"{'language kind':18} items caught unheard leaked")
    for name, r in sorted(per_kind.items()):
        print(f"{name:18} {r['items']:5} {r['caught']:6} {r['unheard']:7} {r['leaked']:6}")
    if false_texts:
        print("masked but ordinary speech:")
        for line in false_texts:
            print("  " + line)
    if show_misses and misses:
        print("missed:")
        for line in misses:
            print("  " + line)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("make", "make-dictation", "transcribe", "score"))
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "data" / "pii_set"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-kind", type=int, default=4)
    parser.add_argument("--json", default=None)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.command == "make":
        make(out, args.seed, args.per_kind)
    elif args.command == "make-dictation":
        make_dictation(REPO / "tests" / "fixtures" / "pii_dictation_ru", args.seed)
    elif args.command == "transcribe":
        transcribe(out)
    else:
        score(out, Path(args.json) if args.json else None, args.show_misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
