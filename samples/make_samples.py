#!/usr/bin/env python3
"""Generate synthetic call-center recordings with ground truth.

Each call is a list of turns (speaker, text). Every turn is synthesised with an
offline TTS voice, passed through a telephone channel (300-3400 Hz band, 8 kHz),
trimmed of its own leading/trailing silence and then placed on the call's time
line with a fixed pause after the previous turn. Turn start/end times therefore
come from the synthesised durations, and the same text always gives the same
timings.

Outputs, per call, in --out (default samples/calls):
  NAME.flac        8 kHz, 16-bit FLAC; stereo calls: operator LEFT, customer RIGHT
  NAME.truth.json  turns with times, expected scorecard verdicts, score and flags, call reason and outcome
  NAME.meta.json   who handled the call (operator, team, queue, site, vendor, start time):
                   demo metadata read by the flow like a recorder's sidecar, not truth

Voices:
  ru operator  festival voice_msu_ru_nsh_clunits
  ru customer  the same voice through `sox pitch -350 tempo 1.05`
  en operator  espeak-ng -v en-us+f3 -s 140 -g 2
  en customer  espeak-ng -v en-gb+m3 -s 140 -g 2

Usage (with the project's virtualenv, e.g. `make samples`):
  .venv/bin/python samples/make_samples.py [--out DIR] [--only NAME ...] [--verify]
  .venv/bin/python samples/make_samples.py --meta-only   # rewrite the NAME.meta.json sidecars only

The written dialogue is judged by the product itself (pipeline.judging.scoring against
the inbound_support scorecard) before anything is synthesised: the verdicts must
equal each call's declared ones, and the truth's score and flags are the
product's. --verify transcribes each file (each channel separately for stereo)
with the product's faster-whisper recognizer and Whisper base weights
(models.weights.resolve_whisper) and judges the transcript the same way.
"""
from __future__ import annotations

import argparse
import array
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # run as a file: make the project's packages importable
    sys.path.insert(0, str(REPO))

NEEDS_VENV = ("run this with the project's virtualenv: "
              "`.venv/bin/python samples/make_samples.py` or `make samples`")
try:
    from models.nlp import load_lemmatizer
    from pipeline.judging.scorecard import Scorecard, load_scorecard
    from pipeline.judging.scoring import judge_transcript
    from pipeline.records import CriterionResult, Score, Segment, Transcript, Word
    from pipeline.text.matching import PhraseMatcher
except ImportError as err:
    raise SystemExit(f"{err}: {NEEDS_VENV}")

SCORECARD = "inbound_support"

SR = 8000                 # final sample rate
LEAD_IN = 0.40            # silence before the first turn, seconds
TAIL = 0.50               # silence after the last turn, seconds
# Pauses between turns (cycled, deterministic): natural 0.5-0.8 s gaps.
PAUSES = (0.60, 0.75, 0.55, 0.70, 0.65, 0.80, 0.50)

CRITERIA = ("greeting", "introduction", "identification", "needs_discovery", "resolution",
            "extra_help", "farewell", "no_forbidden_phrases")
# The product's flags that the truth files list (a call must get each of them).
# compute_score also emits "critical_fail" with every failed critical criterion;
# it is left out so the truth files keep their meaning and bytes. Flags about
# recognition quality must never come up on the written script.
TRUTH_FLAGS = ("forbidden_phrase", "low_score")
VERDICT_FLAGS = TRUTH_FLAGS + ("critical_fail",)

OP, CU = "operator", "customer"
P, F = "pass", "fail"

