#!/usr/bin/env python3
"""Generate the labelled QA development set (issue #4): calls with truth by construction.

Every call is assembled from chosen stages, and its truth says what the generator put
in, never what the product's judge thinks: per operator criterion (greeting,
introduction, identification, needs_discovery, resolution, extra_help, farewell,
no_forbidden_phrases) "pass" or "fail", whether the customer escalates, and the
customer's sentiment at the start and at the end. The rules that decide a label are
written into every truth file (`rules`) and into index.json.

The wording is varied on purpose: several paraphrases per stage and language, most of
them outside the obvious scorecard phrases ("что у вас стряслось?", "может, ещё
что-нибудь подсказать?", "счастливо", "take care"), and hard negatives that must NOT
count: the customer greets and the operator does not (the speaker matters), "добрый
день" said only as a parting phrase or "Hello? Are you still with me?" after a hold
(the position matters), a name without the company, a non-answer or a vague promise
instead of a solution, "всё понятно?" instead of an offer of more help, "ничего не
могу обещать" (not forbidden), "я уже не знаю, что делать" said by the customer,
a manager mentioned in passing (no escalation). Calls whose label is a judgement
call are marked `ambiguous` so that strict figures can leave them out.

Synthesis, voices and the telephone channel are those of samples/make_samples.py
(festival festvox-ru, espeak-ng, 8 kHz FLAC; stereo: operator LEFT, customer RIGHT),
reached through benchmarks/datasets/make_synthetic_set.py (voice variation per call, companies,
the duration estimate). Its build_call also writes the samples' product-judged
fields; this script replaces the truth file with its own.

Three sentence banks fill the same places: "dev" (TEXT, the default; the scorecard and the
judge were tuned looking at calls built from it, so figures on it are optimistic),
"heldout" (HELDOUT_TEXT: fresh wording, operator names and companies, with the same stages,
failure modes, hard negatives, moods, rules and truth schema, and its own random streams) and
"unseen" (UNSEEN_TEXT in qa_bank_unseen.py: a third such bank, written without seeing the
scorecard, repeating neither of the others). `--bank heldout` / `--bank unseen` write to
benchmarks/data/qa_heldout/ / qa_unseen/ unless --out is given.

Default: 60 calls (30 ru + 30 en, half stereo, half mono, 20-60 s each) in
benchmarks/data/qa_dev/, with NAME.flac, NAME.truth.json and index.json.

    .venv/bin/python benchmarks/datasets/make_qa_devset.py [--bank dev|heldout|unseen] [--out DIR] [--count N]
        [--seed S] [--only-language ru|en] [--jobs J]
    .venv/bin/python benchmarks/datasets/make_qa_devset.py --check [--bank B | --out DIR]   # validate the truth files
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

BENCHMARKS = Path(__file__).resolve().parents[1]
REPO = BENCHMARKS.parent
if str(REPO) not in sys.path:  # run as a file: the project's packages and the benchmarks
    sys.path.insert(0, str(REPO))

# The synthetic set's voices, companies and estimate (it loads make_samples), and the third, unseen sentence bank.
from benchmarks.datasets import make_synthetic_set as synthetic
from benchmarks.datasets.qa_bank_unseen import UNSEEN_TEXT

ms = synthetic.ms
OP, CU, P, F = ms.OP, ms.CU, ms.P, ms.F

SCHEMA = 1
CRITERIA = ("greeting", "introduction", "identification", "needs_discovery", "resolution",
            "extra_help", "farewell", "no_forbidden_phrases")
SENTIMENTS = ("negative", "neutral", "positive")
ESCALATION_KINDS = ("manager", "complaint", "regulator", "lawyer", "cancellation")
TOPICS = synthetic.TOPICS
GREETING_WINDOW_S = 15.0      # a greeting counts only in the operator's opening, within this
INTRODUCTION_WINDOW_S = 20.0
DURATION = synthetic.DURATION  # 20-60 s
TARGET_S = (25.0, 52.0)        # estimated length the dialogue is fitted to
LONGEST_S = 56.0               # beyond this estimate even the label-keeping decoys go
NAME_RE = re.compile(r"^(ru|en)_(stereo|mono)_\d{2}_[a-z_]+\.(flac|truth\.json)$")

# How a criterion fails. "absent": the stage is simply missing; the others are hard
# negatives: something close to the stage is said that must not count.
FAIL_MODES: dict[str, tuple[str, ...]] = {
    "greeting": ("absent", "customer_only", "late"),
    "introduction": ("absent", "name_only", "company_only"),
    "identification": ("absent", "customer_volunteers"),
    "needs_discovery": ("absent", "invitation_only"),
    "resolution": ("non_answer", "vague_promise"),
    "extra_help": ("absent", "check_understanding", "customer_asks_more"),
    "farewell": ("absent", "customer_only"),
    "no_forbidden_phrases": ("forbidden_phrase",),
}
# Hard negatives that leave every label as it is (the criterion they tempt stays "pass",
# escalation stays false).
PASS_DECOYS = {
    "customer_says_dont_know": "no_forbidden_phrases",
    "cant_promise": "no_forbidden_phrases",
    "manager_mention": "escalation",
    "negated_complaint": "escalation",
    "operator_offers_supervisor": "escalation",
}
# Judgement calls: the truth records the decision below, the call is marked ambiguous.
AMBIGUITIES = {
    "dont_know_but_will_check": "no_forbidden_phrases",
    "callback_without_time": "resolution",
}
AMBIGUITY_DECISIONS = {
    "dont_know_but_will_check":
        "Decision: 'точно я не знаю, но сейчас уточню' / 'I don't know exactly, but I'll find out right now' "
        "(followed by the operator checking) is NOT forbidden: the operator commits to finding out; such calls "
        "are marked ambiguous.",
    "callback_without_time":
        "Decision: a callback promised without a time ('я передам вопрос специалистам, вам перезвонят') is a "
        "next step, so resolution passes; such calls are marked ambiguous.",
}

RULES = [
    "Speaker: the operator criteria count only the operator's speech; a phrase said by the customer "
    "never passes or fails them. escalation and the sentiments count only the customer's speech.",
    "greeting: pass when the operator greets in the opening, i.e. in operator turns that start within "
    "the first 15 s and before the customer has said why they call. A greeting word said later does not "
    "count ('добрый день' as a parting phrase at the end, 'Hello? Are you still with me?' after a hold).",
    "introduction: pass when the operator gives both their own name and the company (or its support "
    "line) in the opening, within the first 20 s. Name only or company only: fail.",
    "identification: pass when the operator asks for data that identifies the customer: name, "
    "contract/account/order number, phone number, date of birth. Data the customer volunteers unasked "
    "does not count.",
    "needs_discovery: pass when the operator asks what the problem is or asks a clarifying question "
    "about it. A bare invitation to speak ('слушаю вас', 'говорите', 'go ahead', 'I'm listening') is "
    "not needs discovery.",
    "resolution: pass when the operator states a concrete solution or next step: what was done or what "
    "will happen, and when or how ('мастер приедет завтра с десяти до двенадцати', 'деньги вернутся на "
    "карту в течение трёх рабочих дней', 'I've reset your router remotely, it should work now'). A "
    "non-answer ('информации пока нет', 'these things happen') or a vague promise without an action or "
    "a time ('мы постараемся разобраться', 'we'll look into it at some point') fails.",
    "extra_help: pass when the operator offers further help after the solution and before the "
    "farewell ('может, ещё что-нибудь подсказать?'). Checking understanding ('всё понятно?', 'does that "
    "make sense?') does not count, nor does the customer raising another question unprompted.",
    "farewell: pass when the operator's last turn contains a parting phrase (a goodbye or a wish: "
    "'счастливо', 'удачи вам', 'take care'). The customer saying goodbye while the operator answers only "
    "'ага' / 'yep', or a flat last line ('ожидайте', 'right then'), fails.",
    "no_forbidden_phrases: fail when the operator says a dismissive or rude phrase: 'не знаю' and its "
    "paraphrases ('понятия не имею', 'no idea'), 'это не ко мне' ('это вообще не к нам', 'not our "
    "department'), 'ничем помочь не могу' ('there's nothing I can do for you'), 'разбирайтесь сами' "
    "('deal with it yourself'), rudeness ('не надо на меня кричать', 'I don't have time for this'). "
    "Not forbidden: 'ничего не могу обещать' / 'I can't promise anything'; the same words said by the "
    "customer ('я уже не знаю, что делать').",
    *AMBIGUITY_DECISIONS.values(),
    "escalation: true when the customer asks for a manager or supervisor, threatens a complaint, a "
    "regulator (Роспотребнадзор, Центробанк, ombudsman), a lawyer or court, or cancels the contract or "
    "account. Not escalation: a manager mentioned in passing ('ваш менеджер говорил...'), the customer "
    "saying they will not complain, the operator offering a supervisor that the customer declines.",
    "customer_start_sentiment / customer_end_sentiment: the customer's speech in the first / last third "
    "of the call. positive: thanks with satisfaction ('отлично, вы меня очень выручили'); negative: "
    "anger, complaints, dissatisfaction; neutral: plain statements and acknowledgements ('понятно', "
    "'okay') with neither thanks nor complaint.",
    "ambiguous: true when a label rests on one of the decisions above that a reviewer could take either "
    "way; exclude these calls for strict figures.",
]

# ---------------------------------------------------------------------------
# Text. Numbers are written as words for the TTS. Russian lines are in the masculine
# (both festival voices are male); {company}, {name}, {acc} (account noun) and
# {acc_gen} (its genitive) are filled per call.
# ---------------------------------------------------------------------------
ByMood = dict[str, list[str]]

TEXT: dict[str, dict] = {
    "ru": {
        "operators": ["Андрей", "Дмитрий", "Сергей", "Алексей", "Павел", "Николай"],
        "greeting": ["Приветствую!", "Доброго времени суток!", "Алло, слушаю вас, добрый день!", "Здравствуйте!",
                     "Доброго вам утра!", "Добрый вечер!", "Здрасьте!", "День добрый!"],
        "intro": ["Компания {company}, меня зовут {name}.", "Вы позвонили в {company}, это {name}.",
                  "{company}, оператор {name}.", "С вами говорит {name}, {company}.",
                  "Это {company}, на линии {name}.", "Вас консультирует {name}, компания {company}."],
        "intro_name_only": ["С вами говорит {name}.", "Меня зовут {name}.", "Это {name}."],
        "intro_company_only": ["{company}.", "Вы позвонили в {company}."],
        "bare_open": ["Алло.", "Да.", "Алло, да."],
        "line_check": ["Алло, это служба поддержки?", "Алло, меня слышно?"],
        "yes": "Да.",
        "needs": ["Что у вас стряслось?", "Опишите, пожалуйста, ситуацию.", "С каким вопросом звоните?",
                  "Чем могу быть полезен?", "Подскажите, что случилось?", "Чем могу помочь?",
                  "Рассказывайте, что у вас произошло?", "Что вас к нам привело?"],
        "invitation": ["Слушаю вас.", "Говорите."],
        "ident": [("Подскажите номер {acc_gen}, пожалуйста.", "Четыре пять семь, восемь один два."),
                  ("На кого оформлен {acc}?", "На меня, Петров Иван Сергеевич."),
                  ("Как я могу к вам обращаться?", "Иван Петрович."),
                  ("Продиктуйте, пожалуйста, фамилию, имя и отчество.", "Смирнов Алексей Викторович."),
                  ("Назовите дату рождения, пожалуйста.", "Пятое мая восемьдесят второго года."),
                  ("Уточните, пожалуйста, номер телефона, к которому привязан {acc}.",
                   "Девять один шесть, сто двадцать три, сорок пять."),
                  ("Скажите, кто владелец {acc_gen}?", "Я, Кузнецов Павел.")],
        "volunteer_id": ["Я Петров Иван, номер {acc_gen} четыре пять семь.",
                         "Я Смирнов Алексей, {acc} оформлен на меня."],
        "customer_greeting": ["Здравствуйте!", "Добрый день."],
        "start": {"negative": ["Сколько можно, уже третий раз!", "Безобразие, я очень недоволен!", "Я просто в бешенстве!"],
                  "positive": ["Как хорошо, что вы так быстро ответили!", "Я вашими услугами очень доволен, но есть вопрос."]},
        "customer_dont_know": ["Я уже не знаю, что делать, всё перепробовал."],
        "manager_mention": ["Ваш менеджер на прошлой неделе говорил, что всё будет в порядке."],
        "negated_complaint": ["Жаловаться я не собираюсь, просто хочу разобраться."],
        "escalation_ack": ["Я вас понял.", "Понимаю."],
        "hold": ["Минутку, сейчас посмотрю.", "Одну секунду, проверяю."],
        "hold_ack": ["Да, жду.", "Хорошо."],
        "thanks_wait": "Спасибо за ожидание.",
        "late_hello": None,  # Russian calls put the late greeting into the farewell
        "non_answer": ["К сожалению, пока никакой информации по вашему вопросу нет.",
                       "Ну, такие ситуации бывают, посмотрим, как пойдёт."],
        "vague": ["Мы постараемся во всём разобраться.", "Будем разбираться, как-нибудь решим."],
        "callback_without_time": "Я передам ваш вопрос специалистам, вам перезвонят.",
        "offer_supervisor": "Если хотите, могу переключить вас на старшего специалиста.",
        "decline_transfer": "Нет, не нужно.",
        "hurry": ["Мне нужно, чтобы всё заработало уже сегодня.", "А можно как-нибудь побыстрее?"],
        "cant_promise": ["Ничего не могу обещать заранее, но сейчас посмотрю."],
        "trigger": ["А почему так вышло?", "Почему меня никто не предупредил?", "А кто за это отвечает?"],
        "forbidden": ["Понятия не имею.", "Не знаю я.", "Это вообще не к нам, звоните куда-нибудь ещё.",
                      "Ничем помочь не могу.", "Разбирайтесь с этим сами.",
                      "Не надо на меня кричать, я тут ни при чём.", "Что вы от меня хотите?"],
        "how_long": "А сколько времени это займёт?",
        "dont_know_but_will_check": "Точно я не знаю, но сейчас уточню.",
        "reaction": {"positive": ["Отлично, вы меня очень выручили, спасибо!", "Вот это здорово, большое спасибо!",
                                  "Прекрасно, спасибо огромное, очень приятно."],
                     "neutral": ["Понятно.", "Ясно, хорошо.", "Ладно, понял."],
                     "negative": ["И это всё? Очень недоволен.", "Опять ждать? Это просто возмутительно.",
                                  "Столько нервов из-за вас, отвратительный сервис."]},
        "extra": ["Может, ещё что-нибудь подсказать?", "Что-то ещё я могу для вас сделать?",
                  "Есть ещё что-то, с чем вам помочь?", "Ещё какие-нибудь вопросы будут?",
                  "Могу ещё чем-нибудь быть полезен?", "Остались ли у вас вопросы?"],
        "extra_answer": {"positive": ["Нет, всё отлично, спасибо!"], "neutral": ["Нет, это всё.", "Нет."],
                         "negative": ["Нет. Хватит с меня.", "Нет, с вами и так всё ясно."]},
        "check": ["Всё понятно?", "Вам всё ясно?"],
        "check_answer": {"positive": ["Да, всё ясно, спасибо большое!"], "neutral": ["Да, понятно."],
                         "negative": ["Понятно. Но я всё равно недоволен."]},
        "one_more": "А можно ещё один вопрос?",
        "sure": "Да, конечно.",
        "farewell": ["Счастливо!", "Удачи вам!", "Всего вам наилучшего!", "До связи, хорошего вечера!",
                     "Берегите себя, до свидания.", "Всего доброго!", "Спасибо, что позвонили, приятного дня!"],
        "late_greeting_farewell": ["Счастливо, добрый день!", "Ну, добрый вечер, всего хорошего!"],
        "customer_bye": {"positive": ["Спасибо большое, до свидания!"], "neutral": ["Ладно, до свидания."],
                         "negative": ["Всё, до свидания."]},
        "closing": {"positive": ["И вам всего доброго, спасибо!"], "neutral": ["Угу, до свидания."],
                    "negative": ["Ну-ну, посмотрим."]},
        "no_farewell_ack": ["Ага.", "Угу, да."],
        "flat_end": ["Ожидайте.", "Ну вот и всё."],
        "escalation": {
            "manager": ["Соедините меня с вашим руководителем.", "Позовите старшего, я хочу говорить с начальством."],
            "complaint": ["Я этого так не оставлю и напишу на вас жалобу.", "Буду жаловаться, так и знайте."],
            "regulator": ["Я буду обращаться в Роспотребнадзор."],
            "regulator_bank": ["Я напишу в Центробанк."],
            "lawyer": ["Я передам всё юристу и подам в суд.", "Увидимся в суде."],
            "cancellation": ["Я расторгаю договор и ухожу к другому оператору."],
            "cancellation_bank": ["Я закрою счёт и уйду в другой банк."],
            "cancellation_shop": ["Удалите мой аккаунт, больше у вас ничего не закажу."],
        },
        "topics": {
            "internet_outage": {
                "acc": ("договор", "договора"),
                "problems": ["У меня со вчерашнего вечера не работает интернет.",
                             "Интернет пропадает каждые десять минут, невозможно работать.",
                             "Роутер мигает красным, и интернета нет с самого утра."],
                "clarify": [("А индикаторы на роутере сейчас какого цвета горят?", "Одна лампочка горит красным."),
                            ("С какого времени интернет пропал?", "Со вчерашнего вечера, часов с девяти."),
                            ("Вы уже пробовали перезагрузить роутер?", "Да, два раза, не помогло.")],
                "resolutions": ["Я оформил выезд мастера, он приедет завтра с десяти до двенадцати.",
                                "Я перезапустил ваш порт, интернет заработает через пару минут.",
                                "На линии авария, к шести вечера связь восстановят."],
                "followups": [("А мне сделают перерасчёт за эти дни?", "Да, перерасчёт сделаем автоматически в конце месяца."),
                              ("Мастер позвонит перед приездом?", "Да, мастер позвонит за полчаса.")],
            },
            "billing": {
                "acc": ("договор", "договора"),
                "problems": ["Мне пришёл счёт в два раза больше обычного.",
                             "С моего счёта списали деньги за услугу, которую я не подключал."],
                "clarify": [("За какой месяц пришёл этот счёт?", "За октябрь."),
                            ("Какую сумму с вас списали?", "Четыреста девяносто рублей.")],
                "resolutions": ["Услугу я отключил, деньги вернутся в течение трёх рабочих дней.",
                                "Я сделал перерасчёт, лишняя сумма уже на вашем балансе."],
                "followups": [("А в следующем месяце такого не повторится?", "Нет, я убрал эту услугу из вашего тарифа."),
                              ("Мне придёт какое-то подтверждение?", "Да, сегодня придёт сообщение с новой суммой.")],
            },
            "card_blocked": {
                "acc": ("счёт", "счёта"),
                "problems": ["У меня заблокировали карту, не могу ничем расплатиться.",
                             "Карта не проходит ни в одном магазине с самого утра."],
                "clarify": [("Какое сообщение вы видите при оплате?", "Пишет, что операция отклонена."),
                            ("Вы сегодня платили картой за границей?", "Нет, только в магазине у дома.")],
                "resolutions": ["Я снял блокировку, картой можно пользоваться прямо сейчас.",
                                "Я заказал новую карту, заберёте её в отделении через пять дней."],
                "followups": [("Деньги на карте в порядке?", "Да, все деньги на месте."),
                              ("Мне нужно менять пин-код?", "Нет, пин-код остаётся прежним.")],
            },
            "delivery_late": {
                "acc": ("заказ", "заказа"),
                "problems": ["Я заказывал пылесос неделю назад, а его всё ещё не привезли.",
                             "Посылка должна была прийти в понедельник, но её до сих пор нет."],
                "clarify": [("А какой адрес доставки был указан?", "Улица Ленина, дом пять."),
                            ("Вам приходило сообщение о передаче курьеру?", "Нет, ничего не приходило.")],
                "resolutions": ["Я перенёс доставку на завтра, курьер приедет с двенадцати до трёх.",
                                "Я отправил посылку срочной доставкой, она будет у вас послезавтра."],
                "followups": [("Курьер позвонит перед приездом?", "Да, курьер позвонит за час."),
                              ("А за доставку платить придётся?", "Нет, доставку мы сделали бесплатной.")],
            },
            "tariff_change": {
                "acc": ("договор", "договора"),
                "problems": ["Я хочу перейти на тариф подешевле.",
                             "Мне не хватает интернета на моём тарифе, нужен другой."],
                "clarify": [("Сколько интернета вам обычно нужно в месяц?", "Гигабайт двадцать, не меньше."),
                            ("Вы больше звоните или пользуетесь интернетом?", "В основном интернетом.")],
                "resolutions": ["Я подключил вам тариф Базовый, он начнёт действовать с первого числа.",
                                "Я перевёл вас на тариф Максимум, он уже действует."],
                "followups": [("А номер телефона останется тем же?", "Да, номер и баланс останутся прежними."),
                              ("За переход нужно платить?", "Нет, переход бесплатный.")],
            },
        },
    },
    "en": {
        "operators": list(synthetic.TEXT["en"]["operators"]),
        "greeting": ["Hi there!", "Morning!", "Hello!", "Good afternoon!", "Hi, thanks for getting in touch!",
                     "Welcome, and thanks for ringing us!", "Hey, good to hear from you!"],
        "intro": ["This is {name} with {company}.", "{company}, {name} here.", "You're through to {company}, I'm {name}.",
                  "I'm {name} from {company}.", "My name is {name}, at {company}."],
        "intro_name_only": ["I'm {name}.", "My name is {name}."],
        "intro_company_only": ["{company}.", "You've got {company}."],
        "bare_open": ["Yes?", "Yeah?"],
        "line_check": ["Hi, is this the support line?", "Can you hear me?"],
        "yes": "Yes.",
        "needs": ["What's going on?", "What seems to be the trouble?", "What can I help with today?",
                  "Tell me what happened.", "What brings you to us today?", "How can I help?",
                  "So, what's the issue?", "What's up with your service?"],
        "invitation": ["Go ahead.", "I'm listening."],
        "ident": [("Could I get the full name on the {acc}?", "Peter Brown."),
                  ("Can you read me your {acc} number?", "Four five seven, eight one two."),
                  ("What's the phone number on the {acc}?", "Two one three, four four nine, six zero."),
                  ("Just to verify, what's your date of birth?", "March third, nineteen eighty."),
                  ("Who am I speaking with, please?", "This is Laura Smith."),
                  ("And who's the {acc} holder?", "That would be me, Laura Smith.")],
        "volunteer_id": ["I'm Peter Brown, {acc} number four five seven.",
                         "The {acc} is under my name, Laura Smith."],
        "customer_greeting": ["Hi there.", "Hello, good afternoon."],
        "start": {"negative": ["Third time this month, I'm sick of it!", "Honestly, this is outrageous!",
                               "I am really fed up with you people!"],
                  "positive": ["Oh great, thanks for picking up so quickly!", "I'm very happy with you, just a small question."]},
        "customer_dont_know": ["I don't know what else to do, I've tried everything."],
        "manager_mention": ["Your manager told me last week it was all sorted."],
        "negated_complaint": ["I'm not looking to complain, I just want it sorted."],
        "escalation_ack": ["I understand.", "I hear you."],
        "hold": ["One moment, let me check.", "Bear with me a second."],
        "hold_ack": ["Sure.", "Okay."],
        "thanks_wait": "Thanks for waiting.",
        "late_hello": "Hello? Are you still with me?",
        "non_answer": ["I'm afraid there's no information on that at the moment.",
                       "Well, these things happen sometimes, let's see how it goes."],
        "vague": ["We'll try to look into it at some point.", "We'll sort something out somehow."],
        "callback_without_time": "I'll pass this on to our specialists, and they'll call you back.",
        "offer_supervisor": "If you like, I can transfer you to my supervisor.",
        "decline_transfer": "No, that's not necessary.",
        "hurry": ["I need this sorted today.", "Can you speed it up somehow?"],
        "cant_promise": ["I can't promise anything in advance, but let me see."],
        "trigger": ["So why did this happen?", "Why did nobody warn me?", "Who is responsible for this?"],
        "forbidden": ["No idea.", "I don't know.", "That's not our department, call someone else.",
                      "There's nothing I can do for you.", "Deal with it yourself.",
                      "Don't shout at me, it's not my fault.", "Look, I don't have time for this."],
        "how_long": "How long will this take?",
        "dont_know_but_will_check": "I don't know exactly, but I'll find out right now.",
        "reaction": {"positive": ["Brilliant, you've really saved me, thank you!", "That's great news, thanks so much!",
                                  "Perfect, I really appreciate it!"],
                     "neutral": ["Okay, I see.", "Right, got it.", "Alright."],
                     "negative": ["That's it? I'm really not happy.", "So I have to wait again? That's ridiculous.",
                                  "After all this hassle? Awful service."]},
        "extra": ["Anything else on your mind?", "Is there more I can do for you?", "Can I help with anything further?",
                  "What else can I do for you today?", "Any other way I can be of use?"],
        "extra_answer": {"positive": ["No, that's everything, thanks a lot!"], "neutral": ["No, that's it.", "No."],
                         "negative": ["No. I've had enough.", "No, I think we're done here."]},
        "check": ["Does that make sense?", "Is that clear?"],
        "check_answer": {"positive": ["Yes, perfectly clear, thank you so much!"], "neutral": ["Yes, it does."],
                         "negative": ["Yes. I'm still not happy though."]},
        "one_more": "Can I ask one more thing?",
        "sure": "Sure.",
        "farewell": ["Take care!", "All the best!", "Bye now!", "Enjoy the rest of your day!", "Talk soon, take care.",
                     "Cheers, and have a good evening!"],
        "late_greeting_farewell": None,  # English calls put the late greeting after a hold
        "customer_bye": {"positive": ["Thanks so much, goodbye!"], "neutral": ["Alright, goodbye."],
                         "negative": ["Fine. Goodbye."]},
        "closing": {"positive": ["You too, thanks again!"], "neutral": ["Okay, bye."], "negative": ["Whatever."]},
        "no_farewell_ack": ["Yep.", "Okay."],
        "flat_end": ["Right then.", "Okay."],
        "escalation": {
            "manager": ["Put me through to your supervisor.", "I want to speak to someone above you."],
            "complaint": ["I'm going to file a formal complaint about this.", "You'll be getting a written complaint from me."],
            "regulator": ["I'm taking this to the consumer ombudsman."],
            "regulator_bank": ["I'm reporting this to the financial ombudsman."],
            "lawyer": ["My lawyer will hear about this.", "I'll see you in court."],
            "cancellation": ["I want to cancel my contract and go elsewhere."],
            "cancellation_bank": ["Close my account, I'm moving to another bank."],
            "cancellation_shop": ["Delete my account, I'm never ordering from you again."],
        },
        "topics": {
            "internet_outage": {
                "acc": ("account", "account"),
                "problems": ["My internet has been down since last night.",
                             "The connection keeps dropping every few minutes, and I work from home.",
                             "The router light is red and there's no internet this morning."],
                "clarify": [("What colour are the lights on the router right now?", "One of them is red."),
                            ("When exactly did it stop working?", "Around nine last night."),
                            ("Have you tried restarting the router?", "Yes, twice, it didn't help.")],
                "resolutions": ["I've booked an engineer for tomorrow between ten and twelve.",
                                "I've reset your router remotely, it should work now.",
                                "There's a fault on the line, it will be fixed by six tonight."],
                "followups": [("Will I get money back for these days?", "Yes, the refund will be added to your next bill."),
                              ("Will the engineer call first?", "Yes, he'll ring you half an hour before.")],
            },
            "billing": {
                "acc": ("account", "account"),
                "problems": ["My bill this month is twice as high as usual.",
                             "I was charged for a service I never ordered."],
                "clarify": [("Which month's bill is it?", "October."),
                            ("How much were you charged?", "Forty nine dollars.")],
                "resolutions": ["I've removed the service, and the money will be back within three working days.",
                                "I've recalculated the bill, the extra is back on your balance."],
                "followups": [("Will this happen again next month?", "No, the service is gone from your plan."),
                              ("Will I get a confirmation?", "Yes, you'll get an email with the new amount today.")],
            },
            "card_blocked": {
                "acc": ("account", "account"),
                "problems": ["My card stopped working at the shop this morning.",
                             "My card is blocked and I can't pay for anything."],
                "clarify": [("What message do you see when you pay?", "It just says declined."),
                            ("Did you make any payments abroad today?", "No, only at the shop round the corner.")],
                "resolutions": ["I've lifted the block, so you can use the card right away.",
                                "I've ordered a new card, it will be at your branch in five days."],
                "followups": [("Is my money safe?", "Yes, your balance is all there."),
                              ("Do I need a new PIN?", "No, your PIN stays the same.")],
            },
            "delivery_late": {
                "acc": ("order", "order"),
                "problems": ["I ordered a laptop two weeks ago, and it's still not here.",
                             "My parcel was due on Monday, but it never arrived."],
                "clarify": [("Which address was the parcel going to?", "Five Station Road."),
                            ("Did you get a message that it was out for delivery?", "No, nothing at all.")],
                "resolutions": ["I've rebooked the delivery for tomorrow between twelve and three.",
                                "I've sent your parcel by express, it will arrive the day after tomorrow."],
                "followups": [("Will the courier call first?", "Yes, the courier will call an hour before."),
                              ("Do I pay anything extra?", "No, I've made the delivery free.")],
            },
            "tariff_change": {
                "acc": ("account", "account"),
                "problems": ["I'd like to switch to a cheaper plan.",
                             "I keep running out of data, I need a different plan."],
                "clarify": [("How much data do you use in a month?", "About twenty gigabytes."),
                            ("Do you mostly call or use data?", "Mostly data.")],
                "resolutions": ["I've moved you to the Basic plan, starting on the first of next month.",
                                "I've switched you to the Max plan, and it's active already."],
                "followups": [("Will my number stay the same?", "Yes, your number and balance stay the same."),
                              ("Do I pay for the switch?", "No, the switch is free.")],
            },
        },
    },
}
ESCALATION_VARIANT = {"card_blocked": "_bank", "delivery_late": "_shop"}  # which cancellation/regulator line fits

# ---------------------------------------------------------------------------
# The held-out bank (--bank heldout): the same places, moods and labelling rules as TEXT,
# written afresh with none of its sentences, and its own operator names and companies. The
# scorecard and the judge were tuned on calls built from TEXT, so only this bank measures
# them on wording they have not seen. Same TTS constraints: numbers in words, Russian in
# the masculine, no abbreviations.
# ---------------------------------------------------------------------------
HELDOUT_TEXT: dict[str, dict] = {
    "ru": {
        "operators": ["Михаил", "Игорь", "Роман", "Кирилл", "Евгений", "Виктор"],
        "greeting": ["Здравствуйте, вы дозвонились!", "Доброе утро!", "Добрый день, спасибо за звонок!", "Алло, добрый вечер!",
                     "Рад вас приветствовать!", "Здравствуйте, спасибо, что дождались!", "Доброго дня вам!"],
        "intro": ["{name}, служба поддержки компании {company}.", "Контактный центр компании {company}, моё имя {name}.",
                  "На связи {name}, компания {company}.", "Служба заботы о клиентах, {company}, я {name}.",
                  "Это {name}, я специалист компании {company}.", "Горячая линия компании {company}, {name} у телефона."],
        "intro_name_only": ["Моё имя {name}.", "{name} у телефона."],
        "intro_company_only": ["Служба поддержки компании {company}.", "Компания {company}, горячая линия."],
        "bare_open": ["Алло-алло.", "Ага, алло.", "Да-да."],
        "line_check": ["Алло, там кто-нибудь есть?", "Алло, связь есть?"],
        "yes": "Да, слышу.",
        "needs": ["По какому поводу обращаетесь?", "Расскажите, в чём проблема.", "Какой у вас вопрос?",
                  "Что вас беспокоит?", "С чем столкнулись?", "Какая помощь вам нужна?"],
        "invitation": ["Внимательно слушаю.", "Да-да, я весь внимание."],
        "ident": [("Назовите номер {acc_gen}, чтобы я нашёл вас в базе.", "Три ноль девять, шесть шесть два."),
                  ("Как ваши фамилия, имя и отчество?", "Волков Дмитрий Андреевич."),
                  ("С какого номера телефона вы обычно к нам звоните?",
                   "Девять ноль три, пятьсот восемьдесят, двенадцать."),
                  ("Для проверки назовите число и год рождения.", "Двенадцатое марта семьдесят девятого."),
                  ("Как вас зовут?", "Олег Николаевич."),
                  ("Ваша фамилия и номер {acc_gen}?", "Орлов, пять пять один.")],
        "volunteer_id": ["Сразу скажу: я Орлов Геннадий, номер {acc_gen} три ноль девять.",
                         "Записывайте: Волков Дмитрий, {acc} на мне."],
        "customer_greeting": ["Алло, добрый день.", "Доброе утро вам."],
        "start": {"negative": ["Это уже ни в какие ворота не лезет!",
                               "Надоело вам названивать!", "Я крайне возмущён вашей работой!"],
                  "positive": ["Здорово, что так быстро дозвонился!",
                               "Я у вас давно и всем доволен, но тут такое дело."]},
        "customer_dont_know": ["Я честно не знаю, куда ещё обращаться.", "Не знаю, может, я что-то не так нажимаю."],
        "manager_mention": ["Мне в офисе ваш менеджер обещал, что всё сделают за день.",
                            "Я в прошлом месяце с вашим менеджером это уже обсуждал."],
        "negated_complaint": ["Жалобы писать не буду, просто помогите."],
        "escalation_ack": ["Я вас услышал.", "Понимаю ваше недовольство."],
        "hold": ["Секундочку, гляну в системе.", "Подождите немного, я проверю."],
        "hold_ack": ["Ладно, подожду.", "Жду на линии."],
        "thanks_wait": "Благодарю, что подождали.",
        "late_hello": None,  # as in TEXT: the late greeting rides on the farewell
        "non_answer": ["По вашей ситуации у нас пока никаких данных нет.",
                       "Ну, бывает такое, подождите, может, само наладится."],
        "vague": ["Мы обязательно этим займёмся.", "Как-нибудь уладим, не переживайте."],
        "callback_without_time": "Я оформлю заявку, и с вами свяжутся.",
        "offer_supervisor": "Если хотите, подключу к разговору руководителя смены.",
        "decline_transfer": "Да нет, не стоит.",
        "hurry": ["Мне до вечера надо, работа стоит.", "Давайте как-то оперативнее, пожалуйста."],
        "cant_promise": ["Гарантировать ничего не могу, но сделаю всё возможное.",
                         "Обещать не возьмусь, но попробую ускорить."],
        "trigger": ["А мне что-то нужно сделать со своей стороны?", "А куда обращаться, если это повторится?",
                    "А можно узнать причину?"],
        "forbidden": ["Без понятия.", "А я откуда знаю?", "Это не мой вопрос, звоните в другой отдел.",
                      "Тут я вам ничем не помогу.", "Это ваши проблемы, решайте сами.",
                      "Не повышайте на меня голос, я вам не мальчик.", "Слушайте, мне некогда это с вами обсуждать."],
        "how_long": "И когда это всё решится?",
        "dont_know_but_will_check": "Вот этого я пока не знаю, сейчас выясню.",
        "reaction": {"positive": ["Ой, спасибо вам огромное, вы очень помогли!", "Замечательно, благодарю!",
                                  "Вот это я понимаю сервис, спасибо!"],
                     "neutral": ["Договорились.", "Угу, понял.", "Так, принято."],
                     "negative": ["Никуда не годится, я разочарован.", "Сплошная нервотрёпка с вами, надоело.",
                                  "Ну и сервис, кошмар какой-то."]},
        "extra": ["Нужна ли ещё какая-то помощь?", "Что-нибудь ещё вас интересует?", "Может, нужно ещё что-то решить?",
                  "Ещё что-нибудь проверить для вас?", "Если есть ещё вопросы, задавайте."],
        "extra_answer": {"positive": ["Нет, благодарю, вы очень помогли!"],
                         "neutral": ["Нет, больше ничего.", "Нет, на сегодня всё."],
                         "negative": ["Нет. С меня достаточно.", "Нет, уже наобщался с вами."]},
        "check": ["Я понятно объяснил?", "Понятно по срокам?"],
        "check_answer": {"positive": ["Да, всё предельно ясно, огромное спасибо!"], "neutral": ["Да, разобрался."],
                         "negative": ["Понял. Но меня всё это не устраивает."]},
        "one_more": "Слушайте, и ещё кое-что.",
        "sure": "Конечно, спрашивайте.",
        "farewell": ["До свидания, хорошего дня!", "Всего хорошего, до свидания!", "Хорошего вам дня!",
                     "Удачного вечера!", "Всех благ!", "Спасибо за обращение, до свидания!", "Будьте здоровы, до свидания!"],
        "late_greeting_farewell": ["Доброго дня вам, до свидания!", "До свидания, добрый вечер!"],
        "customer_bye": {"positive": ["Благодарю вас, всего доброго!"], "neutral": ["Ну всё, пока."],
                         "negative": ["Прощайте, крайне недоволен."]},
        "closing": {"positive": ["Спасибо, и вам хорошего дня!"], "neutral": ["Ага, и вам того же."],
                    "negative": ["Верится с трудом."]},
        "no_farewell_ack": ["Так, ага.", "Ну да."],
        "flat_end": ["Всё, заявка принята.", "Так, вопрос закрыт."],
        "escalation": {
            "manager": ["Дайте мне вашего начальника, с вами разговаривать бесполезно.",
                        "Переключите меня на руководителя отдела, немедленно."],
            "complaint": ["Я сегодня же напишу официальную претензию.", "Ждите от меня письменную жалобу."],
            "regulator": ["Пусть вами займётся Роспотребнадзор."],
            "regulator_bank": ["Обращусь в Центральный банк."],
            "lawyer": ["Мой адвокат с вами свяжется.", "Пойду в суд, у меня весь разговор записан."],
            "cancellation": ["Расторгайте договор, я ухожу к конкурентам."],
            "cancellation_bank": ["Закрывайте мой счёт, я от вас ухожу."],
            "cancellation_shop": ["Закройте мою учётную запись, больше у вас не покупаю."],
        },
        "topics": {
            "internet_outage": {
                "acc": ("лицевой счёт", "лицевого счёта"),
                "companies": ["Линк Телеком", "Домашняя сеть", "Оптика Плюс"],
                "problems": ["У меня дома второй день нет интернета.",
                             "Интернет еле ползёт, страницы не грузятся.",
                             "Роутер включён, а сайты не открываются."],
                "clarify": [("Проблема только на одном устройстве или на всех?", "На всех сразу."),
                            ("Когда всё работало нормально в последний раз?", "Позавчера вечером всё было в порядке."),
                            ("Вы подключаетесь по кабелю или без проводов?", "Без проводов, через роутер.")],
                "resolutions": ["Монтажник приедет в четверг, с двух до четырёх.",
                                "Я обновил настройки линии, перезагрузите роутер через пять минут.",
                                "На станции ремонт, к девяти вечера связь вернут."],
                "followups": [("А за эти дни мне платить?", "Нет, за дни без связи плату снимем автоматически."),
                              ("Если опять пропадёт, куда обращаться?",
                               "Звоните сюда же, заявка останется открытой.")],
            },
            "billing": {
                "acc": ("лицевой счёт", "лицевого счёта"),
                "companies": ["Городские сети", "Теплосеть Центр", "Мой оператор"],
                "problems": ["Мне выставили счёт за связь, которой я не пользовался.",
                             "В квитанции сумма вдруг выросла на тысячу рублей.",
                             "У меня дважды списали ежемесячную плату."],
                "clarify": [("За какой период вы видите эту сумму?", "С первого по тридцатое сентября."),
                            ("Сколько вы обычно платите в месяц?", "Около шестисот рублей.")],
                "resolutions": ["Я отменил лишнее списание, деньги придут за пять рабочих дней.",
                                "Я исправил начисление, новая сумма уже видна в личном кабинете."],
                "followups": [("А пени мне не начислят?", "Нет, пени не будет, я оставил пометку в вашем лицевом счёте."),
                              ("Где мне это потом посмотреть?", "В личном кабинете, в разделе платежей, уже сегодня.")],
            },
            "card_blocked": {
                "acc": ("счёт", "счёта"),
                "companies": ["Банк Берег", "Первый городской банк", "Банк Заря"],
                "problems": ["Пришло сообщение, что карта заблокирована.",
                             "Пытаюсь снять деньги в банкомате, а он карту не принимает."],
                "clarify": [("Когда карта последний раз работала?", "Вчера вечером, в аптеке."),
                            ("Вы никому не сообщали данные карты?", "Нет, никому.")],
                "resolutions": ["Я разблокировал карту, через пару минут ею можно пользоваться.",
                                "Я перевыпустил карту, новая будет в отделении в понедельник."],
                "followups": [("Деньги со счёта никуда не пропали?", "Нет, остаток не тронут."),
                              ("Автоплатежи пройдут как обычно?", "Да, они спишутся как всегда.")],
            },
            "delivery_late": {
                "acc": ("заказ", "заказа"),
                "companies": ["Пчёлка", "Груз Логистик", "Доставка Сегодня"],
                "problems": ["Холодильник обещали привезти в субботу, а его нет.",
                             "Курьер не приехал в назначенное время, и никто не позвонил.",
                             "В приложении заказ доставлен, а я ничего не получал."],
                "clarify": [("Какой интервал доставки вы выбирали?", "С десяти утра до двух дня."),
                            ("Вы сейчас по тому же адресу?", "Да, я весь день дома.")],
                "resolutions": ["Я назначил доставку на завтра, с девяти утра до часу дня.",
                                "Заказ передан другому курьеру, привезут сегодня до восьми вечера."],
                "followups": [("А мне за неудобство что-нибудь положено?", "Да, я начислил вам пятьсот бонусных рублей."),
                              ("Как я узнаю, что всё оформлено?", "В течение часа придёт сообщение с подробностями.")],
            },
            "tariff_change": {
                "acc": ("договор", "договора"),
                "companies": ["Связь Онлайн", "Мобильный мир", "Телесеть"],
                "problems": ["Хочу подключить тариф с безлимитными звонками.",
                             "Мой тариф подорожал, хочу что-нибудь попроще.",
                             "Мне нужен тариф, чтобы раздавать интернет на ноутбук."],
                "clarify": [("Сколько примерно вы готовы платить в месяц?", "До пятисот рублей."),
                            ("Сколько минут разговора вам обычно нужно?", "Минут триста, не больше.")],
                "resolutions": ["Я сменил вам тариф, новый заработает с завтрашнего дня.",
                                "Новый тариф я уже подключил, условия действуют прямо сейчас."],
                "followups": [("А остаток минут сохранится?", "Да, неиспользованные минуты перейдут на следующий месяц."),
                              ("Можно будет потом вернуть старый тариф?", "Да, в любой момент, в личном кабинете.")],
            },
        },
    },
    "en": {
        "operators": ["Rachel", "Hannah", "Grace", "Megan", "Claire", "Natalie"],
        "greeting": ["Good morning to you!", "Good evening!", "Hello there, thanks for calling!", "Hiya!",
                     "Hi, thanks for holding!", "Hello, and thank you for your patience!", "Hello hello!"],
        "intro": ["{name} speaking, from {company}.", "{company} customer care, {name} speaking.",
                  "You've reached {company}, {name} on the line.", "{name} at {company} support.",
                  "It's {name} from the {company} help desk.", "{company} support team, this is {name}."],
        "intro_name_only": ["{name} speaking.", "It's {name} here."],
        "intro_company_only": ["{company} customer care.", "{company} support line."],
        "bare_open": ["Speaking.", "Yep, speaking.", "Mm-hm?"],
        "line_check": ["Hello? Is anyone there?", "Hello, can you hear me okay?"],
        "yes": "Yes, I'm here.",
        "needs": ["What are you calling about today?", "What's the problem you're having?", "Tell me, what's wrong?",
                  "What do you need help with?", "Walk me through what's happening.", "What's the reason for your call?"],
        "invitation": ["Go on.", "Yes, I'm all ears."],
        "ident": [("Could you confirm the {acc} number for me?", "Three zero nine, six six two."),
                  ("And your surname, please?", "It's Walker, Tom Walker."),
                  ("Which phone number is linked to the {acc}?", "Seven eight one, five five two, four zero."),
                  ("For security, can you confirm your date of birth?", "The twelfth of June, nineteen seventy-six."),
                  ("May I take your name, please?", "Yes, it's Sarah Collins."),
                  ("Whose name is the {acc} in?", "Mine, Sarah Collins.")],
        "volunteer_id": ["Tom Walker here, {acc} three zero nine.",
                         "It's Sarah Collins, it's all in my name."],
        "customer_greeting": ["Hi, good morning.", "Oh, hello."],
        "start": {"negative": ["This is absolutely ridiculous!", "I've had it up to here with you lot!",
                               "I'm furious, honestly!"],
                  "positive": ["Lovely, that was quick, thank you!",
                               "I've always been really pleased with you, just one thing."]},
        "customer_dont_know": ["I honestly don't know who else to ask.", "I don't know, maybe I pressed something wrong."],
        "manager_mention": ["A manager of yours promised it'd take a day.",
                            "I already went over this with your manager last month."],
        "negated_complaint": ["I won't be complaining, I just need some help."],
        "escalation_ack": ["Okay, I've made a note of that.", "I'm sorry you've had this."],
        "hold": ["Hang on, I'll have a look.", "Let me pull that up."],
        "hold_ack": ["No problem.", "Alright, I'll wait."],
        "thanks_wait": "Sorry to keep you waiting.",
        "late_hello": "Hi, sorry, are you still on the line?",
        "non_answer": ["There's nothing in the system about it yet.",
                       "It happens sometimes, just give it a bit and see."],
        "vague": ["We'll get on to it eventually.", "Leave it with us, we'll figure something out."],
        "callback_without_time": "I'll raise a ticket, and someone will get back to you.",
        "offer_supervisor": "I can bring my team leader in, if you'd like.",
        "decline_transfer": "No, I'll pass on that.",
        "hurry": ["I really need this working before tonight.", "Is there any way to hurry it along?"],
        "cant_promise": ["I can't guarantee anything, but I'll do what I can.",
                         "No promises, but I'll see what I can do."],
        "trigger": ["Is there anything I need to do on my end?", "Who do I contact if it happens again?",
                    "Can you tell me what caused it?"],
        "forbidden": ["Haven't got a clue.", "How should I know?", "That's a different team, nothing to do with me.",
                      "I can't help you, I'm afraid.", "That's your problem to sort out.",
                      "Stop yelling at me, will you.", "I haven't got all day, you know."],
        "how_long": "So when will this be sorted?",
        "dont_know_but_will_check": "I don't know offhand, let me find out for you now.",
        "reaction": {"positive": ["Oh, wonderful, thank you ever so much!", "Fantastic, that's a huge help, thanks!",
                                  "Lovely, cheers for sorting that!"],
                     "neutral": ["Okay then.", "Sure, understood.", "Okay, fair enough."],
                     "negative": ["Pretty poor, if you ask me.", "That's not good enough, frankly.",
                                  "What a nightmare this has been, honestly."]},
        "extra": ["Anything else you need today?", "Is there anything else I can help you with?",
                  "Got any other questions for me?", "Anything more I can look at while I've got you?",
                  "Is there something else you'd like me to check?"],
        "extra_answer": {"positive": ["Nope, you've been brilliant, thanks!"],
                         "neutral": ["No, I'm all set.", "Nope, nothing more."],
                         "negative": ["No. Just fix it properly.", "No, I've wasted enough time."]},
        "check": ["Are you following me?", "Have I explained that clearly?"],
        "check_answer": {"positive": ["Yes, crystal clear, thanks a million!"], "neutral": ["Yes, I follow."],
                         "negative": ["I follow. Still not impressed, though."]},
        "one_more": "Oh, and one other thing.",
        "sure": "Fire away.",
        "farewell": ["Goodbye, have a lovely day!", "Thanks for calling, bye!", "Have a great weekend!", "Goodbye, and good luck with it!",
                     "You have a good one!", "Look after yourself, goodbye."],
        "late_greeting_farewell": None,  # as in TEXT: the late greeting comes after a hold
        "customer_bye": {"positive": ["Thank you, bye bye!"], "neutral": ["Right, bye then."],
                         "negative": ["Bye. Not impressed."]},
        "closing": {"positive": ["Thanks, same to you!"], "neutral": ["Yep, bye."],
                    "negative": ["Hmm, we'll see."]},
        "no_farewell_ack": ["Mm-hm.", "Sure thing."],
        "flat_end": ["That's that, then.", "All done."],
        "escalation": {
            "manager": ["Get me your manager, right now.", "I'd like to speak to whoever's in charge there."],
            "complaint": ["I'll be putting in an official complaint.", "Expect a formal letter of complaint from me."],
            "regulator": ["I'm reporting you to the consumer watchdog."],
            "regulator_bank": ["I'll be taking this to the banking regulator."],
            "lawyer": ["I'm getting my solicitor involved.", "I'll take you to court over this."],
            "cancellation": ["Cancel my contract, I'm switching provider."],
            "cancellation_bank": ["I want to close my account with you today."],
            "cancellation_shop": ["Close my account, I'm done shopping with you."],
        },
        "topics": {
            "internet_outage": {
                "acc": ("account", "account"),
                "companies": ["Fibre Link", "Home Wave", "Urban Net"],
                "problems": ["I've had no broadband since yesterday afternoon.",
                             "My internet is crawling, pages take ages to load.",
                             "The router's on, but nothing will load."],
                "clarify": [("Is it all your devices or just the one?", "All of them, phone and laptop."),
                            ("When did you last have a working connection?", "Yesterday around lunchtime."),
                            ("Are you connected by cable or wireless?", "Wireless, mostly.")],
                "resolutions": ["A technician will come on Thursday, between two and four.",
                                "I've refreshed your line, restart the router in five minutes.",
                                "The exchange is down, it'll be back up by nine tonight."],
                "followups": [("Will I be charged for the days without service?", "No, we'll credit those days automatically."),
                              ("What if it drops again?", "Just ring this line, your case stays open under your account.")],
            },
            "billing": {
                "acc": ("account", "account"),
                "companies": ["Northern Power", "City Utilities", "Plus Mobile"],
                "problems": ["I've been charged twice for the same month.",
                             "My bill suddenly went up by thirty pounds.",
                             "There's a charge on my bill I don't recognise."],
                "clarify": [("Which billing period are we talking about?", "September."),
                            ("How much do you normally pay each month?", "About forty pounds.")],
                "resolutions": ["I've refunded the extra charge, it'll reach your card within five working days.",
                                "I've corrected the bill, the new amount is showing in your online account now."],
                "followups": [("Will I get a late fee?", "No, there won't be any fee, I've put a note on the account."),
                              ("Where can I check it?", "In your online account, under payments, from today.")],
            },
            "card_blocked": {
                "acc": ("account", "account"),
                "companies": ["Riverside Bank", "Crown Savings", "Summit Bank"],
                "problems": ["I got a text saying my card's been frozen.",
                             "The cash machine keeps rejecting my card."],
                "clarify": [("When did you last use the card successfully?", "Last night, at the chemist."),
                            ("Have you shared your card details with anyone?", "No, nobody.")],
                "resolutions": ["I've unfrozen the card, it'll work again in a couple of minutes.",
                                "I've issued a replacement card, it'll be ready at your branch on Monday."],
                "followups": [("Has any money gone missing?", "No, your balance is untouched."),
                              ("Will my direct debits still go through?", "Yes, they'll go out as normal.")],
            },
            "delivery_late": {
                "acc": ("order", "order"),
                "companies": ["Quick Drop", "Door to Door", "Homeward Couriers"],
                "problems": ["My fridge was meant to arrive on Saturday, and it still hasn't.",
                             "The driver never turned up in my slot, and no one called.",
                             "The app says it's delivered, but I haven't got anything."],
                "clarify": [("What delivery slot did you pick?", "Ten till two."),
                            ("Are you still at the same address?", "Yes, I'm home all day.")],
                "resolutions": ["I've moved the delivery to tomorrow, between nine and one.",
                                "I've passed it to another driver, it'll be with you before eight this evening."],
                "followups": [("Do I get anything for the trouble?", "Yes, I've added a ten pound voucher to your account."),
                              ("How will I know it's booked?", "You'll get a message with the details within the hour.")],
            },
            "tariff_change": {
                "acc": ("contract", "contract"),
                "companies": ["Wave Mobile", "Lumen Telecom", "Orbit Mobile"],
                "problems": ["I'd like a plan with unlimited calls.",
                             "My plan's gone up in price, I want something simpler.",
                             "I need a plan that lets me share data with my laptop."],
                "clarify": [("Roughly what would you like to pay each month?", "Under fifteen pounds."),
                            ("How many minutes do you usually use?", "Around three hundred.")],
                "resolutions": ["I've changed your plan, the new one kicks in tomorrow.",
                                "I've switched your plan over, the new terms apply right now."],
                "followups": [("Will unused minutes carry over?", "Yes, anything unused rolls over to next month."),
                              ("Can I switch back later?", "Yes, any time, through your online account.")],
            },
        },
    },
}
BANKS = {"dev": TEXT, "heldout": HELDOUT_TEXT, "unseen": UNSEEN_TEXT}
DEFAULT_BANK = "dev"


def bank_problems(bank: str) -> list[str]:
    """What keeps a bank from standing in for TEXT: a place TEXT fills that it leaves empty
    or shapes differently (compose() would fail or drop a stage), or a sentence it shares
    with TEXT (a held-out bank must not repeat the wording the scorecard was tuned on) or,
    for a bank other than dev, with another bank (each one must be unseen by the others)."""
    problems: list[str] = []

    def shape(ref, other, where: str) -> None:
        if isinstance(ref, dict):
            if not isinstance(other, dict):
                problems.append(f"{where}: not a mapping")
                return
            for key in ref:
                if key not in other:
                    problems.append(f"{where}.{key}: missing")
                else:
                    shape(ref[key], other[key], f"{where}.{key}")
        elif isinstance(ref, list):
            if not isinstance(other, list) or not other:
                problems.append(f"{where}: not a non-empty list")
                return
            need = 2 if where.endswith(("reaction.positive", "reaction.neutral", "reaction.negative",
                                        "followups")) else 1   # compose() samples two of these
            if len(other) < need:
                problems.append(f"{where}: fewer than {need} items")
            for i, item in enumerate(other):
                shape(ref[0], item, f"{where}[{i}]")
        elif isinstance(ref, tuple):
            if not isinstance(other, tuple) or len(other) != len(ref):
                problems.append(f"{where}: not a {len(ref)}-tuple")
        elif type(ref) is not type(other):
            problems.append(f"{where}: {type(other).__name__} where TEXT has {type(ref).__name__}")

    def sentences(node) -> Iterable[str]:
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for key, value in node.items():
                if key not in ("operators", "acc", "companies"):   # names, not wording
                    yield from sentences(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                yield from sentences(item)

    texts = BANKS[bank]
    for lang in TEXT:
        shape(TEXT[lang], texts.get(lang), f"{bank}.{lang}")
    if bank != DEFAULT_BANK:
        for other, other_texts in BANKS.items():
            if other == bank:
                continue
            seen = {s for lang in other_texts for s in sentences(other_texts[lang])}
            problems += [f"{bank}: repeats {s!r} from the {other} bank"
                         for lang in TEXT for s in sentences(texts.get(lang, {})) if s in seen]
    return problems


# ---------------------------------------------------------------------------
# The plan of a call and the dialogue built from it
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Piece:
    """One sentence of the dialogue and what it stands for in the truth."""

    speaker: str
    text: str
    evidence: str | None = None            # criterion this sentence passes (no_forbidden_phrases: fails)
    trap: tuple[str, str] | None = None    # (criterion or "escalation", kind): a hard negative
    mood: str | None = None                # "start" | "end": carries that customer sentiment
    escalation: bool = False


@dataclass(frozen=True)
class CallPlan:
    name: str
    language: str
    channels: int
    topic: str
    failures: dict[str, str]               # failed criterion -> how it fails (FAIL_MODES)
    escalation: str | None                 # ESCALATION_KINDS or None
    escalation_at: str                     # "start" | "end"
    start_sentiment: str
    end_sentiment: str
    decoys: tuple[str, ...]                # PASS_DECOYS kinds
    ambiguity: str | None                  # AMBIGUITIES kind
    greeting_second_turn: bool             # the operator greets only after "Алло?" / "Can you hear me?"
    needs_in_opening: bool                 # needs discovery asked in the opening (else as a clarifying question)
    voices: dict
    voice_label: str
    bank: str = DEFAULT_BANK               # BANKS key: where the wording comes from

    def criteria_truth(self) -> dict[str, str]:
        return {c: (F if c in self.failures else P) for c in CRITERIA}


@dataclass(frozen=True)
class Layout:
    """Optional exchanges, switched on and off to fit the call into TARGET_S."""

    clarify: bool = False
    hold: bool = False
    followups: int = 0
    closing: bool = False
    decoys: bool = True      # the plan's label-keeping hard negatives; dropped only when a call runs long


class Deck:
    """Draws items in shuffled rounds, so every item comes up about equally often."""

    def __init__(self, items: Sequence, rng: random.Random) -> None:
        self.items, self.rng, self.pile = list(items), rng, []

    def draw(self, ok: Callable[[object], bool] = lambda _: True):
        for _ in range(3):
            for i, item in enumerate(self.pile):
                if ok(item):
                    return self.pile.pop(i)
            self.pile = self.items[:]
            self.rng.shuffle(self.pile)
        raise ValueError(f"no acceptable item among {self.items}")


def fail_mode_fits(criterion: str, mode: str, failures: dict[str, str], language: str) -> bool:
    if criterion == "greeting" and mode == "late" and language == "ru":
        return "farewell" not in failures        # the late "добрый день" rides on the farewell
    if criterion == "extra_help" and mode == "customer_asks_more":
        return "resolution" not in failures      # the operator answers the extra question concretely
    return True


def decoy_fits(decoy: str, failures: dict[str, str], escalation: str | None, start_sentiment: str) -> bool:
    if PASS_DECOYS[decoy] == "escalation" and escalation:
        return False
    if decoy == "operator_offers_supervisor":
        return "resolution" not in failures
    if decoy == "customer_says_dont_know":   # a desperate customer, not a cheerful one
        return "no_forbidden_phrases" not in failures and start_sentiment != "positive"
    return True


def ambiguity_fits(kind: str, failures: dict[str, str]) -> bool:
    return AMBIGUITIES[kind] not in failures   # the judgement call must decide the label


def rng_salt(bank: str) -> str:
    """Prefix of the random streams: the dev bank keeps the streams it always had (the same
    seed gives the same files), another bank draws its own plans, so a held-out set does
    not repeat the dev set's combination of failures, moods and topics call by call."""
    return "callqa-qa-dev" if bank == DEFAULT_BANK else f"callqa-qa-{bank}"


