"""Scorecards, lemma matching and the fairness rules of judging, on hand-built transcripts."""

from __future__ import annotations

import pytest

from models.nlp import load_lemmatizer
from pipeline.judging.scorecard import ScorecardError, load_scorecard, parse_scorecard
from pipeline.judging.scoring import judge_transcript
from pipeline.records import Segment, Transcript, Word
from pipeline.text.matching import PhraseMatcher


def seg(speaker: str, start: float, text: str, prob: float = 0.9, speaker_confidence: float = 1.0,
        channel: int | None = None) -> Segment:
    words = []
    t = start
    for w in text.split():
        words.append(Word(t, t + 0.3, w, prob))
        t += 0.35
    return Segment(speaker, start, t, text, tuple(words), channel, prob, speaker_confidence)  # type: ignore[arg-type]  # speaker: any test str


def transcript(language: str, *segments: Segment) -> Transcript:
    return Transcript(language, tuple(segments), "test", "stereo_channels")


@pytest.fixture(scope="module")
def scorecard():
    return load_scorecard("inbound_support")


def verdicts(results) -> dict[str, str]:
    return {r.id: r.result for r in results}


@pytest.mark.parametrize(
    "phrase,text,expected",
    [
        ("чем могу помочь", "Чем я могу вам помочь?", True),  # words in between
        ("назовите номер договора", "Назовите, пожалуйста, номер вашего договора", True),
        ("спасибо за обращение", "Спасибо за ваше обращение!", True),
        ("компания", "Вас приветствует компания «Ромашка»", True),
        ("компания", "звоню по поводу компании", True),  # case forms share the lemma
        ("до свидания", "До свидания!", True),
        ("чем могу помочь", "могу помочь чем", False),  # order matters
        ("чем могу помочь", "чем я сегодня вообще ещё могу помочь", False),  # too far apart
        ("всего доброго", "Всего доброго, хорошего дня", True),
        ("я оформил заявку", "Я не оформил заявку", False),  # a negation between phrase words turns it round
        ("ничем не могу помочь", "ничем я не могу помочь", True),  # unless the phrase has it too
    ],
)
def test_russian_lemma_matching(phrase, text, expected):
    lem = load_lemmatizer("ru")
    assert bool(PhraseMatcher(lem, [phrase]).find_all(lem.tokens(text))) is expected


@pytest.mark.parametrize(
    "phrase,text,expected",
    [
        ("i don't know", "Well, I do not know that.", True),
        ("i don't know", "I don't know", True),
        ("how can i help", "How can I help you today?", True),
        ("have a nice day", "Have a really nice day!", True),
        ("my name is", "My name's Anna", True),  # contraction
        ("my name is", "The name is Anna", False),
        ("anything else", "Is there anything else?", True),
    ],
)
def test_english_lemma_matching(phrase, text, expected):
    lem = load_lemmatizer("en")
    assert bool(PhraseMatcher(lem, [phrase]).find_all(lem.tokens(text))) is expected


def test_good_russian_call_passes_everything(scorecard):
    t = transcript(
        "ru",
        seg("operator", 0.0, "Здравствуйте! Компания Связьтелеком, меня зовут Анна."),
        seg("customer", 4.0, "У меня не работает интернет."),
        seg("operator", 6.0, "Назовите, пожалуйста, номер договора. Что у вас случилось?"),
        seg("operator", 12.0, "Я оформил заявку, мастер приедет завтра."),
        seg("operator", 20.0, "Могу ли я ещё чем-то помочь? Всего доброго!"),
    )
    results, score = judge_transcript(t, scorecard, load_lemmatizer("ru"))
    assert set(verdicts(results).values()) == {"pass"}
    assert score.value == 100.0
    assert score.flags == ()
    greeting = next(r for r in results if r.id == "greeting")
    assert greeting.evidence is not None and greeting.evidence.text.startswith("Здравствуйте")
    assert greeting.evidence.start == 0.0 and greeting.method == "lemma"


def test_forbidden_phrase_is_critical_and_has_evidence(scorecard):
    t = transcript(
        "ru",
        seg("operator", 0.0, "Здравствуйте, компания Связьтелеком, меня зовут Олег."),
        seg("customer", 3.0, "Почему списали деньги?"),
        seg("operator", 5.0, "Я не знаю, это не ко мне."),
    )
    results, score = judge_transcript(t, scorecard, load_lemmatizer("ru"))
    forbidden = next(r for r in results if r.id == "no_forbidden_phrases")
    assert forbidden.result == "fail"
    assert forbidden.evidence is not None and forbidden.evidence.start >= 5.0
    assert score.value == 0.0
    assert {"forbidden_phrase", "critical_fail", "low_score"} <= set(score.flags)


