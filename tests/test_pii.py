"""PII redaction on transcripts as Whisper writes them: digits, spoken numbers, emails, passports."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.privacy.pii import PiiSpan, luhn_valid, redact_segments, redact_text
from pipeline.records import Segment, Word


def seg(speaker: str, start: float, text: str, prob: float = 0.9, step: float = 0.4) -> Segment:
    """A segment whose words are 0.3 s long, one every ``step`` seconds."""
    words = []
    t = start
    for w in text.split():
        words.append(Word(t, t + 0.3, w, prob))
        t += step
    channel = 0 if speaker == "operator" else 1
    return Segment(speaker, start, words[-1].end, text, tuple(words), channel, prob, 1.0)  # type: ignore[arg-type]  # speaker: any test str


def kinds(text: str, language: str) -> list[str]:
    return [kind for kind, _, _ in redact_text(text, language)[1]]


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Мой номер +7 (916) 123-45-67, запишите.", "Мой номер [PHONE], запишите."),
        ("Да, записывайте: 8 916 123 45 67.", "Да, записывайте: [PHONE]."),
        ("Телефон 89161234567, звоните после шести.", "Телефон [PHONE], звоните после шести."),
        ("Рабочий: 8 (495) 765-43-21, добавочный 123.", "Рабочий: [PHONE], добавочный 123."),
        (
            "Восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь.",
            "[PHONE].",
        ),
        (
            "Плюс семь, девятьсот шестнадцать, сто двадцать три, сорок пять, шестьдесят семь.",
            "[PHONE].",
        ),
        ("Записывайте: восемь 916 сто двадцать три 45 67, это мобильный.", "Записывайте: [PHONE], это мобильный."),
        # Whisper puts sentence breaks into slow dictation.
        ("Восемь, девятьсот шестнадцать. Сто двадцать три. Сорок пять, шестьдесят семь.", "[PHONE]."),
    ],
)
def test_russian_phones(text, expected):
    redacted, spans = redact_text(text, "ru")
    assert redacted == expected
    assert [s[0] for s in spans] == ["phone"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("You can call me on +44 20 7946 0958 after five.", "You can call me on [PHONE] after five."),
        ("Sure, it's oh seven nine four six, double one, two three four five six.", "Sure, it's [PHONE]."),
        (
            "My cell is five five five, eight six seven, five three oh nine, area code two one two.",
            "My cell is [PHONE], area code two one two.",
        ),
        ("It's 212-555-0199 extension 42.", "It's [PHONE] extension 42."),
        ("Double oh seven, four six, triple nine, one two three four.", "[PHONE]."),
    ],
)
def test_english_phones(text, expected):
    redacted, spans = redact_text(text, "en")
    assert redacted == expected
    assert [s[0] for s in spans] == ["phone"]


def test_phone_span_offsets_point_at_the_original_text():
    text = "Мой номер +7 (916) 123-45-67, запишите."
    _, spans = redact_text(text, "ru")
    (kind, start, end), = spans
    assert text[start:end] == "+7 (916) 123-45-67"


def test_numbers_said_back_to_back_still_hide_the_phones():
    # 22 digits in one run: too long for any phone, but it is two phones in a row.
    assert redact_text("8 916 123 45 67, 8 495 765 43 21", "ru")[0] == "[PHONE], [PHONE]"
    # A phone and then an order number.
    assert redact_text("Телефон 89161234567 12345", "ru")[0] == "Телефон [PHONE] 12345"
    # A card read twice (after "повторите"): one run of 32 digits, two cards.
    assert redact_text("4276 3800 1234 5679 4276 3800 1234 5679", "ru")[0] == "[CARD] [CARD]"


# ---------------------------------------------------------------- cards


def test_luhn():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("5500000000000004")
    assert not luhn_valid("4276160012345678")


@pytest.mark.parametrize(
    "text,language",
    [
        ("Номер карты 4111 1111 1111 1111, срок до двадцать шестого года.", "ru"),
        ("Карта: 5500-0000-0000-0004", "ru"),
        ("Четыре один один один, один один один один, один один один один, один один один один.", "ru"),
        ("Сорок один одиннадцать, одиннадцать одиннадцать, одиннадцать одиннадцать, одиннадцать одиннадцать.", "ru"),
        ("The card number is four one one one one one one one one one one one one one one one.", "en"),
        ("It's 4111111111111111, expiry 12/26.", "en"),
    ],
)
def test_cards_passing_luhn_are_redacted(text, language):
    redacted, spans = redact_text(text, language)
    assert [s[0] for s in spans if s[0] != "expiry"] == ["card"]
    assert "[CARD]" in redacted and "1111" not in redacted


def test_sixteen_digits_failing_luhn_are_masked_as_an_account():
    # No phone is that long; it may be a card with a misheard digit or an account: masked either way.
    text = "Номер карты 4276 1600 1234 5678"
    assert not luhn_valid("4276160012345678")
    assert redact_text(text, "ru")[0] == "Номер карты [ACCOUNT]"


# ---------------------------------------------------------------- passports


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Паспорт серия 45 12 номер 345678, выдан в 2015 году.", "Паспорт серия [PASSPORT], выдан в 2015 году."),
        ("Серия и номер паспорта: 4512 345678.", "Серия и номер паспорта: [PASSPORT]."),
        ("Мой паспорт 4512345678", "Мой паспорт [PASSPORT]"),
        (
            "Паспорт: серия сорок пять двенадцать, номер триста сорок пять шестьсот семьдесят восемь.",
            "Паспорт: серия [PASSPORT].",
        ),
    ],
)
def test_russian_passports(text, expected):
    redacted, spans = redact_text(text, "ru")
    assert redacted == expected
    assert [s[0] for s in spans] == ["passport"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("My passport number is 123456789.", "My passport number is [PASSPORT]."),
        ("Passport number AB1234567, issued in London.", "Passport number [PASSPORT], issued in London."),
        ("Passport number is five three one two four eight seven six nine.", "Passport number is [PASSPORT]."),
    ],
)
def test_english_passports(text, expected):
    redacted, spans = redact_text(text, "en")
    assert redacted == expected
    assert [s[0] for s in spans] == ["passport"]


def test_ten_digits_after_a_phone_word_are_a_phone_even_near_passport():
    redacted, spans = redact_text("Паспорт я потеряла, запишите телефон 916 123 45 67", "ru")
    assert redacted == "Паспорт я потеряла, запишите телефон [PHONE]"


def test_ten_digits_without_passport_words_are_a_phone():
    assert kinds("Запишите 4512 345678", "ru") == ["phone"]


# ---------------------------------------------------------------- emails


@pytest.mark.parametrize(
    "text,language,expected",
    [
        ("Пишите на ivan.petrov@mail.ru, пожалуйста.", "ru", "Пишите на [EMAIL], пожалуйста."),
        ("Почта ivan собака mail точка ru", "ru", "Почта [EMAIL]"),
        ("Адрес иван точка петров собака яндекс точка ру.", "ru", "Адрес [EMAIL]."),
        ("Почта ivan собака mail.ru", "ru", "Почта [EMAIL]"),
        ("It's john dot smith at gmail dot com.", "en", "It's [EMAIL]."),
        ("My email is jsmith 85 at outlook dot com", "en", "My email is [EMAIL]"),
        ("Send it to support@acme-corp.co.uk please", "en", "Send it to [EMAIL] please"),
    ],
)
def test_emails(text, language, expected):
    assert redact_text(text, language)[0] == expected


def test_letters_spelled_one_by_one_are_part_of_the_email():
    assert redact_text("It's i v a n at gmail dot com", "en")[0] == "It's [EMAIL]"


@pytest.mark.parametrize(
    "text,language",
    [
        ("У меня собака дома, она лает, когда звонят.", "ru"),
        ("I'm at home now, at least until five.", "en"),
        ("We met at the office. Dot the i's.", "en"),
        ("Нажмите на точку в углу экрана.", "ru"),
    ],
)
def test_at_and_dot_words_alone_are_not_an_email(text, language):
    assert redact_text(text, language) == (text, [])


# ---------------------------------------------------------------- ordinary numbers stay


@pytest.mark.parametrize(
    "text,language",
    [
        ("С вас пятьсот рублей.", "ru"),
        ("Сумма к оплате 1500 рублей.", "ru"),
        ("Кредит на сумму 1 500 000 рублей.", "ru"),
        ("Пятнадцать тысяч рублей, двести пятьдесят рублей комиссия.", "ru"),
        ("Заказ 123456 от 12.05.2024, доставка в 14:30.", "ru"),
        ("Номер заказа 7 6 5 4 3 2, оформлен вчера.", "ru"),
        ("Двадцать пятого мая две тысячи двадцать четвертого года в десять тридцать.", "ru"),
        ("Договор 12 от 15.03.2024, платежи 25 000, 30 000 рублей.", "ru"),
        ("Звоните с 9 до 18, 5 дней в неделю.", "ru"),
        ("Мне 35 лет, клиент с 2010 года.", "ru"),
        ("Скидка 10 %, итого 1 234 567 руб.", "ru"),
        ("I paid 1,500 dollars on March 5, 2024 at 10:30.", "en"),
        ("Your order number is 482913, it ships in two to three days.", "en"),
        ("Oh, one more thing: it was twenty nineteen.", "en"),
        ("Balance 12 345 678 dollars", "en"),
    ],
)
def test_ordinary_numbers_are_not_redacted(text, language):
    assert redact_text(text, language) == (text, [])


# ---------------------------------------------------------------- segments


def test_segment_words_collapse_into_one_tag_word_with_the_words_times():
    s = seg(
        "customer",
        10.0,
        "Мой номер восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь спасибо",
        prob=0.8,
    )
    out, spans = redact_segments([s], "ru")
    (red,) = out
    assert red.text == "Мой номер [PHONE] спасибо"
    assert [w.text for w in red.words] == ["Мой", "номер", "[PHONE]", "спасибо"]
    tag = red.words[2]
    # Words 2..11 ("восемь" .. "семь"): from 10.0 + 2 * 0.4 to 10.0 + 11 * 0.4 + 0.3.
    assert tag.start == pytest.approx(10.8) and tag.end == pytest.approx(14.7)
    assert tag.probability == pytest.approx(0.8)
    assert red.words[0] is s.words[0] and red.words[-1] is s.words[-1]
    assert spans == (PiiSpan("phone", tag.start, tag.end, 0),)
    assert spans[0].to_json() == {"kind": "phone", "start": 10.8, "end": 14.7}


def test_tag_word_keeps_punctuation_outside_the_span():
    s = seg("customer", 0.0, "Почта ivan@mail.ru, спасибо")
    (red,), spans = redact_segments([s], "ru")
    assert [w.text for w in red.words] == ["Почта", "[EMAIL],", "спасибо"]
    assert red.text == " ".join(w.text for w in red.words)
    assert spans[0].kind == "email" and spans[0].start == pytest.approx(0.4)


def test_segments_without_pii_are_the_same_objects():
    segs = [
        seg("operator", 0.0, "Здравствуйте, компания Ромашка, чем могу помочь?"),
        seg("customer", 3.0, "Добрый день, заказ 123456 на 1500 рублей не пришёл."),
        seg("operator", 6.0, "Продиктуйте, пожалуйста, номер телефона."),
        seg("customer", 8.0, "8 916 123 45 67"),
    ]
    out, spans = redact_segments(segs, "ru")
    assert all(a is b for a, b in zip(out[:3], segs[:3]))
    assert out[3] is not segs[3] and out[3].text == "[PHONE]"
    assert [s.segment_index for s in spans] == [3]


def test_phone_dictated_across_segments_with_a_pause_is_found():
    # The customer pauses; the pipeline cut the turn in two, and the operator said "так" in between.
    first = seg("customer", 20.0, "Записывайте, восемь девятьсот шестнадцать")
    between = seg("operator", 22.0, "Так")
    second = seg("customer", 23.0, "сто двадцать три сорок пять шестьдесят семь")
    out, spans = redact_segments([first, between, second], "ru")
    assert out[0].text == "Записывайте, [PHONE]"
    assert out[1] is between
    assert out[2].text == "[PHONE]"
    assert [(s.kind, s.segment_index) for s in spans] == [("phone", 0), ("phone", 2)]
    assert spans[0].start == pytest.approx(20.4) and spans[0].end == pytest.approx(21.5)
    assert spans[1].start == pytest.approx(23.0) and spans[1].end == pytest.approx(25.7)


def test_far_apart_segments_are_not_joined():
    # 8 digits, then a minute later 2 more: not one phone.
    a = seg("customer", 0.0, "девятьсот шестнадцать сто двадцать три сорок пять")
    b = seg("customer", 60.0, "шестьдесят семь")
    out, spans = redact_segments([a, b], "ru")
    assert out[0] is a and out[1] is b and spans == ()


def test_segment_without_words_gets_times_by_position():
    text = "Звоните 89161234567"
    s = Segment("customer", 10.0, 12.0, text, (), 1, 0.9, 1.0)
    (red,), (span,) = redact_segments([s], "ru")
    assert red.text == "Звоните [PHONE]" and red.words == ()
    assert span.start == pytest.approx(10.0 + 2.0 * 8 / len(text))
    assert span.end == pytest.approx(12.0)


def test_spans_never_hold_the_personal_data():
    s = seg("customer", 0.0, "Почта ivan собака mail точка ru, телефон 89161234567")
    _, spans = redact_segments([s], "ru")
    dumped = repr(spans) + repr([p.to_json() for p in spans])
    assert "ivan" not in dumped and "8916" not in dumped
    assert [p.kind for p in spans] == ["email", "phone"]


def test_english_call_segments():
    segs = [
        seg("operator", 0.0, "Can I have your phone number please?"),
        seg("customer", 2.0, "Sure, it's oh seven nine four six, double one, two three four five six."),
        seg("operator", 8.0, "And your email?"),
        seg("customer", 10.0, "john dot smith at gmail dot com"),
    ]
    out, spans = redact_segments(segs, "en")
    assert out[0] is segs[0] and out[2] is segs[2]
    assert out[1].text == "Sure, it's [PHONE]."
    assert out[3].text == "[EMAIL]"
    assert [(p.kind, p.segment_index) for p in spans] == [("phone", 1), ("email", 3)]


def test_a_long_call_masks_each_item_once():
    lines = [
        "Здравствуйте, компания Ромашка, меня зовут Анна, чем могу помочь?",
        "Добрый день, у меня проблема с заказом, он не пришёл.",
        "Назовите, пожалуйста, номер вашего заказа.",
        "Номер заказа 123456, оформлял двенадцатого мая.",
        "Вижу ваш заказ, сумма 1500 рублей, доставка ожидалась вчера.",
        "Продиктуйте, пожалуйста, контактный номер телефона.",
        "Восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь.",
        "ivan точка petrov собака mail точка ru",
    ]
    segs, t = [], 0.0
    for k in range(40):
        s = seg("operator" if k % 2 == 0 else "customer", t, lines[k % len(lines)])
        segs.append(s)
        t = s.end + 0.8
    _, spans = redact_segments(segs, "ru")
    # 5 phones, 5 emails and the operator's name 5 times; "Ромашка" after "компания" is no
    # person. Speed is measured in benchmarks/pii.py, not here.
    assert sorted(Counter(s.kind for s in spans).items()) == [("email", 5), ("name", 5), ("phone", 5)]


def test_russian_number_words_cover_case_forms():
    from pipeline.privacy.numbers import _russian_number_forms

    forms = _russian_number_forms()
    assert forms["двухсот"] == 200 and forms["сорока"] == 40 and forms["одну"] == 1 and forms["восьми"] == 8
    assert forms["сто"] == 100 and forms["ста"] == 100 and "тысяча" not in forms
    # A genitive run, as in "номер из восьми девятисот шестнадцати...": still read as digits.
    assert kinds("на номер восьми девятисот шестнадцати ста двадцати трёх сорока пяти шестидесяти семи", "ru") == [
        "phone"
    ]


def test_several_kinds_in_one_turn():
    text = "Телефон 89161234567, почта ivan1985@mail.ru, паспорт 4512 345678."
    redacted, spans = redact_text(text, "ru")
    assert redacted == "Телефон [PHONE], почта [EMAIL], паспорт [PASSPORT]."
    assert [s[0] for s in spans] == ["phone", "email", "passport"]


def test_unknown_language_uses_both_vocabularies():
    assert kinds("восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь", "auto") == ["phone"]
    assert kinds("eight nine one six one two three four five six seven", "auto") == ["phone"]


# ---------------------------------------------------------------- what Whisper really writes (issue #15)


@pytest.mark.parametrize(
    "text,language,expected",
    [
        # Whisper's stray commas before each group
        ("Мой номер 8 ,916 ,123 ,4567, записали?", "ru", "Мой номер [PHONE], записали?"),
        ("Карта 4276 ,3800 ,1234 ,5679, всё.", "ru", "Карта [CARD], всё."),
        # dots between groups, as people write and Whisper sometimes does
        ("Телефон 8.916.123.45.67, и всё", "ru", "Телефон [PHONE], и всё"),
        # card security code and expiry
        ("Срок 12/27, код 321.", "ru", "Срок [EXPIRY], код [CODE]."),
        # "на обороте" as Whisper sometimes writes it, in one word
        ("Да, наобороте 978.", "ru", "Да, наобороте [CODE]."),
        ("срок действия двенадцать двадцать семь, CVV три два один", "ru", "срок действия [EXPIRY], CVV [CODE]"),
        (
            "It expires oh nine twenty six and the security code is 123.",
            "en",
            "It expires [EXPIRY] and the security code is [CODE].",
        ),
        # a 20-digit account
        ("Номер счёта 40817 810 0 9991 0004312.", "ru", "Номер счёта [ACCOUNT]."),
        ("Счёт 40817810099910004312", "ru", "Счёт [ACCOUNT]"),
        # English number words in a Russian call
        ("Карта four one one one, one one one one, one one one one, one one one one.", "ru", "Карта [CARD]."),
        # a Latin name inside a Russian e-mail
        ("Почта ivan петров собака mail точка ru", "ru", "Почта [EMAIL]"),
        ("СНИЛС 123-456-789 01", "ru", "СНИЛС [SNILS]"),
        ("ИНН 7712 3456 7890.", "ru", "ИНН [INN]."),
        ("Дата рождения 12.05.1985.", "ru", "Дата рождения [BIRTH_DATE]."),
        ("Я родился пятого мая восемьдесят пятого года.", "ru", "Я родился [BIRTH_DATE]."),
        ("My date of birth is March 5th, 1985.", "en", "My date of birth is [BIRTH_DATE]."),
    ],
)
def test_numbers_as_recognised_speech_writes_them(text, language, expected):
    assert redact_text(text, language)[0] == expected


@pytest.mark.parametrize(
    "text,language,expected",
    [
        ("Да, это Иван Петрович Сидоров.", "ru", "Да, это [NAME]."),
        ("меня зовут иван петров", "ru", "меня зовут [NAME]"),
        ("Скажите, пожалуйста, ваше ФИО. Петрова Мария Ивановна.", "ru", "Скажите, пожалуйста, ваше ФИО. [NAME]."),
        ("Я живу на улице Ленина, дом пять, квартира двенадцать.", "ru", "Я живу на [ADDRESS]."),
        ("Запишите адрес: Санкт-Петербург, Невский проспект, 28, квартира 4.", "ru", "Запишите адрес: [ADDRESS]."),
        ("Hi, my name is John Smith and I live at 42 Oak Street, Springfield.", "en",
         "Hi, my name is [NAME] and I live at [ADDRESS]."),
    ],
)
def test_names_and_addresses(text, language, expected):
    assert redact_text(text, language)[0] == expected


@pytest.mark.parametrize(
    "text,language",
    [
        ("Здравствуйте, компания Ромашка, чем могу помочь?", "ru"),
        ("Продиктуйте, пожалуйста, номер телефона.", "ru"),
        ("Заказ 123456 на сумму 1500 рублей пришёл 12.05.2024 в 14:30.", "ru"),
        ("Я живу в Москве, тариф Домашний Интернет 500.", "ru"),
        ("Списали 4 276 рублей, а должно быть 3 800 рублей.", "ru"),
        ("Код города 495, а дальше я не помню.", "ru"),
        ("Thank you for calling Harper Valley Bank, how can I help you today?", "en"),
        ("My area code is two one two, I'll give you the rest later.", "en"),
        ("I paid 250 dollars on the fifth of May.", "en"),
    ],
)
def test_ordinary_speech_stays(text, language):
    assert redact_text(text, language) == (text, [])


def test_card_dictated_in_halves_across_turns_is_masked_and_muted():
    # The customer reads half the card, the operator says "повторите, пожалуйста", the
    # customer goes on 6 s later: too far apart for a pause, joined over the short reply.
    first = seg("customer", 10.0, "Номер карты 4276 3800")
    reply = seg("operator", 13.0, "Так, повторите, пожалуйста", step=0.5)
    second = seg("customer", 17.5, "1234 5679")
    out, spans = redact_segments([first, reply, second], "ru")
    assert out[0].text == "Номер карты [CARD]" and out[2].text == "[CARD]"
    assert out[1] is reply
    # The player mutes both halves, and the words hold no digit.
    assert [(s.kind, s.segment_index) for s in spans] == [("card", 0), ("card", 2)]
    assert spans[0].start == pytest.approx(10.8) and spans[1].end == pytest.approx(18.2)
    assert not any(ch.isdigit() for o in out for w in o.words for ch in w.text)


def test_a_long_answer_between_numbers_keeps_them_apart():
    # Two 5-digit numbers with a real exchange between them are not one phone.
    first = seg("customer", 0.0, "Заказ 12345")
    reply = seg("operator", 2.0, "Вижу ваш заказ, он уже передан в доставку, курьер приедет завтра до обеда", step=0.3)
    second = seg("customer", 9.0, "А второй 67890")
    out, spans = redact_segments([first, reply, second], "ru")
    assert spans == () and out[0] is first and out[2] is second


def test_the_operators_masked_name_still_counts_as_an_introduction():
    from models.nlp import load_lemmatizer
    from pipeline.text.patterns import person_name

    for language, text in (("ru", "Здравствуйте, меня зовут Анна, компания Сеть Плюс"),
                           ("en", "Hi, this is Sarah from Harper Valley Bank")):
        masked = redact_text(text, language)[0]
        assert "[NAME]" in masked
        tokens = load_lemmatizer(language).tokens(masked)
        assert any(tokens[b].text == "NAME" for _, b in person_name(tokens, masked, language))


def test_the_centres_own_names_are_never_masked_as_people():
    # spaCy takes "Harper Valley" for a person; masked, the operator's introduction loses its company.
    text = "Hello, Mr. Harper Valley National Day. My name is Kelly."
    assert (
        redact_text(text, "en", keep=("Harper Valley",))[0]
        == "Hello, Mr. Harper Valley National Day. My name is [NAME]."
    )
    segs = [seg("operator", 0.0, text)]
    out, spans = redact_segments(segs, "en", keep=("Harper Valley",))
    assert "Harper Valley" in out[0].text and [s.kind for s in spans] == ["name"]


@pytest.mark.parametrize(
    "text,language,expected",
    [
        # hvb_dev 02e41649: a real caller's answer, missed before
        (
            "Sure. And what is your address? My address is 001",
            "en",
            "Sure. And what is your address? My address is [ADDRESS]",
        ),
        (
            "What is the address on the account? It's 25 kill drive.",
            "en",
            "What is the address on the account? It's [ADDRESS].",
        ),
        ("Мой адрес: Казань, Садовая 5, квартира 3. Спасибо.", "ru", "Мой адрес: [ADDRESS]. Спасибо."),
        (
            "A new checkbook has been sent to your home address.",
            "en",
            "A new checkbook has been sent to your home address.",
        ),
        ("Адрес подключения тот же, что и раньше.", "ru", "Адрес подключения тот же, что и раньше."),
    ],
)
def test_the_answer_after_address(text, language, expected):
    assert redact_text(text, language)[0] == expected


def test_the_other_partys_words_never_run_on_into_a_reply():
    # hvb_dev 02e41649: the caller dictates an address in pieces; the operator's "Okay," between
    # them was masked as part of it, read after the caller's words as context.
    segs = [
        seg("operator", 0.0, "And what is your address?"),
        seg("customer", 2.0, "My address is 001 main, that's MAIN,"),
        seg("operator", 5.5, "Okay,"),
        seg("customer", 6.5, "Street, and that's Forest Ranch, California."),
    ]
    out, spans = redact_segments(segs, "en")
    assert out[2] is segs[2]
    assert out[1].text == "My address is [ADDRESS]" and "California" not in out[3].text