def plan_language(language: str, count: int, seed: int, bank: str = DEFAULT_BANK) -> list[CallPlan]:
    """The calls of one language: ~40% compliant, the rest with 1-3 failed criteria spread
    evenly over the criteria and their failure modes, ~30% escalations, spread sentiments."""
    rng = random.Random(f"{rng_salt(bank)}:{seed}:{language}")
    compliant = set(rng.sample(range(count), round(0.4 * count)))
    escalating = set(rng.sample(range(count), round(0.3 * count)))
    fail_deck = Deck(CRITERIA, rng)
    mode_decks = {c: Deck(FAIL_MODES[c], rng) for c in CRITERIA}
    n_fail_cycle = (1, 2, 3, 2, 1, 2)
    kind_deck = Deck(ESCALATION_KINDS, rng)
    at_deck = Deck(("start", "end"), rng)
    start_deck = Deck(("negative", "neutral", "neutral", "positive", "negative", "neutral", "positive"), rng)
    end_deck = Deck(("positive", "positive", "neutral", "positive", "neutral", "negative", "positive", "neutral"), rng)
    unhappy_deck = Deck(("negative", "neutral"), rng)
    decoy_deck = Deck(tuple(PASS_DECOYS), rng)
    n_decoys_cycle = (1, 0, 1, 1, 0, 1)
    topic_offset = rng.randrange(len(TOPICS))

    plans = []
    failing_seen = 0
    for i in range(count):
        failures: dict[str, str] = {}
        if i not in compliant:
            k = n_fail_cycle[failing_seen % len(n_fail_cycle)]
            failing_seen += 1
            chosen = []
            while len(chosen) < k:
                chosen.append(fail_deck.draw(lambda c: c not in chosen))
            for c in sorted(chosen, key=lambda c: c != "farewell"):   # farewell first: "late" greeting needs it
                failures[c] = mode_decks[c].draw(lambda m: fail_mode_fits(c, m, failures, language))
        escalation = kind_deck.draw() if i in escalating else None
        escalation_at = at_deck.draw() if escalation else "end"
        if escalation and escalation_at == "start":
            start = "negative"
        else:   # a cheerful opener does not end in a threat
            start = start_deck.draw(lambda m: not (escalation and m == "positive"))
        if escalation and escalation_at == "end":
            end = "negative"
        elif "resolution" in failures or "no_forbidden_phrases" in failures:
            end = unhappy_deck.draw()
        else:
            end = end_deck.draw()
        decoys: list[str] = []
        for _ in range(n_decoys_cycle[i % len(n_decoys_cycle)]):
            try:
                decoys.append(decoy_deck.draw(lambda d: d not in decoys and decoy_fits(d, failures, escalation, start)))
            except ValueError:
                break
        topic = TOPICS[(topic_offset + i) % len(TOPICS)]
        channels = 2 if i % 2 == 0 else 1
        voices, voice_label = synthetic.voices_for(rng, language)
        plans.append(CallPlan(
            name=f"{language}_{'stereo' if channels == 2 else 'mono'}_{i + 1:02d}_{topic}",
            language=language, channels=channels, topic=topic, failures=failures,
            escalation=escalation, escalation_at=escalation_at, start_sentiment=start, end_sentiment=end,
            decoys=tuple(decoys), ambiguity=None,
            greeting_second_turn="greeting" not in failures and rng.random() < 0.2,
            needs_in_opening=rng.random() < 0.6, voices=voices, voice_label=voice_label, bank=bank))

    # A few judgement calls, on calls whose other labels leave room for them.
    n_ambiguous = max(1, round(count / 15))
    kinds = Deck(tuple(AMBIGUITIES), rng)
    for _ in range(n_ambiguous):
        kind = kinds.draw()
        candidates = [k for k, p in enumerate(plans) if p.ambiguity is None and ambiguity_fits(kind, p.failures)]
        if candidates:
            k = rng.choice(candidates)
            plans[k] = replace(plans[k], ambiguity=kind)
    return plans