# ---------------------------------------------------------------------------
# The calls. Customers' lines avoid every scorecard phrase (customers may say
# "спасибо"/"thanks"). Numbers are written out as words for the TTS.
# ---------------------------------------------------------------------------
CALLS = [
    {
        "name": "ru_stereo_good",
        # who handled it (NAME.meta.json): two vendors' sites for the site comparison
        "meta": {"operator": "op.andreev", "team": "support-1", "queue": "billing", "started_at": "2026-11-20T09:15:00",
                 "site": "Kazan", "vendor": "CallNorth"},
        "language": "ru",
        "channels": 2,
        "topic": "internet provider: no connection",
        "turns": [
            (OP, "Здравствуйте! Служба поддержки компании Сеть Плюс, меня зовут Андрей. Чем могу помочь?"),
            (CU, "У меня со вчерашнего вечера не работает интернет."),
            (OP, "Назовите, пожалуйста, номер договора."),
            (CU, "Договор четыре пять семь, восемь один два."),
            (OP, "Спасибо. В вашем районе авария, связь восстановят до шести вечера."),
            (CU, "Понятно, спасибо."),
            (OP, "Остались ли у вас ещё вопросы?"),
            (CU, "Нет, это всё."),
            (OP, "Спасибо за обращение! Всего доброго, до свидания."),
        ],
        "expected_reason": "no_connection",  # call reasons taxonomy (taxonomy/call_reasons.yaml)
        "expected_outcome": "resolved",  # the outage is explained and a time given
        "expected_criteria": {c: P for c in CRITERIA},
    },
    {
        "name": "ru_stereo_rude",
        "meta": {"operator": "op.belova", "team": "support-1", "queue": "billing", "started_at": "2026-11-20T10:40:00",
                 "site": "Tver", "vendor": "ContactPro"},
        "language": "ru",
        "channels": 2,
        "topic": "bank card: card blocked",
        "turns": [
            (OP, "Да, слушаю."),
            (CU, "У меня заблокировали банковскую карту, я не могу оплатить покупки."),
            (OP, "Назовите номер договора."),
            (CU, "Три два один, девять ноль пять."),
            (OP, "Карта заблокирована службой безопасности. Почему, я не знаю."),
            (CU, "А кто может объяснить мне причину?"),
            (OP, "Это не ко мне. Звоните в службу безопасности."),
            (CU, "А как с ними связаться?"),
            (OP, "Я же сказал, звоните в безопасность."),
            (CU, "Ладно, спасибо."),
        ],
        "expected_reason": "account_access",  # call reasons taxonomy (taxonomy/call_reasons.yaml)
        "expected_outcome": "unresolved",  # sent away to call security
        "expected_criteria": {
            "greeting": F, "introduction": F, "identification": P,
            "needs_discovery": F, "resolution": F, "extra_help": F, "farewell": F,
            "no_forbidden_phrases": F,
        },
    },
    {
        "name": "ru_mono_partial",
        "meta": {"operator": "op.andreev", "team": "support-1", "queue": "internet",
                 "started_at": "2026-11-20T11:05:00", "site": "Kazan", "vendor": "CallNorth"},
        "language": "ru",
        "channels": 1,
        "topic": "order delivery: parcel late",
        "turns": [
            (OP, "Добрый день! Компания Быстрая доставка, меня зовут Андрей. Чем могу помочь?"),
            (CU, "Я заказывал пылесос неделю назад, а его всё ещё не привезли."),
            (OP, "Уточните, пожалуйста, номер заказа."),
            (CU, "Номер заказа семь семь три один."),
            (OP, "Заказ задержался на складе, курьер привезёт его завтра до обеда."),
            (CU, "Хорошо, буду ждать. Спасибо."),
            (OP, "Спасибо за обращение, всего хорошего!"),
        ],
        "expected_reason": "order_status",  # call reasons taxonomy (taxonomy/call_reasons.yaml)
        "expected_outcome": "resolved",  # the delivery day is given
        "expected_criteria": {
            # asking for the order number identifies the customer's case (the QA dev set's rule too)
            "greeting": P, "introduction": P, "identification": P,
            "needs_discovery": P, "resolution": P, "extra_help": F, "farewell": P,
            "no_forbidden_phrases": P,
        },
    },
    {
        "name": "en_stereo_good",
        "meta": {"operator": "op.carter", "team": "support-en", "queue": "billing", "started_at": "2026-11-20T12:30:00",
                 "site": "Tver", "vendor": "ContactPro"},
        "language": "en",
        "channels": 2,
        "topic": "bank card: payment declined",
        "turns": [
            (OP, "Good afternoon, and thank you for calling Northwind Bank. My name is Emma. "
                 "How can I help you today?"),
            (CU, "My card stopped working at the shop today."),
            (OP, "May I have your name, please?"),
            (CU, "Sure, the card is in the name of Peter Brown."),
            (OP, "Thank you, Mr Brown. Your card was blocked after an unusual payment. It works again now."),
            (CU, "Great, thanks a lot."),
            (OP, "Is there anything else I can do for you?"),
            (CU, "No, thank you."),
            (OP, "Have a great day. Goodbye!"),
        ],
        "expected_reason": "account_access",  # call reasons taxonomy (taxonomy/call_reasons.yaml)
        "expected_outcome": "resolved",  # the card works again
        "expected_criteria": {c: P for c in CRITERIA},
    },
    {
        "name": "en_mono_rude",
        "meta": {"operator": "op.carter", "team": "support-en", "queue": "internet",
                 "started_at": "2026-11-20T14:10:00", "site": "Tver", "vendor": "ContactPro"},
        "language": "en",
        "channels": 1,
        "topic": "order delivery: laptop not delivered",
        "turns": [
            (OP, "Hello. What is your phone number?"),
            (CU, "Sure, it is two one three, four four nine. I ordered a laptop two weeks ago, "
                 "and it is still not here."),
            (OP, "Your order was sent on Monday. Where it is now, I don't know."),
            (CU, "Can you call the delivery company, please?"),
            (OP, "No. Call them on your own."),
            (CU, "Okay, thank you."),
            (OP, "Bye."),
        ],
        "expected_reason": "order_status",  # call reasons taxonomy (taxonomy/call_reasons.yaml)
        "expected_outcome": "unresolved",  # told to call the courier on their own
        "expected_criteria": {
            "greeting": P, "introduction": F, "identification": P,
            "needs_discovery": F, "resolution": F, "extra_help": F, "farewell": P,
            "no_forbidden_phrases": F,
        },
    },
]


