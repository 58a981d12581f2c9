"""How a good reviewer judges: windows, order, fuzzy and semantic matching, exceptions, escalation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from models.embeddings import load_sentence_encoder
from models.nlp import load_lemmatizer
from pipeline.judging.scorecard import ScorecardError, load_scorecard, parse_scorecard
from pipeline.judging.scoring import ScorecardJudge
from pipeline.text.matching import FuzzyMatcher, sentence_units
from tests.test_scoring import seg, transcript


@pytest.fixture(scope="module")
def scorecard():
    return load_scorecard("inbound_support")


@pytest.fixture(scope="module")
def judge(scorecard):
    return ScorecardJudge(
        scorecard, {"ru": load_lemmatizer("ru"), "en": load_lemmatizer("en")}, load_sentence_encoder()
    )


@pytest.fixture(scope="module")
def lexical_judge(scorecard):
    """Lemmas and fuzzy only: shows what the semantic method adds."""
    return ScorecardJudge(scorecard, {"ru": load_lemmatizer("ru"), "en": load_lemmatizer("en")}, None)


def result(judgement, cid):
    return next(r for r in judgement.criteria if r.id == cid)


def test_greeting_only_counts_in_the_operators_first_seconds(judge):
    late = judge.judge(transcript(
        "ru",
        seg("operator", 0.0, "Компания Связьтелеком, меня зовут Анна."),
        seg("customer", 3.0, "У меня не работает интернет."),
        seg("operator", 40.0, "Добрый день, сейчас проверю."),
    ))
    greeting = result(late, "greeting")
    assert greeting.result == "fail"
    assert "outside its window" in greeting.reason and greeting.evidence.start == 40.0


def test_farewell_in_the_middle_of_the_call_does_not_count(judge):
    j = judge.judge(transcript(
        "en",
        seg("operator", 0.0, "Hello, my name is Anna. Goodbye to the old tariff then."),
        seg("customer", 5.0, "Right."),
        seg("operator", 8.0, "So your new plan starts today."),
        seg("customer", 12.0, "Okay."),
        seg("operator", 14.0, "Your account number please."),
        seg("customer", 18.0, "It is one two three."),
        seg("operator", 22.0, "Thanks. That is all set."),
        seg("customer", 26.0, "Fine."),
        seg("operator", 30.0, "The invoice follows by email."),
    ))
    assert result(j, "farewell").result == "fail"


@pytest.mark.parametrize("language, opening", [
    ("ru", "Добрый день! Служба поддержки компании Курьер Сервис, меня зовут Елена."),
    ("en", "Thank you for calling Rapid Post, my name is Emma."),
])
def test_the_greeting_of_a_short_call_is_not_its_farewell(judge, language, opening):
    # Three operator turns: the last-turns window reaches the opening, and "доброго дня"
    # lemmatises to the greeting's "добрый день" ("thanks for calling" is in both lists).
    middle = {"ru": ("Посылка не пришла.", "Заказ задержался, курьер привезёт его завтра.", "Хорошо.",
                     "Да, я перенёс доставку на вечер."),
              "en": ("My parcel never came.", "It was delayed, the courier brings it tomorrow.", "Okay.",
                     "Yes, I moved the delivery to the evening.")}[language]
    j = judge.judge(transcript(
        language,
        seg("operator", 0.0, opening),
        seg("customer", 5.0, middle[0]),
        seg("operator", 9.0, middle[1]),
        seg("customer", 14.0, middle[2]),
        seg("operator", 16.0, middle[3]),
    ))
    assert result(j, "greeting").result == "pass"
    farewell = result(j, "farewell")
    assert farewell.result == "fail", farewell


def test_resolution_must_follow_needs_discovery(judge):
    t = transcript(
        "ru",
        seg("operator", 0.0, "Здравствуйте, меня зовут Анна. Деньги вернутся в течение трёх дней."),
        seg("customer", 6.0, "Какие деньги? У меня интернет не работает."),
        seg("operator", 10.0, "Что у вас случилось?"),
        seg("customer", 14.0, "Нет связи."),
        seg("operator", 18.0, "Понятно. До свидания."),
    )
    r = result(judge.judge(t), "resolution")
    assert r.result == "fail" and "before needs_discovery" in r.reason


def test_fuzzy_matching_catches_recognition_errors_but_not_substrings():
    m = FuzzyMatcher(["до свидания", "здравствуйте", "hell"], threshold=88)
    ru = load_lemmatizer("ru")
    assert [x.phrase for x in m.find_all(ru.tokens("Здраствуйте, компания Ромашка"))] == ["здравствуйте"]
    assert [x.phrase for x in m.find_all(ru.tokens("Всего доброго, до свиданья"))] == ["до свидания"]
    en = load_lemmatizer("en")
    assert m.find_all(en.tokens("Hello there")) == []  # "hell" is too short for fuzzy, and whole words only
    # a Russian prefix is meaning, an English first sound is a recognition error
    assert FuzzyMatcher(["карта разблокирована"]).find_all(ru.tokens("Карта заблокирована")) == []
    assert FuzzyMatcher(["я оформил заявку"]).find_all(ru.tokens("я не оформил заявку")) == []
    assert [x.phrase for x in FuzzyMatcher(["account holder"]).find_all(en.tokens("and to the account folder"))] == [
        "account holder"
    ]


def test_fuzzy_decides_when_lemmas_miss(lexical_judge):
    j = lexical_judge.judge(transcript("ru", seg("operator", 0.0, "Здраствуйте, компания Ромашка.")))
    greeting = result(j, "greeting")
    assert greeting.result == "pass" and greeting.method == "fuzzy"
    assert greeting.evidence.text.lower().startswith("здраст")


def test_semantic_matching_accepts_paraphrases_the_scorecard_does_not_list(judge, lexical_judge):
    t = transcript(
        "ru",
        seg("operator", 0.0, "Алло, компания Ромашка, меня зовут Анна."),
        seg("customer", 3.0, "У меня списали лишние деньги."),
        seg("operator", 6.0, "Понятно. Расскажите, что у вас стряслось."),
    )
    assert result(lexical_judge.judge(t), "needs_discovery").result == "fail"
    r = result(judge.judge(t), "needs_discovery")
    assert r.result == "pass" and r.method == "semantic"
    assert "paraphrase of" in r.reason and r.evidence.start >= 6.0


def test_semantic_matching_does_not_pass_unrelated_speech(judge):
    t = transcript(
        "ru",
        seg("operator", 0.0, "Компания Ромашка, меня зовут Анна."),
        seg("customer", 3.0, "У меня списали лишние деньги."),
        seg("operator", 6.0, "Назовите номер договора."),
        seg("operator", 9.0, "Списание было за подписку на кино."),
    )
    j = judge.judge(t)
    assert result(j, "extra_help").result == "fail"
    assert result(j, "farewell").result == "fail"


def test_forbidden_phrase_excused_when_the_operator_goes_on_to_find_out(judge):
    excused = judge.judge(
        transcript("ru", seg("operator", 0.0, "Здравствуйте. Я не знаю точной даты, но сейчас уточню."))
    )
    assert result(excused, "no_forbidden_phrases").result == "pass"
    refused = judge.judge(transcript("ru", seg("operator", 0.0, "Здравствуйте. Я не знаю. Звоните в другое место.")))
    r = result(refused, "no_forbidden_phrases")
    assert r.result == "fail" and r.reason.startswith("dismissive")
    assert "forbidden_phrase" in refused.score.flags


@pytest.mark.parametrize(
    "language,text,category",
    [
        ("ru", "Соедините меня с вашим руководителем немедленно!", "manager"),
        ("ru", "Я буду жаловаться в Роспотребнадзор.", "regulator"),
        ("ru", "Я напишу жалобу на вашу компанию.", "complaint"),
        ("ru", "Всё, я хочу расторгнуть договор.", "cancellation"),
        ("en", "I want to speak to your manager right now.", "manager"),
        ("en", "My lawyer will hear about this.", "legal"),
        ("en", "I'm going to cancel my subscription.", "cancellation"),
    ],
)
def test_escalation_is_detected_on_the_customers_side(judge, language, text, category):
    j = judge.judge(transcript(language, seg("operator", 0.0, "Hello" if language == "en" else "Здравствуйте"),
                               seg("customer", 2.0, text)))
    assert "escalation" in j.score.flags
    assert category in {d.category for d in j.detections}
    d = next(d for d in j.detections if d.category == category)
    assert d.evidence.start >= 2.0 and d.kind == "escalation"


def test_no_escalation_in_a_calm_call_or_from_the_operator(judge):
    calm = judge.judge(transcript("ru", seg("operator", 0.0, "Здравствуйте, я передам вопрос руководителю отдела."),
                                  seg("customer", 4.0, "Хорошо, спасибо, жду.")))
    assert calm.detections == () and "escalation" not in calm.score.flags


def test_text_in_a_language_the_scorecard_lacks_is_not_applicable(judge):
    j = judge.judge(transcript("de", seg("operator", 0.0, "Guten Tag")))
    assert {r.result for r in j.criteria} == {"na"}
    assert "unsupported_language" in j.score.flags and j.score.value is None


def test_empty_and_one_sided_transcripts(judge):
    empty = judge.judge(transcript("ru"))
    assert {r.result for r in empty.criteria} == {"unknown"} and "no_speech" in empty.score.flags
    customer_only = judge.judge(transcript("ru", seg("customer", 0.0, "Алло? Алло, меня слышно?")))
    assert {r.result for r in customer_only.criteria} == {"unknown"}


def test_sentence_units_cover_sentences_and_clauses():
    text = "Здравствуйте, компания Ромашка, меня зовут Анна. Чем могу помочь?"
    units = [text[a:b] for a, b in sentence_units(text)]
    assert "Чем могу помочь" in units and "меня зовут Анна" in units
    assert units[0].startswith("Здравствуйте") and units[0].endswith("Анна")


@pytest.mark.parametrize(
    "raw,message",
    [
        (
            {"name": "x", "version": 1, "criteria": [{"id": "a", "phrses": {"ru": ["да"]}}]},
            "unknown key 'phrses' .*did you mean 'phrases'",
        ),
        (
            {
                "name": "x",
                "version": 1,
                "criteria": [{"id": "a", "phrases": {"ru": ["да"]}, "window": {"first_sec": 5}}],
            },
            "did you mean 'first_s'",
        ),
        (
            {"name": "x", "version": 1, "criteria": [{"id": "a", "phrases": {"ru": ["да"]}, "after": ["b"]}]},
            "unknown criterion 'b'",
        ),
        (
            {"name": "x", "version": 1, "criteria": [{"id": "a", "phrases": {"ru": ["да"]}, "methods": ["magic"]}]},
            "methods must be",
        ),
        (
            {"name": "x", "version": 1, "criteria": [{"id": "a", "phrases": {"ru": ["да"]}, "semantic_threshold": 3}]},
            "semantic_threshold",
        ),
        (
            {"name": "x", "version": 1, "criteria": [{"id": "a", "phrases": {"ru": ["да"]}}], "forbiden": {}},
            "did you mean 'forbidden'",
        ),
        (
            {
                "name": "x",
                "version": 1,
                "criteria": [{"id": "a", "phrases": {"ru": ["да"]}}],
                "forbidden": {"categories": {"rude": {"phrase": {}}}},
            },
            "unknown key 'phrase'",
        ),
        (
            {"name": "x", "version": 1, "criteria": [{"id": "a", "phrases": {"ru": ["да"]}, "weight": "ten"}]},
            "weight must be a number",
        ),
    ],
)
def test_scorecard_typos_fail_with_a_clear_message(raw, message):
    with pytest.raises(ScorecardError, match=message):
        parse_scorecard(raw, source="test.yaml")


def test_older_scorecard_versions_load_by_label():
    old = load_scorecard("inbound_support@1")
    assert old.version == 1 and old.label == "inbound_support@1"
    assert "resolution" not in [c.id for c in old.criteria]
    with pytest.raises(ScorecardError, match="not found"):
        load_scorecard("inbound_support@99")


def test_criteria_that_depend_on_each_other_in_a_circle_are_refused():
    raw = {"name": "x", "version": 1, "criteria": [
        {"id": "a", "phrases": {"ru": ["да"]}, "after": ["b"]},
        {"id": "b", "phrases": {"ru": ["нет"]}, "not_with": ["a"]},
    ]}
    with pytest.raises(ScorecardError, match="circle: a -> b -> a"):
        parse_scorecard(raw, source="test.yaml")


def test_introduction_needs_both_the_name_and_the_company(lexical_judge):
    both = lexical_judge.judge(
        transcript("ru", seg("operator", 0.0, "Добрый день! Городской телеком, на линии Павел."))
    )
    r = result(both, "introduction")
    assert r.result == "pass" and r.reason == "said: на линии; said: Городской Телеком"
    pattern = lexical_judge.judge(transcript("ru", seg("operator", 0.0, "Городской телеком, Павел, здравствуйте.")))
    assert result(pattern, "introduction").result == "pass"
    assert "person name: Городской телеком, Павел" in result(pattern, "introduction").reason
    name_only = lexical_judge.judge(transcript("en", seg("operator", 0.0, "Hey there! I'm Sophie. I'm listening.")))
    r = result(name_only, "introduction")
    assert r.result == "fail" and "company missing" in r.reason


@pytest.mark.parametrize(
    "language,line,expected",
    [
        ("ru", "Я снял блокировку, картой можно пользоваться.", "pass"),
        ("ru", "Курьер приедет завтра с двенадцати до трёх.", "pass"),
        ("ru", "Я не снял блокировку.", "fail"),  # negated
        ("ru", "Я вас понял.", "fail"),  # understanding is not an action
        ("ru", "Карта заблокирована службой безопасности.", "fail"),  # a state, not a solution
        ("en", "I've moved you to the Basic plan from Monday.", "pass"),
        ("en", "It will arrive the day after tomorrow.", "pass"),
        ("en", "We'll try to look at it.", "fail"),
    ],
)
def test_resolution_by_what_the_operator_did(lexical_judge, language, line, expected):
    ask = "Что у вас случилось?" if language == "ru" else "What seems to be the problem?"
    j = lexical_judge.judge(transcript(language, seg("operator", 0.0, ask), seg("customer", 3.0, "..."),
                                       seg("operator", 6.0, line)))
    assert result(j, "resolution").result == expected, result(j, "resolution").reason


def test_a_question_about_the_problem_is_needs_discovery_but_identification_is_not(lexical_judge):
    diag = lexical_judge.judge(
        transcript(
            "ru",
            seg("operator", 0.0, "Здравствуйте."),
            seg("customer", 2.0, "Карта не работает."),
            seg("operator", 5.0, "Вы сегодня платили картой за границей?"),
        )
    )
    r = result(diag, "needs_discovery")
    assert r.result == "pass" and r.method == "pattern" and r.evidence.start >= 5.0
    ident = lexical_judge.judge(
        transcript(
            "ru",
            seg("operator", 0.0, "Здравствуйте."),
            seg("customer", 2.0, "Карта не работает."),
            seg("operator", 5.0, "Назовите, пожалуйста, номер договора?"),
        )
    )
    assert result(ident, "identification").result == "pass"
    assert result(ident, "needs_discovery").result == "fail"  # the same question is identification's evidence


def test_escalation_phrases_under_negation_do_not_count(judge):
    j = judge.judge(transcript("en", seg("operator", 0.0, "Hello"),
                               seg("customer", 2.0, "I'm not looking to complain, I just want it sorted.")))
    assert j.detections == ()


@pytest.mark.parametrize(
    "line",
    [
        "You've reached Orbit Mobile, Megan on the line.",
        "Plus Mobile customer care, Rachel speaking.",
        "Good morning! It's Natalie from the Crown Savings help desk.",
        "Hello hello! Rachel at Crown Savings support.",
    ],
)
def test_english_introductions_name_the_person_and_the_place_in_either_order(lexical_judge, line):
    r = result(lexical_judge.judge(transcript("en", seg("operator", 0.0, line))), "introduction")
    assert r.result == "pass", r.reason


def test_a_capitalised_word_alone_is_neither_a_name_nor_a_company(lexical_judge):
    r = result(
        lexical_judge.judge(transcript("en", seg("operator", 0.0, "Hello? Is anyone there? Go on."))), "introduction"
    )
    assert r.result == "fail" and "name, company missing" in r.reason


def test_a_russian_first_name_counts_in_the_nominative_only():
    from pipeline.text.patterns import person_name

    ru = load_lemmatizer("ru")
    text = "Это Роман, служба поддержки."
    assert list(person_name(ru.tokens(text), text, "ru"))  # "Роман" also reads as a surname
    text = "Это заявка от Петров."  # "Петров" is a first name only as a plural genitive ("пять Петров")
    assert not list(person_name(ru.tokens(text), text, "ru"))


@pytest.mark.parametrize(
    "language,text",
    [
        ("ru", "Жалобу писать не буду, просто помогите."),  # the negation comes after the phrase
        ("ru", "Записывайте: Волков Дмитрий, счёт на мне."),  # resembles "закройте мой счёт", asks for nothing
        ("en", "I'm not going to sue anyone, I just need the card."),
    ],
)
def test_no_escalation_when_the_customer_says_they_will_not(judge, language, text):
    j = judge.judge(transcript(language, seg("operator", 0.0, "Hello" if language == "en" else "Здравствуйте"),
                               seg("customer", 2.0, text)))
    assert j.detections == (), j.detections


def test_escalation_after_a_negated_clause_still_counts(judge):
    j = judge.judge(transcript("ru", seg("operator", 0.0, "Здравствуйте"),
                               seg("customer", 2.0, "Я не шучу, дайте мне вашего начальника.")))
    assert {d.category for d in j.detections} == {"manager"}


@pytest.mark.parametrize(
    "language,line,expected",
    [
        # Recognition on a compressed or noisy line drops the "?": the words still ask.
        ("ru", "Скажите, какую сумму с вас списали.", "pass"),
        ("ru", "А когда это началось.", "pass"),
        ("ru", "Можете ли вы перезагрузить роутер.", "pass"),
        ("ru", "Когда мастер придёт, он позвонит.", "fail"),  # a subordinate clause, not a question
        ("ru", "Что касается тарифа, всё в порядке.", "fail"),
        ("ru", "Я думаю, что это ошибка.", "fail"),
        ("ru", "Карта заблокирована. Почему я не знаю.", "fail"),  # the operator cannot answer, does not ask
        ("en", "So when did it start.", "pass"),
        ("en", "Tell me, which card did you use.", "pass"),
        ("en", "What I'll do is reset it.", "fail"),  # says, does not ask
    ],
)
def test_a_question_counts_without_its_question_mark(lexical_judge, language, line, expected):
    hello = "Здравствуйте." if language == "ru" else "Hello."
    j = lexical_judge.judge(transcript(language, seg("operator", 0.0, hello), seg("customer", 2.0, "..."),
                                       seg("operator", 5.0, line)))
    r = result(j, "needs_discovery")
    assert r.result == expected, r.reason
    if expected == "pass":
        assert r.method == "pattern"


@pytest.mark.parametrize("language,intro,ask", [
    ("en", "Hello, this is Harbor Bank. My name is Linda.", "May I have your name, please?"),
    ("ru", "Здравствуйте, Северный Банк. Меня зовут Анна.", "Как я могу к вам обращаться?"),
])
def test_the_operator_naming_themselves_is_not_asking_the_customers_name(judge, language, intro, ask):
    reply = "I'd like to book an appointment." if language == "en" else "Хочу записаться."
    alone = judge.judge(transcript(language, seg("operator", 0.0, intro), seg("customer", 4.0, reply)))
    r = result(alone, "identification")
    assert r.result == "fail", r.reason  # before: a paraphrase of "may I have your name" (0.67)
    asked = judge.judge(transcript(language, seg("operator", 0.0, intro), seg("customer", 4.0, reply),
                                   seg("operator", 8.0, ask)))
    assert result(asked, "identification").result == "pass"


def test_a_phrase_heard_with_low_confidence_makes_the_verdict_unknown_not_fail(lexical_judge):
    # A GSM-coded line: "Harbor Bank." recognised with probability 0.3, below what counts as said.
    opening = seg("operator", 1.0, "Hello, this is Harbor Bank. My name is James.")
    unsure = tuple(replace(w, probability=0.3) if w.text in {"Harbor", "Bank."} else w for w in opening.words)
    r = result(lexical_judge.judge(transcript("en", replace(opening, words=unsure))), "introduction")
    assert r.result == "unknown", r.reason
    assert r.reason.startswith('maybe said: "') and "at 00:02 recognised with low confidence (0.30)" in r.reason
    clear = lexical_judge.judge(transcript("en", seg("operator", 1.0, "Hello, this is James speaking.")))
    assert result(clear, "introduction").result == "fail"  # nothing like a company said: still a fail


def test_brands_count_as_the_company_and_must_be_listed_to_be_used():
    raw = {"name": "x", "version": 1, "languages": ["en"], "brands": {"en": ["Harper Valley National Bank"]},
           "criteria": [{"id": "intro", "parts": {"company": {"brands": True, "phrases": {"en": ["welcome to"]}}}}]}
    card = parse_scorecard(raw, source="test.yaml")
    assert card.criteria[0].phrase_sets[0].phrases["en"] == ("welcome to", "Harper Valley National Bank")
    assert card.brand_hint("en") == "Harper Valley National Bank" and card.brand_hint("ru") == ""
    del raw["brands"]
    with pytest.raises(ScorecardError, match="brands: true, but the scorecard lists no brands"):
        parse_scorecard(raw, source="test.yaml")
    raw["criteria"][0]["parts"]["company"]["brands"] = "yes"
    with pytest.raises(ScorecardError, match="brands must be true or false"):
        parse_scorecard(raw, source="test.yaml")


def test_recognition_is_told_a_centres_own_name_when_asked_but_not_a_long_list():
    from pipeline.analyze import MAX_HINT_BRANDS, AnalyzeOptions, asr_hint

    raw = {"name": "x", "version": 1, "languages": ["ru", "en"],
           "brands": {"ru": ["Городской Телеком"], "en": [f"Brand {i}" for i in range(MAX_HINT_BRANDS + 1)]},
           "criteria": [{"id": "intro", "parts": {"company": {"brands": True}}}]}
    card = parse_scorecard(raw, source="test.yaml")
    hinted = AnalyzeOptions(brand_hint=True)
    assert asr_hint(card, "ru", hinted) == "Городской Телеком"
    assert asr_hint(card, "en", hinted) == ""  # a list this long slowed Whisper base 4-7x
    assert asr_hint(card, "ru", AnalyzeOptions()) == ""  # off unless asked: it can swallow an opening
    assert asr_hint(load_scorecard("inbound_support"), "ru", hinted) == ""  # the samples' 12 brands


@pytest.mark.parametrize("criterion,opening,late,reason", [
    # Babble over the opening: "Hello" recognised at probability 0.2; a clear "Hello" at 20 s is past
    # the greeting's first 15 s. Before, that one decided: "said outside its window", a fail.
    ("greeting", seg("operator", 0.5, "Hello,", prob=0.2), seg("operator", 20.0, "Hello again."),
     'maybe said: "Hello"'),
    # Noise over the opening: every word of the operator's first seconds doubtful; "thank you for
    # calling" at the end names no company in the window either way, but it must not decide.
    ("introduction", seg("operator", 1.0, "Hello, this is Hapa Halina, I'm a village girl.", prob=0.3),
     seg("operator", 40.0, "Thank you for calling, have a great day."), "low recognition confidence"),
])
def test_doubt_inside_a_window_outweighs_a_clear_phrase_outside_it(lexical_judge, criterion, opening, late, reason):
    j = lexical_judge.judge(
        transcript("en", opening, seg("customer", 7.0, "Hi, I would like to book an appointment."), late)
    )
    r = result(j, criterion)
    assert r.result == "unknown" and r.reason.startswith(reason), r.reason