def compose(plan: CallPlan, layout: Layout, seed: int) -> list[Piece]:
    """The dialogue of one call as sentences, each tagged with what it stands for."""
    T = BANKS[plan.bank][plan.language]
    tp = T["topics"][plan.topic]
    rng = random.Random(f"{rng_salt(plan.bank)}:{seed}:{plan.name}")   # the same choices whatever the layout
    pick = rng.choice
    companies = tp.get("companies") or synthetic.TEXT[plan.language]["topics"][plan.topic]["companies"]
    fmt = {"company": pick(companies),
           "name": pick(T["operators"]), "acc": tp["acc"][0], "acc_gen": tp["acc"][1]}
    fails, end_mood = plan.failures, plan.end_sentiment
    pieces: list[Piece] = []

    def op(text: str, **kw) -> None:
        pieces.append(Piece(OP, text.format(**fmt), **kw))

    def cu(text: str, **kw) -> None:
        pieces.append(Piece(CU, text.format(**fmt), **kw))

    # Choices drawn up front keep the wording of a call the same whatever the layout.
    followups = list(tp["followups"])
    rng.shuffle(followups)
    ident_q, ident_a = pick(T["ident"])
    clarify_q, clarify_a = pick(tp["clarify"])
    hold, hold_ack = pick(T["hold"]), pick(T["hold_ack"])
    closing = pick(T["closing"][end_mood])
    reaction, second_reaction = rng.sample(T["reaction"][end_mood], 2)

    # --- opening: greeting, introduction, perhaps the needs question
    if plan.greeting_second_turn:
        op(pick(T["bare_open"]))
        cu(pick(T["line_check"]))
        op(T["yes"])
    opening_start = len(pieces)
    if "greeting" not in fails:
        op(pick(T["greeting"]), evidence="greeting")
    intro = fails.get("introduction")
    if intro is None:
        op(pick(T["intro"]), evidence="introduction")
    elif intro in ("name_only", "company_only"):
        op(pick(T[f"intro_{intro}"]), trap=("introduction", intro))
    needs = fails.get("needs_discovery")
    if needs is None and plan.needs_in_opening:
        op(pick(T["needs"]), evidence="needs_discovery")
    elif needs == "invitation_only":
        op(pick(T["invitation"]), trap=("needs_discovery", "invitation_only"))
    if len(pieces) == opening_start:
        op(pick(T["bare_open"]))

    # --- the customer's reason for calling, with the start mood
    if fails.get("greeting") == "customer_only":
        cu(pick(T["customer_greeting"]), trap=("greeting", "customer_only"))
    if plan.start_sentiment != "neutral":
        cu(pick(T["start"][plan.start_sentiment]), mood="start")
    cu(pick(tp["problems"]), mood="start")
    decoys = plan.decoys if layout.decoys else ()
    for decoy in ("manager_mention", "customer_dont_know", "negated_complaint"):
        key = "customer_says_dont_know" if decoy == "customer_dont_know" else decoy
        if key in decoys:
            cu(pick(T[decoy]), trap=(PASS_DECOYS[key], key))
    if fails.get("identification") == "customer_volunteers":
        cu(pick(T["volunteer_id"]), trap=("identification", "customer_volunteers"))
    escalation_line = None
    if plan.escalation:
        variant = plan.escalation + ESCALATION_VARIANT.get(plan.topic, "")
        escalation_line = pick(T["escalation"].get(variant) or T["escalation"][plan.escalation])
    if escalation_line and plan.escalation_at == "start":
        cu(escalation_line, escalation=True, mood="start")
        op(pick(T["escalation_ack"]))

    # --- identification, clarification, a hold
    if "identification" not in fails:
        op(ident_q, evidence="identification")
        cu(ident_a)
    if needs is None and (layout.clarify or not plan.needs_in_opening):
        op(clarify_q, evidence="needs_discovery")
        cu(clarify_a)
    if "cant_promise" in decoys:
        cu(pick(T["hurry"]))
        op(pick(T["cant_promise"]), trap=("no_forbidden_phrases", "cant_promise"))
    checks_first = plan.ambiguity == "dont_know_but_will_check"
    if checks_first:   # "не знаю точно, но сейчас уточню", then the operator checks
        cu(T["how_long"])
        op(T["dont_know_but_will_check"], trap=("no_forbidden_phrases", "dont_know_but_will_check"))
    late_hello = fails.get("greeting") == "late" and plan.language == "en"
    if layout.hold or late_hello or checks_first:
        if not checks_first:   # "сейчас уточню" already announced the check
            op(hold)
        cu(hold_ack)
        if late_hello:
            op(T["late_hello"], trap=("greeting", "late"))
            cu(T["yes"])
        op(T["thanks_wait"])

    # --- the solution (or not), the customer's reaction with the end mood
    resolution = fails.get("resolution")
    if plan.ambiguity == "callback_without_time":
        op(T["callback_without_time"], evidence="resolution")
    elif resolution is None:
        op(pick(tp["resolutions"]), evidence="resolution")
    else:
        op(pick(T["non_answer" if resolution == "non_answer" else "vague"]), trap=("resolution", resolution))
    if "operator_offers_supervisor" in decoys:
        op(T["offer_supervisor"], trap=("escalation", "operator_offers_supervisor"))
        cu(T["decline_transfer"])
    cu(reaction, mood="end")
    extra_mode = fails.get("extra_help")
    n_follow = layout.followups if resolution is None else 0
    for q, a in followups[:n_follow]:
        cu(q)
        op(a)
    if "no_forbidden_phrases" in fails:
        cu(pick(T["trigger"]))
        op(pick(T["forbidden"]), evidence="no_forbidden_phrases")
    if escalation_line and plan.escalation_at == "end":
        cu(escalation_line, escalation=True, mood="end")
        op(pick(T["escalation_ack"]))

    # --- anything else?
    if extra_mode is None:
        op(pick(T["extra"]), evidence="extra_help")
        cu(pick(T["extra_answer"][end_mood]), mood="end")
    elif extra_mode == "check_understanding":
        op(pick(T["check"]), trap=("extra_help", "check_understanding"))
        cu(pick(T["check_answer"][end_mood]), mood="end")
    elif extra_mode == "customer_asks_more":
        q, a = followups[-1]
        cu(T["one_more"], trap=("extra_help", "customer_asks_more"))
        op(T["sure"])
        cu(q)
        op(a)
        cu(second_reaction, mood="end")

    # --- farewell
    farewell = fails.get("farewell")
    if farewell is None:
        if fails.get("greeting") == "late" and plan.language == "ru":
            op(pick(T["late_greeting_farewell"]), evidence="farewell", trap=("greeting", "late"))
        else:
            op(pick(T["farewell"]), evidence="farewell")
        if layout.closing:
            cu(closing, mood="end")
    elif farewell == "customer_only":
        cu(pick(T["customer_bye"][end_mood]), mood="end", trap=("farewell", "customer_only"))
        op(pick(T["no_farewell_ack"]))
    elif rng.random() < 0.5:
        op(pick(T["flat_end"]))
    return pieces