def test_customer_words_never_count_for_or_against_the_operator(scorecard):
    t = transcript(
        "ru",
        seg("operator", 0.0, "Компания Связьтелеком, меня зовут Анна. Чем могу помочь?"),
        seg("customer", 3.0, "Здравствуйте. Я не знаю, что случилось. До свидания."),
    )
    v = verdicts(judge_transcript(t, scorecard, load_lemmatizer("ru"))[0])
    assert v["greeting"] == "fail"  # only the customer greeted
    assert v["farewell"] == "fail"
    assert v["no_forbidden_phrases"] == "pass"  # "не знаю" was the customer's


def test_unattributed_forbidden_phrase_is_unknown_not_fail(scorecard):
    t = transcript("ru", seg("unknown", 0.0, "Здравствуйте. Я не знаю.", speaker_confidence=0.0))
    results, score = judge_transcript(t, scorecard, load_lemmatizer("ru"))
    v = verdicts(results)
    assert v["no_forbidden_phrases"] == "unknown"
    assert v["greeting"] == "pass"
    greeting = next(r for r in results if r.id == "greeting")
    assert greeting.method == "lemma_unattributed" and greeting.confidence < 0.5
    assert "speakers_unassigned" in score.flags and "unjudged_criteria" in score.flags


def test_low_recognition_confidence_gives_unknown_not_fail(scorecard):
    t = transcript("en", seg("operator", 0.0, "mumble something unclear here", prob=0.2))
    results, score = judge_transcript(t, scorecard, load_lemmatizer("en"))
    v = verdicts(results)
    assert v["greeting"] == "unknown"
    assert v["no_forbidden_phrases"] == "unknown"
    assert score.value is None
    assert "low_asr_confidence" in score.flags


def test_no_operator_speech_is_unknown(scorecard):
    t = transcript("en", seg("customer", 0.0, "Hello is anybody there"))
    assert set(verdicts(judge_transcript(t, scorecard, load_lemmatizer("en"))[0]).values()) == {"unknown"}


def test_scorecard_loads_with_expected_criteria(scorecard):
    assert scorecard.version >= 1
    assert [c.id for c in scorecard.criteria] == [
        "greeting", "introduction", "identification", "needs_discovery", "resolution", "extra_help", "farewell",
        "no_forbidden_phrases",
    ]
    assert all(set(c.phrases) == {"ru", "en"} for c in scorecard.criteria)


@pytest.mark.parametrize(
    "raw,message",
    [
        ({"name": "x", "version": 1}, "missing required field 'criteria'"),
        ({"name": "x", "version": 0, "criteria": []}, "'version' must be a positive integer"),
        (
            {
                "name": "x",
                "version": 1,
                "criteria": [{"id": "a", "phrases": {"ru": ["да"]}}, {"id": "a", "phrases": {"ru": ["да"]}}],
            },
            "duplicate id",
        ),
        (
            {"name": "x", "version": 1, "criteria": [{"id": "a", "kind": "nice", "phrases": {"ru": ["да"]}}]},
            "kind must be",
        ),
        (
            {"name": "x", "version": 1, "criteria": [{"id": "a", "phrases": {"de": ["ja"]}}]},
            "not in the scorecard's languages",
        ),
        ({"name": "x", "version": 1, "criteria": [{"id": "a", "phrases": {"ru": [""]}}]}, "non-empty strings"),
    ],
)
def test_invalid_scorecards_fail_with_a_clear_message(raw, message):
    with pytest.raises(ScorecardError, match=message):
        parse_scorecard(raw, source="test.yaml")


def test_unknown_scorecard_name_lists_the_available_ones():
    with pytest.raises(ScorecardError, match="inbound_support"):
        load_scorecard("no_such_scorecard")


def test_a_phrase_split_by_a_pause_or_the_other_partys_word_still_counts(scorecard):
    t = transcript(
        "ru",
        seg("operator", 0.0, "Здравствуйте, компания Связьтелеком, меня зовут Анна."),
        seg("operator", 10.0, "Есть"),
        seg("customer", 10.4, "Ладно"),
        seg("operator", 11.0, "ли у вас ещё вопросы?"),
    )
    results, _ = judge_transcript(t, scorecard, load_lemmatizer("ru"))
    extra = next(r for r in results if r.id == "extra_help")
    assert extra.result == "pass"
    assert extra.evidence.start == 10.0 and extra.evidence.text.startswith("Есть")


def test_far_apart_segments_are_not_joined(scorecard):
    t = transcript("ru", seg("operator", 0.0, "Чем могу"), seg("operator", 20.0, "помочь"))
    results, _ = judge_transcript(t, scorecard, load_lemmatizer("ru"))
    assert next(r for r in results if r.id == "needs_discovery").result == "fail"
