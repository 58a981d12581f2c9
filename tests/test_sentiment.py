"""Sentiment: utterance scores in Russian and English, the call-level trajectory, the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from callqa.cli import main
from models.sentiment import guess_language, label_for, load_sentiment, squash, unsquash
from pipeline.judging.sentiment import CallSentiment, call_sentiment
from pipeline.records import Segment


def labels(language: str, texts: list[str]) -> list[str]:
    return [label_for(s) for s in load_sentiment(language).score(texts)]


@pytest.mark.parametrize("language,texts", [
    ("ru", ["Это безобразие, сколько можно!", "У меня третий день не работает интернет.",
            "Я буду жаловаться в Роспотребнадзор.", "Ваш оператор мне нахамил и бросил трубку.",
            "Меня это совершенно не устраивает.", "Опять не работает, как и на прошлой неделе.",
            "Отвратительный сервис, до свидания."]),
    ("en", ["This is ridiculous, I want to cancel my account.", "My internet has been down since last night.",
            "It's not working again.", "I'm filing a complaint.", "Terrible service, goodbye.",
            "You haven't fixed anything, what a waste of time."]),
])
def test_clearly_negative_customer_lines(language, texts):
    assert labels(language, texts) == ["negative"] * len(texts)


@pytest.mark.parametrize(
    "language,texts",
    [
        (
            "ru",
            [
                "Спасибо большое, вы мне очень помогли!",
                "Отлично, всё заработало.",
                "Наконец-то, интернет снова работает.",
                "Спасибо, проблема решена.",
                "Огромное спасибо, вы меня выручили.",
                "Я доволен, спасибо.",
            ],
        ),
        (
            "en",
            [
                "Thank you so much, you've been a great help!",
                "Perfect, it works now, thanks.",
                "Yes, everything works now, thank you.",
                "Thanks for sorting it out so quickly.",
            ],
        ),
    ],
)
def test_clearly_positive_customer_lines(language, texts):
    assert labels(language, texts) == ["positive"] * len(texts)


@pytest.mark.parametrize("language,texts", [
    ("ru", ["Назовите номер договора.", "Назовите, пожалуйста, номер вашего договора.", "Добрый день!",
            "Чем могу помочь?", "Хорошо, я подожду.", "Нет, это всё.", "Дата рождения двенадцатое марта.",
            "Я в пятом классе."]),
    ("en", ["May I have your account number, please?", "Yes, that's me.", "Okay, I'll hold.", "No, that's all.",
            "I'd like to switch to another plan."]),
])
def test_neutral_business_lines(language, texts):
    assert labels(language, texts) == ["neutral"] * len(texts)


def test_russian_negation_flips_and_dampens():
    model = load_sentiment("ru")
    bad, not_bad, not_works = model.score(["плохо", "не плохо", "не работает"])
    assert label_for(bad) == "negative"
    assert label_for(not_bad) != "negative" and not_bad > 0
    assert label_for(not_works) == "negative"
    # "нет, спасибо" is a polite no: negation does not flip a thank-you.
    assert label_for(model.score(["Нет, спасибо."])[0]) == "positive"
    # A negator inside a phrase's gap does not make "опять не работает" read as "опять работает".
    assert model.score(["опять не работает"])[0] < 0
    helped, not_helped = model.score(["Вы мне помогли", "Вы мне не помогли"])
    assert helped > 0 > not_helped


def test_russian_intensifiers_and_word_forms():
    model = load_sentiment("ru")
    good, very_good = model.score(["Хорошо работает", "Очень хорошо работает"])
    assert very_good > good > 0
    # Word forms are matched through their lemmas: "недовольна" -> недовольный, "нахамили" -> нахамить.
    assert model.score(["Я недовольна.", "Мне нахамили."]) == pytest.approx([model.score(["недовольный"])[0],
                                                                           model.score(["нахамить"])[0]])
    # "но": the clause after it weighs more.
    assert model.score(["Спасибо, конечно, но это никуда не годится."])[0] < 0


def test_scores_are_in_range_and_empty_text_is_neutral():
    for language in ("ru", "en"):
        scores = load_sentiment(language).score(
            ["", "!!!", "ужас ужас ужас кошмар безобразие!!!!", "awful awful awful!!!"]
        )
        assert all(-1.0 <= s <= 1.0 for s in scores)
        assert scores[0] == 0.0
    assert unsquash(squash(2.5)) == pytest.approx(2.5)


def test_guess_language():
    assert guess_language("Назовите номер договора") == "ru"
    assert guess_language("My internet is down") == "en"
    assert guess_language("Мой роутер TP-Link не работает") == "ru"


def segment(speaker: str, start: float, text: str) -> Segment:
    return Segment(speaker=speaker, start=start, end=start + 2.0, text=text)


ANGRY_THEN_THANKFUL = [
    segment("operator", 0, "Здравствуйте, компания Сеть Плюс, меня зовут Мария. Чем могу помочь?"),
    segment("customer", 3, "Это безобразие! У меня третий день не работает интернет, сколько можно?"),
    segment("operator", 6, "Назовите, пожалуйста, номер договора."),
    segment("customer", 9, "Четыре пять семь, восемь один два."),
    segment("unknown", 11, "ужас ужас кошмар"),  # nobody's speech: ignored
    segment("operator", 12, "Спасибо. В вашем районе была авария, я перезапустила подключение."),
    segment("customer", 15, "Да, вижу, всё заработало. Спасибо большое, вы мне очень помогли!"),
    segment("operator", 18, "Всего доброго, до свидания."),
]


def test_trajectory_angry_start_thankful_end():
    result = call_sentiment(ANGRY_THEN_THANKFUL, "ru")
    assert label_for(result.customer_start) == "negative"
    assert label_for(result.customer_end) == "positive"
    assert result.operator_mean is not None and label_for(result.operator_mean) != "negative"
    assert len(result.segment_scores) == len(ANGRY_THEN_THANKFUL)
    assert result.segment_scores[4] == 0.0  # the unknown speaker's segment is not scored
    data = result.to_json()
    assert set(data) == {"customer_start", "customer_end", "operator_mean"}
    assert all(-1.0 <= v <= 1.0 for v in data.values())
    json.dumps(data)


def test_trajectory_in_english_and_segment_order_by_time():
    segments = [
        segment("customer", 20, "Perfect, it works now, thank you so much!"),
        segment("operator", 0, "Thank you for calling City Fiber, my name is Emma."),
        segment("customer", 3, "My internet has been down for three days, this is outrageous."),
        segment("customer", 10, "The account is under Peter Brown."),
    ]
    result = call_sentiment(segments, "en")
    assert label_for(result.customer_start) == "negative"
    assert label_for(result.customer_end) == "positive"


def test_customer_who_barely_speaks_has_no_trajectory():
    segments = [
        segment("operator", 0, "Здравствуйте, компания Сеть Плюс, меня зовут Мария."),
        segment("customer", 3, "Да."),
        segment("operator", 5, "Ваш заказ доставят завтра."),
    ]
    result = call_sentiment(segments, "ru")
    assert result.customer_start is None and result.customer_end is None
    assert result.operator_mean is not None
    assert call_sentiment([], "ru") == CallSentiment(None, None, None, ())
    only_unknown = call_sentiment([segment("unknown", 0, "Это безобразие, сколько можно!")], "ru")
    assert only_unknown.to_json() == {"customer_start": None, "customer_end": None, "operator_mean": None}


def run_cli(monkeypatch, capsys, stdin: str, *args: str) -> list[dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["sentiment", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_cli_guesses_language_per_line_and_skips_empty_lines(monkeypatch, capsys):
    rows = run_cli(
        monkeypatch,
        capsys,
        "Это безобразие, сколько можно!\n\n   \nThank you so much, you've been a great help!\n"
        "Назовите номер договора\n",
    )
    assert [r["text"] for r in rows] == [
        "Это безобразие, сколько можно!",
        "Thank you so much, you've been a great help!",
        "Назовите номер договора",
    ]
    assert [r["label"] for r in rows] == ["negative", "positive", "neutral"]
    assert all(set(r) == {"text", "score", "label"} and -1 <= r["score"] <= 1 for r in rows)


def test_cli_language_flag_and_empty_input(monkeypatch, capsys):
    assert run_cli(monkeypatch, capsys, "") == []
    rows = run_cli(monkeypatch, capsys, "не плохо\n", "--language", "ru")
    assert rows[0]["label"] == "positive"


def test_cli_subprocess_writes_utf8_json_lines():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "callqa", "sentiment"], input="Спасибо большое!\n".encode(),
                          capture_output=True, timeout=60, cwd=Path(__file__).resolve().parent.parent,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    assert done.returncode == 0, done.stderr.decode()
    row = json.loads(done.stdout.decode("utf-8"))
    assert row["text"] == "Спасибо большое!" and row["label"] == "positive"


def test_speed_budget_per_call():
    """20 utterances must cost far less than the ~50 ms a call may take in the analysis stage."""
    import time

    segments = ANGRY_THEN_THANKFUL * 3  # 24 segments
    call_sentiment(segments, "ru")
    call_sentiment(segments, "en")
    t0 = time.perf_counter()
    for _ in range(20):
        call_sentiment(segments, "ru")
    assert (time.perf_counter() - t0) / 20 < 0.02