def merge_turns(pieces: Sequence[Piece]) -> list[list[Piece]]:
    """Consecutive sentences of one speaker form one turn."""
    turns: list[list[Piece]] = []
    for piece in pieces:
        if turns and turns[-1][0].speaker == piece.speaker:
            turns[-1].append(piece)
        else:
            turns.append([piece])
    return turns


def turn_texts(turns: Iterable[list[Piece]]) -> list[tuple[str, str]]:
    return [(t[0].speaker, " ".join(p.text for p in t)) for t in turns]


def fit_layout(plan: CallPlan, seed: int) -> tuple[Layout, list[list[Piece]]]:
    """Switch optional exchanges on or off until the estimated length is inside the call's
    target (its upper end drawn per call, so lengths spread over TARGET_S)."""
    rng = random.Random(f"{rng_salt(plan.bank)}-layout:{seed}:{plan.name}")
    layout = Layout(clarify=rng.random() < 0.3, hold=rng.random() < 0.3,
                    followups=rng.choice((0, 0, 1)), closing=rng.random() < 0.4)
    lo, hi = TARGET_S[0], rng.choice((TARGET_S[0] + 10, TARGET_S[0] + 18, TARGET_S[1]))
    grow = (("closing", True), ("hold", True), ("clarify", True), ("followups", 1), ("followups", 2))
    shrink = (("followups", 1), ("followups", 0), ("closing", False), ("clarify", False), ("hold", False))
    for _ in range(12):
        turns = merge_turns(compose(plan, layout, seed))
        est = synthetic.estimate_s(plan.language, turn_texts(turns), plan.voices)
        steps = grow if est < lo else shrink if est > hi else ()
        if est > LONGEST_S:
            steps = (*shrink, ("decoys", False))
        for name, value in steps:
            now = getattr(layout, name)
            if (est < lo and now < value) or (est > hi and now > value):
                layout = replace(layout, **{name: value})
                break
        else:
            break
    return layout, turns