def write_meta(call: dict, out_dir: Path) -> Path | None:
    """The call's ``meta`` as its NAME.meta.json sidecar (calls without one get none)."""
    if not call.get("meta"):
        return None
    path = out_dir / f"{call['name']}.meta.json"
    path.write_text(json.dumps(call["meta"], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# The product judges the written dialogue (consistency check and truth score)
# ---------------------------------------------------------------------------
WORD_S = 0.35             # synthetic word length when the turn timings are not known yet


def script_transcript(call: dict, timings: list[tuple[float, float]] | None = None) -> Transcript:
    """The call's written turns as the product's Transcript: one segment per turn,
    speakers known, every word certain. Without ``timings`` the turns get synthetic ones."""
    segments, t = [], LEAD_IN
    for i, (speaker, text) in enumerate(call["turns"]):
        pieces = text.split()
        if timings:
            start, end = timings[i]
        else:
            start, end = t, t + WORD_S * len(pieces)
            t = end + PAUSES[i % len(PAUSES)]
        step = (end - start) / len(pieces)
        words = tuple(Word(start + k * step, start + (k + 0.9) * step, w, 1.0) for k, w in enumerate(pieces))
        channel = None if call["channels"] == 1 else (0 if speaker == OP else 1)
        segments.append(Segment(speaker, start, end, text, words, channel, asr_confidence=1.0, speaker_confidence=1.0))
    return Transcript(call["language"], tuple(segments), "written-script", "written_script")


def judge_call(call: dict, card: Scorecard, timings: list[tuple[float, float]] | None = None
               ) -> tuple[tuple[CriterionResult, ...], Score]:
    from pipeline.analyze import build_judge

    judgement = build_judge(card).judge(script_transcript(call, timings))  # the product's own judge
    return judgement.criteria, judgement.score


def verdict_problems(name: str, results, expected: dict, source: str) -> list[str]:
    problems = []
    if {r.id for r in results} != set(expected):
        problems.append(f"{name}: scorecard criteria {sorted(r.id for r in results)} != declared {sorted(expected)}")
    for r in results:
        if r.id in expected and r.result != expected[r.id]:
            why = f"{r.evidence.text!r}" if r.evidence else r.reason
            problems.append(f"{name}: {r.id} expected {expected[r.id]}, {source} gives {r.result} ({why})")
    return problems


def scorecard_phrases(text: str, language: str, card: Scorecard) -> list[str]:
    """Every scorecard phrase (any criterion) the product's matcher finds in ``text``."""
    lem = load_lemmatizer(language)
    tokens = lem.tokens(text)
    return [m.phrase for c in card.criteria
            for m in PhraseMatcher(lem, c.phrases.get(language, ()), max_gap=card.max_gap).find_all(tokens)]


def script_problems(call: dict, card: Scorecard) -> list[str]:
    """What is wrong with one call's written dialogue: verdicts that differ from its
    declared ``expected_criteria``, odd flags, scorecard phrases said by the customer."""
    results, score = judge_call(call, card)
    problems = verdict_problems(call["name"], results, call["expected_criteria"], "the text")
    odd = [f for f in score.flags if f not in VERDICT_FLAGS]
    if odd:
        problems.append(f"{call['name']}: the written script gets flags {odd}")
    for s, t in call["turns"]:
        if s == CU:
            problems += [f"{call['name']}: customer says scorecard phrase {p!r}: {t!r}"
                         for p in scorecard_phrases(t, call["language"], card)]
    return problems


def check_script_text(card: Scorecard) -> None:
    """The written dialogue must get the declared verdicts from the product, and
    customers must not say any scorecard phrase."""
    problems = []
    for call in CALLS:
        problems += script_problems(call, card)
    if problems:
        raise SystemExit("dialogue does not match the ground truth:\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------------------
# Synthesis
# ---------------------------------------------------------------------------
REQUIRED_TOOLS = {
    "text2wave": "Debian package 'festival' (plus 'festvox-ru' for the Russian voice)",
    "espeak-ng": "Debian package 'espeak-ng'",
    "sox": "Debian package 'sox'",
    "flac": "Debian package 'flac'",
}


def check_tools(languages: set[str]) -> None:
    need = ["sox", "flac"]
    if "ru" in languages:
        need.append("text2wave")
    if "en" in languages:
        need.append("espeak-ng")
    missing = [t for t in need if shutil.which(t) is None]
    if missing:
        lines = [f"  {t}: install {REQUIRED_TOOLS[t]}" for t in missing]
        raise SystemExit("missing command-line tools:\n" + "\n".join(lines))
    if "ru" in languages:
        # The Russian voice must exist in festival.
        r = subprocess.run(["festival", "-b", "(voice_msu_ru_nsh_clunits)"],
                           capture_output=True, text=True) if shutil.which("festival") else None
        if r is not None and (r.returncode != 0 or "SIOD ERROR" in r.stderr + r.stdout
                              or "unbound variable" in r.stderr + r.stdout):
            raise SystemExit("festival voice voice_msu_ru_nsh_clunits not available: "
                             "install the Debian package 'festvox-ru'")


def run(cmd: list[str], **kw) -> None:
    r = subprocess.run(cmd, capture_output=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"command failed ({r.returncode}): {' '.join(cmd)}\n"
                         f"{r.stderr.decode(errors='replace')}")


# Telephone channel + trim of the synthesiser's own leading/trailing silence.
PHONE = ["highpass", "300", "lowpass", "3400"]
TRIM = ["silence", "1", "0.02", "0.3%", "reverse", "silence", "1", "0.02", "0.3%", "reverse"]


def synth_turn(lang: str, speaker: str, text: str, tmp: Path, idx: int,
               voice: dict | None = None) -> array.array:
    """One turn through TTS and the telephone channel. ``voice`` overrides the default
    voice of ``speaker`` (used by benchmarks/datasets/make_synthetic_set.py): "espeak" (espeak-ng
    voice name) and "speed" (words per minute) for English, "fx" (sox effects applied
    after festival) for Russian. Without it the samples' voices are used."""
    voice = voice or {}
    raw = tmp / f"t{idx}_raw.wav"
    out = tmp / f"t{idx}.wav"
    voice_fx: list[str] = []
    if lang == "ru":
        txt = tmp / f"t{idx}.txt"
        txt.write_text(text + "\n", encoding="utf-8")
        run(["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", str(txt), "-o", str(raw)], cwd=tmp)
        if "fx" in voice:
            voice_fx = list(voice["fx"])
        elif speaker == CU:
            voice_fx = ["pitch", "-350", "tempo", "1.05"]
    else:
        name = voice.get("espeak") or ("en-us+f3" if speaker == OP else "en-gb+m3")
        speed = str(voice.get("speed", 140))
        run(["espeak-ng", "-v", name, "-s", speed, "-g", "2", "-w", str(raw), text])
    # -D: no dither, so silence stays digital zero and the FLAC stays small.
    run(["sox", "-D", str(raw), "-r", str(SR), "-c", "1", "-b", "16", str(out)]
        + voice_fx + PHONE + TRIM + ["gain", "-n", "-10"])
    with wave.open(str(out), "rb") as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2
        data = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder != "little":
        data.byteswap()
    return data


def build_call(call: dict, out_dir: Path, card: Scorecard) -> dict:
    """Synthesise one call dict (name, language, channels, topic, turns, expected_criteria
    and optionally voices: {speaker: voice} for synth_turn) into out_dir; returns its truth."""
    name, lang, nch = call["name"], call["language"], call["channels"]
    voices = call.get("voices") or {}
    with tempfile.TemporaryDirectory(prefix="mksamples_") as td:
        tmp = Path(td)
        pieces = [synth_turn(lang, spk, text, tmp, i, voices.get(spk))
                  for i, (spk, text) in enumerate(call["turns"])]

        pos = int(round(LEAD_IN * SR))
        placed = []
        for i, ((spk, text), pcm) in enumerate(zip(call["turns"], pieces)):
            if i:
                pos += int(round(PAUSES[(i - 1) % len(PAUSES)] * SR))
            placed.append((spk, text, pos, pcm))
            pos += len(pcm)
        total = pos + int(round(TAIL * SR))

        left = array.array("h", bytes(2 * total))
        right = array.array("h", bytes(2 * total)) if nch == 2 else None
        for spk, _text, start, pcm in placed:
            dst = left if (nch == 1 or spk == OP) else right
            dst[start:start + len(pcm)] = pcm   # turns never overlap

        if nch == 2:
            inter = array.array("h", bytes(4 * total))
            inter[0::2] = left
            inter[1::2] = right
        else:
            inter = left
        if sys.byteorder != "little":
            inter.byteswap()
        wav_path = tmp / "call.wav"
        with wave.open(str(wav_path), "wb") as w:
            w.setnchannels(nch)
            w.setsampwidth(2)
            w.setframerate(SR)
            w.writeframes(inter.tobytes())
        flac_path = out_dir / f"{name}.flac"
        run(["flac", "--silent", "--force", "-8", "--no-seektable", "-o", str(flac_path), str(wav_path)])

    turns = [{"speaker": spk, "start": round(start / SR, 2), "end": round((start + len(pcm)) / SR, 2),
              "text": text} for spk, text, start, pcm in placed]
    crit = {c: call["expected_criteria"][c] for c in CRITERIA}
    _, score = judge_call(call, card, [(t["start"], t["end"]) for t in turns])
    truth = {
        "file": f"{name}.flac",
        "language": lang,
        "channels": nch,
        "operator_channel": "left" if nch == 2 else None,
        "duration": round(total / SR, 2),
        "topic": call["topic"],
        "turns": turns,
        "expected_criteria": crit,
        "expected_score": round(score.value, 1),
        "expected_flags": [f for f in score.flags if f in TRUTH_FLAGS],
        "expected_reason": call["expected_reason"],
        "expected_outcome": call["expected_outcome"],
    }
    with open(out_dir / f"{name}.truth.json", "w", encoding="utf-8") as fh:
        json.dump(truth, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    write_meta(call, out_dir)
    return truth


# ---------------------------------------------------------------------------
# Verification: the product's recognizer and judging on the generated audio
# ---------------------------------------------------------------------------
def verify(out_dir: Path, names: list[str], card: Scorecard) -> bool:
    from models.asr import AsrOptions, FasterWhisperRecognizer
    from models.weights import WeightsNotFound, resolve_whisper
    from pipeline.speech.audio import decode
    from pipeline.speech.transcribe import TranscribeOptions, to_segments

    ok_all = True
    with tempfile.TemporaryDirectory(prefix="whisper_base_") as td:
        try:  # $CALLQA_MODELS_DIR when set, else assembled into a throw-away folder
            weights = resolve_whisper("base", os.environ.get("CALLQA_MODELS_DIR") or td)
        except WeightsNotFound as err:
            raise SystemExit(f"--verify: {err}")
        recognizer = FasterWhisperRecognizer(weights, device="cpu", compute_type="int8")
        turn_pause_s = TranscribeOptions().turn_pause_s
        for name in names:
            truth = json.loads((out_dir / f"{name}.truth.json").read_text(encoding="utf-8"))
            lang = truth["language"]
            audio = decode(out_dir / truth["file"])  # 16 kHz, one row per channel
            # Stereo: operator LEFT, customer RIGHT. Mono: everything is judged as operator speech.
            roles = [(OP, "left/operator"), (CU, "right/customer")] if audio.channels == 2 else [(OP, "mono/both")]
            print(f"\n=== {name} ({lang}, {truth['channels']} ch)")
            segments, customer_text = [], ""
            for index, (speaker, label) in enumerate(roles):
                asr = recognizer.transcribe(audio.channel(index), AsrOptions(language=lang))  # beam 5, VAD on
                segs = to_segments(asr.segments, speaker, index, 1.0, turn_pause_s)
                text = " ".join(s.text for s in segs)
                print(f"  [{label}] {text}")
                segments += segs
                if speaker == CU:
                    customer_text = text
            transcript = Transcript(lang, tuple(sorted(segments, key=lambda s: s.start)), recognizer.name, "verify")
            results, _ = judge_transcript(transcript, card, load_lemmatizer(lang))
            for r in results:
                want = truth["expected_criteria"][r.id]
                heard = f"{r.evidence.text!r}" if r.evidence else r.reason
                print(f"  {'ok ' if r.result == want else 'BAD'} {r.id:22s} expected {want:4s} "
                      f"heard {r.result:7s} {heard}")
            problems = verdict_problems(name, results, truth["expected_criteria"], "the transcript")
            said = scorecard_phrases(customer_text, lang, card) if customer_text else []
            if said:
                problems.append(f"{name}: customer channel contains scorecard phrase(s) {said}")
                print(f"  BAD customer channel contains scorecard phrase(s) {said}")
            print("  -> " + ("transcript supports the ground truth" if not problems
                             else "MISMATCH:\n     " + "\n     ".join(problems)))
            ok_all = ok_all and not problems
    return ok_all


# ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(HERE / "calls"), help="output folder (default samples/calls)")
    ap.add_argument("--only", nargs="*", help="generate only these call names")
    ap.add_argument("--verify", action="store_true",
                    help="transcribe the results with faster-whisper and check the phrases")
    ap.add_argument("--verify-only", action="store_true", help="verify existing files, do not regenerate")
    ap.add_argument("--meta-only", action="store_true", help="rewrite the NAME.meta.json sidecars only (no audio)")
    args = ap.parse_args(argv)

    calls = [c for c in CALLS if not args.only or c["name"] in args.only]
    if args.only and len(calls) != len(args.only):
        raise SystemExit(f"unknown call name(s); known: {[c['name'] for c in CALLS]}")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.meta_only:
        for call in calls:
            print(write_meta(call, out_dir))
        return 0
    card = load_scorecard(SCORECARD)

    if not args.verify_only:
        check_script_text(card)
        check_tools({c["language"] for c in calls})
        for call in calls:
            t = build_call(call, out_dir, card)
            size = (out_dir / t["file"]).stat().st_size
            print(f"{t['file']:22s} {t['duration']:6.2f} s  {size / 1024:6.1f} KiB  flags={t['expected_flags']}")
    if args.verify or args.verify_only:
        return 0 if verify(out_dir, [c["name"] for c in calls], card) else 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ModuleNotFoundError as err:  # the lemmatizers and faster-whisper are imported lazily
        raise SystemExit(f"{err}: {NEEDS_VENV}")