# ---------------------------------------------------------------------------
# Truth
# ---------------------------------------------------------------------------
def build_truth(plan: CallPlan, turns: list[list[Piece]], synth: dict, seed: int) -> dict:
    """The truth file of one synthesised call: make_samples' timing fields and the labels by construction."""
    evidence: dict[str, dict | None] = {c: None for c in CRITERIA}
    evidence["escalation"] = None
    hard_negatives, mood_turns = [], {"start": [], "end": []}
    for index, turn in enumerate(turns):
        for piece in turn:
            if piece.evidence and evidence[piece.evidence] is None:
                evidence[piece.evidence] = {"turn": index, "text": piece.text}
            if piece.escalation and evidence["escalation"] is None:
                evidence["escalation"] = {"turn": index, "text": piece.text}
            if piece.trap:
                criterion, kind = piece.trap
                label = (str(bool(plan.escalation)).lower() if criterion == "escalation"
                         else plan.criteria_truth()[criterion])
                hard_negatives.append({"criterion": criterion, "kind": kind, "truth": label,
                                       "turn": index, "text": piece.text})
            if piece.mood and index not in mood_turns[piece.mood]:
                mood_turns[piece.mood].append(index)
    truth = {
        "file": synth["file"],
        "language": plan.language,
        "channels": plan.channels,
        "operator_channel": synth["operator_channel"],
        "duration": synth["duration"],
        "topic": synth["topic"],
        "turns": synth["turns"],
        "criteria_truth": plan.criteria_truth(),
        "failure_modes": dict(sorted(plan.failures.items(), key=lambda kv: CRITERIA.index(kv[0]))),
        "escalation": plan.escalation is not None,
        "escalation_kind": plan.escalation,
        "customer_start_sentiment": plan.start_sentiment,
        "customer_end_sentiment": plan.end_sentiment,
        "ambiguous": plan.ambiguity is not None,
        "ambiguity": plan.ambiguity,
        "notes": describe(plan, [h["kind"] for h in hard_negatives if h["kind"] in PASS_DECOYS]),
        "evidence": evidence,
        "hard_negatives": hard_negatives,
        "sentiment_turns": mood_turns,
        "voices": plan.voice_label,
        "generator": generator_info(plan.bank, seed=seed),
        "rules": RULES,
    }
    return truth


def generator_info(bank: str, **fields) -> dict:
    """The truth's and index's "generator" record; "bank" only for a bank other than the
    default, so dev-bank files stay as they were."""
    info = {"script": "benchmarks/datasets/make_qa_devset.py", "schema": SCHEMA, **fields}
    if bank != DEFAULT_BANK:
        info["bank"] = bank
    return info


def describe(plan: CallPlan, decoys: Sequence[str]) -> str:
    parts = []
    if plan.failures:
        parts.append("fails: " + ", ".join(f"{c} ({m})" for c, m in plan.failures.items()))
    else:
        parts.append("all criteria pass")
    if plan.escalation:
        parts.append(f"escalation: {plan.escalation} at the {plan.escalation_at}")
    if decoys:
        parts.append("hard negatives that change no label: " + ", ".join(decoys))
    if plan.ambiguity:
        parts.append(f"ambiguous ({plan.ambiguity}): {AMBIGUITY_DECISIONS[plan.ambiguity]}")
    if plan.greeting_second_turn:
        parts.append("the operator greets in the second turn, after a line check")
    parts.append(f"customer mood {plan.start_sentiment} -> {plan.end_sentiment}")
    return "; ".join(parts)


def validate_truth(truth: dict, audio_dir: Path | None = None) -> list[str]:
    """Schema and construction checks of one truth file; returns what is wrong."""
    name = truth.get("file", "?")
    problems: list[str] = []

    def bad(msg: str) -> None:
        problems.append(f"{name}: {msg}")

    need = {"file": str, "language": str, "channels": int, "duration": (int, float), "topic": str, "turns": list,
            "criteria_truth": dict, "escalation": bool, "customer_start_sentiment": str,
            "customer_end_sentiment": str, "ambiguous": bool, "notes": str, "evidence": dict,
            "hard_negatives": list, "sentiment_turns": dict, "rules": list}
    for key, typ in need.items():
        if not isinstance(truth.get(key), typ):
            bad(f"field {key!r} missing or not {typ}")
    if problems:
        return problems
    if truth["language"] not in ("ru", "en"):
        bad(f"language {truth['language']!r}")
    if truth["channels"] not in (1, 2):
        bad(f"channels {truth['channels']}")
    if audio_dir is not None and not (audio_dir / truth["file"]).is_file():
        bad("audio file missing")
    if set(truth["criteria_truth"]) != set(CRITERIA) or not set(truth["criteria_truth"].values()) <= {P, F}:
        bad(f"criteria_truth {truth['criteria_truth']}")
    for key in ("customer_start_sentiment", "customer_end_sentiment"):
        if truth[key] not in SENTIMENTS:
            bad(f"{key} {truth[key]!r}")
    if truth["escalation"] != (truth.get("escalation_kind") in ESCALATION_KINDS):
        bad(f"escalation {truth['escalation']} vs kind {truth.get('escalation_kind')!r}")
    if not DURATION[0] <= truth["duration"] <= DURATION[1]:
        bad(f"duration {truth['duration']} s outside {DURATION[0]:.0f}-{DURATION[1]:.0f} s")

    turns = truth["turns"]
    last_end = 0.0
    for i, t in enumerate(turns):
        if t.get("speaker") not in (OP, CU) or not isinstance(t.get("text"), str) or not t["text"]:
            bad(f"turn {i} malformed")
            return problems
        if not last_end <= t["start"] < t["end"] <= truth["duration"]:
            bad(f"turn {i} times {t['start']}-{t['end']} out of order")
        last_end = t["end"]

    def turn_of(entry: dict | None) -> dict | None:
        return turns[entry["turn"]] if entry and 0 <= entry.get("turn", -1) < len(turns) else None

    ev = truth["evidence"]
    for c in CRITERIA:
        t = turn_of(ev.get(c))
        if ev.get(c) and (t is None or t["speaker"] != OP or ev[c]["text"] not in t["text"]):
            bad(f"evidence of {c} does not point at an operator turn that says it")
        expect_evidence = truth["criteria_truth"][c] == (F if c == "no_forbidden_phrases" else P)
        if expect_evidence != (t is not None):
            bad(f"{c} is {truth['criteria_truth'][c]} but evidence is {ev.get(c)}")
    esc_turn = turn_of(ev.get("escalation"))
    if truth["escalation"] != (esc_turn is not None and esc_turn["speaker"] == CU):
        bad("escalation without a customer turn that escalates (or the reverse)")

    # Positions the rules depend on.
    op_turns = [i for i, t in enumerate(turns) if t["speaker"] == OP]
    if ev.get("greeting") and turns[ev["greeting"]["turn"]]["start"] > GREETING_WINDOW_S:
        bad("greeting evidence starts after the greeting window")
    if ev.get("introduction") and turns[ev["introduction"]["turn"]]["start"] > INTRODUCTION_WINDOW_S:
        bad("introduction evidence starts after the introduction window")
    if ev.get("farewell") and ev["farewell"]["turn"] != op_turns[-1]:
        bad("farewell evidence is not the operator's last turn")
    if ev.get("extra_help") and ev.get("resolution") and ev["extra_help"]["turn"] < ev["resolution"]["turn"]:
        bad("extra help offered before the solution")
    for hn in truth["hard_negatives"]:
        t = turn_of(hn)
        if t is None or hn["text"] not in t["text"]:
            bad(f"hard negative {hn} does not point at its turn")
        elif hn["criterion"] == "greeting" and hn["kind"] == "late" and t["start"] <= GREETING_WINDOW_S:
            bad("the late greeting falls inside the greeting window")

    # The sentiments must sit where the rules look for them.
    third = truth["duration"] / 3
    moods = truth["sentiment_turns"]
    if not any(turns[i]["start"] < third for i in moods.get("start", [])):
        bad("no start-mood customer turn begins in the first third")
    if not any(turns[i]["end"] > 2 * third for i in moods.get("end", [])):
        bad("no end-mood customer turn reaches into the last third")
    if truth["customer_start_sentiment"] != truth["customer_end_sentiment"] and any(
            turns[i]["end"] > 2 * third for i in moods.get("start", [])):
        bad("a start-mood turn reaches into the last third")
    return problems


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------
def summarise(truths: list[dict]) -> dict:
    def group(t: dict) -> str:
        return f"{t['language']}_{'stereo' if t['channels'] == 2 else 'mono'}"

    n_failed = Counter(sum(v == F for v in t["criteria_truth"].values()) for t in truths)
    return {
        "calls": len(truths),
        "audio_min": round(sum(t["duration"] for t in truths) / 60, 1),
        "duration_s": {"min": min(t["duration"] for t in truths), "max": max(t["duration"] for t in truths)},
        "by_group": dict(sorted(Counter(group(t) for t in truths).items())),
        "compliant": n_failed.get(0, 0),
        "failed_criteria_per_call": {str(k): n_failed[k] for k in sorted(n_failed)},
        "criteria": {c: {lang: {P: sum(t["criteria_truth"][c] == P for t in truths if t["language"] == lang),
                                F: sum(t["criteria_truth"][c] == F for t in truths if t["language"] == lang)}
                         for lang in sorted({t["language"] for t in truths})} for c in CRITERIA},
        "escalation": sum(t["escalation"] for t in truths),
        "escalation_kinds": dict(sorted(Counter(t["escalation_kind"] for t in truths if t["escalation"]).items())),
        "customer_start_sentiment": {s: sum(t["customer_start_sentiment"] == s for t in truths) for s in SENTIMENTS},
        "customer_end_sentiment": {s: sum(t["customer_end_sentiment"] == s for t in truths) for s in SENTIMENTS},
        "ambiguous": sum(t["ambiguous"] for t in truths),
        "failure_modes": dict(sorted(Counter(f"{c}/{m}" for t in truths
                                             for c, m in t["failure_modes"].items()).items())),
        "hard_negatives": dict(sorted(Counter(f"{h['criterion']}/{h['kind']}" for t in truths
                                              for h in t["hard_negatives"]).items())),
    }


def print_summary(summary: dict) -> None:
    langs = sorted(next(iter(summary["criteria"].values())))
    print(f"{summary['calls']} calls, {summary['audio_min']} min of audio, "
          f"{summary['duration_s']['min']:.1f}-{summary['duration_s']['max']:.1f} s each; "
          + ", ".join(f"{k} {v}" for k, v in summary["by_group"].items()))
    head = "criterion".ljust(22) + "".join(f"{lang + ' pass':>9}{lang + ' fail':>9}" for lang in langs)
    print(head)
    for c, per_lang in summary["criteria"].items():
        print(c.ljust(22) + "".join(f"{per_lang[lang][P]:>9}{per_lang[lang][F]:>9}" for lang in langs))
    print(f"compliant (no failed criterion): {summary['compliant']}; failed criteria per call: "
          f"{summary['failed_criteria_per_call']}")
    print(f"escalation: {summary['escalation']} ({summary['escalation_kinds']})")
    print(f"customer start sentiment: {summary['customer_start_sentiment']}")
    print(f"customer end sentiment:   {summary['customer_end_sentiment']}")
    print(f"ambiguous: {summary['ambiguous']}")
    print(f"failure modes: {summary['failure_modes']}")
    print(f"hard negatives: {summary['hard_negatives']}")


def literal_share(truths: list[dict], card) -> str:
    """How many evidence sentences the scorecard's lemma matcher finds (literal scorecard
    phrases) rather than paraphrases: information on the set, not part of the truth."""
    found = total = 0
    for t in truths:
        lem = ms.load_lemmatizer(t["language"])
        for criterion in card.criteria:
            if criterion.id not in CRITERIA or not t["evidence"].get(criterion.id):
                continue
            phrases = criterion.phrases.get(t["language"], ())
            tokens = lem.tokens(t["evidence"][criterion.id]["text"])
            total += 1
            found += bool(ms.PhraseMatcher(lem, phrases, max_gap=card.max_gap).find_all(tokens))
    return f"{found} of {total} evidence sentences contain a phrase of scorecard {card.name} v{card.version}"


# ---------------------------------------------------------------------------
def write_json(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def check_dir(out_dir: Path) -> int:
    truths = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out_dir.glob("*.truth.json"))]
    problems = [msg for t in truths for msg in validate_truth(t, out_dir)]
    index = out_dir / "index.json"
    if index.is_file():
        listed = {c["truth"] for c in json.loads(index.read_text(encoding="utf-8"))["calls"]}
        on_disk = {p.name for p in out_dir.glob("*.truth.json")}
        if listed != on_disk:
            problems.append(f"index.json lists {len(listed)} calls, the folder has {len(on_disk)} truth files")
    else:
        problems.append("index.json missing")
    for msg in problems:
        print(msg)
    print(f"checked {len(truths)} truth files in {out_dir}: " + ("ok" if not problems else f"{len(problems)} problems"))
    return 0 if truths and not problems else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="output folder (default benchmarks/data/qa_dev; qa_BANK with --bank heldout|unseen)")
    ap.add_argument("--count", type=int, default=60,
                    help="number of calls, split evenly between languages (default 60)")
    ap.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same set (default 0)")
    ap.add_argument("--only-language", choices=("ru", "en"), help="generate calls in one language only")
    ap.add_argument("--jobs", type=int, default=2, help="calls synthesised in parallel (default 2)")
    ap.add_argument("--bank", choices=tuple(BANKS), default=DEFAULT_BANK,
                    help="sentence bank: dev (default; the wording the scorecard was tuned on), heldout or unseen "
                         "(fresh wording, same places and labelling rules, for figures that are not optimistic; "
                         "unseen was written without seeing the scorecard)")
    ap.add_argument("--check", action="store_true", help="only validate the truth files in --out")
    args = ap.parse_args(argv)
    out_dir = (Path(args.out) if args.out
               else BENCHMARKS / "data" / ("qa_dev" if args.bank == DEFAULT_BANK else f"qa_{args.bank}"))
    if args.check:
        return check_dir(out_dir)
    if args.count < 1:
        raise SystemExit("--count must be at least 1")
    problems = bank_problems(args.bank)
    if problems:
        raise SystemExit(f"sentence bank {args.bank!r} is not usable:\n  " + "\n  ".join(problems))

    t0 = time.perf_counter()
    languages = (args.only_language,) if args.only_language else ("ru", "en")
    per_lang = {lang: args.count // len(languages) + (i < args.count % len(languages))
                for i, lang in enumerate(languages)}
    plans = [p for lang in languages for p in plan_language(lang, per_lang[lang], args.seed, args.bank)]
    ms.check_tools(set(languages))
    card = ms.load_scorecard(ms.SCORECARD)

    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        if old.is_file() and (NAME_RE.match(old.name) or old.name == "index.json"):
            old.unlink()

    def build(plan: CallPlan) -> dict:
        _layout, turns = fit_layout(plan, args.seed)
        call = {"name": plan.name, "language": plan.language, "channels": plan.channels,
                "topic": synthetic.TOPIC_TITLES[plan.topic], "turns": turn_texts(turns), "voices": plan.voices,
                # build_call wants the product's criteria, reason and outcome; its samples-style fields are not kept
                "expected_criteria": {c: plan.criteria_truth().get(c, P) for c in ms.CRITERIA},
                "expected_reason": None, "expected_outcome": None}
        synth = ms.build_call(call, out_dir, card)
        truth = build_truth(plan, turns, synth, args.seed)
        write_json(out_dir / f"{plan.name}.truth.json", truth)
        return truth

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        truths = list(pool.map(build, plans))
    elapsed = time.perf_counter() - t0

    summary = summarise(truths)
    write_json(out_dir / "index.json", {
        "generator": generator_info(args.bank, seed=args.seed, count=len(truths), languages=list(languages),
                                    seconds=round(elapsed, 1)),
        "counts": summary,
        "rules": RULES,
        "calls": [{"name": Path(t["file"]).stem, "file": t["file"], "truth": f"{Path(t['file']).stem}.truth.json",
                   "language": t["language"], "channels": t["channels"], "duration": t["duration"],
                   "failed": [c for c in CRITERIA if t["criteria_truth"][c] == F],
                   "escalation": t["escalation_kind"], "start_sentiment": t["customer_start_sentiment"],
                   "end_sentiment": t["customer_end_sentiment"], "ambiguous": t["ambiguous"]} for t in truths],
    })
    print_summary(summary)
    print(literal_share(truths, card))
    problems = [msg for t in truths for msg in validate_truth(t, out_dir)]
    for msg in problems:
        print("problem:", msg, file=sys.stderr)
    print(f"wrote {len(truths)} calls to {out_dir} in {elapsed:.1f} s "
          f"(bank {args.bank}, seed {args.seed}, jobs {args.jobs})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
