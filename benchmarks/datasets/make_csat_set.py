#!/usr/bin/env python3
"""Generate a labelled set for predicted satisfaction: written call dialogues with a CSAT label.

There are no real surveys here, so this is a **constructed** set. Each dialogue is written
(Russian or English) from one of the scenarios below, with timings (turn lengths from word
counts, pauses, announced holds, unannounced dead air, overlapping speech) and the scenario's
call outcome. Its CSAT label comes from the scenario by the rubric below, which was written
before the satisfaction model was run on any dialogue, and the label is never changed by
what the model says.

Rubric: what a customer in this scenario would most plausibly answer to "How satisfied are
you with this call, 1-5?":

- **5**: got what they called for, quickly, and said they were pleased.
- **4**: got what they called for but with friction (arrived angry, or threatened to leave
  before accepting an offer), or nothing solved yet but a concrete plan they accepted warmly.
- **3**: nothing solved yet, a plan (ticket, callback) or a transfer to the right department,
  customer neutral; or solved only after minutes on hold and in silence, customer irritated
  by the wait.
- **2**: not solved, customer polite but disappointed; transferred again after being bounced
  around, annoyed; or a follow-up promised at the end of an argument (both talking over
  each other).
- **1**: not solved, customer angry and escalating (asks for a manager, threatens a
  complaint or a regulator) or leaving (cancels the contract).

A short announced hold (under a minute), an identification step or the topic (connection,
billing, delivery) changes no label: they are there so the model meets what does not matter.

| scenario                    | outcome      | timing                                  | CSAT |
|-----------------------------|--------------|-----------------------------------------|------|
| happy_resolved              | resolved     | brisk                                   | 5    |
| order_placed                | order_placed | brisk                                   | 5    |
| resolved_after_frustration  | resolved     | brisk                                   | 4    |
| retention_offer             | order_placed | brisk (customer threatens to cancel)    | 4    |
| follow_up_accepted          | follow_up    | brisk                                   | 4    |
| follow_up_neutral           | follow_up    | brisk                                   | 3    |
| transferred_neutral         | transferred  | brisk                                   | 3    |
| long_hold_resolved          | resolved     | 150-240 s hold, then 25-60 s dead air   | 3    |
| unresolved_polite           | unresolved   | brisk                                   | 2    |
| transferred_bounced         | transferred  | brisk                                   | 2    |
| overtalk_argument           | follow_up    | 1.5-3 s overlaps on three turns         | 2    |
| angry_escalated             | unresolved   | brisk                                   | 1    |
| angry_cancel                | unresolved   | brisk                                   | 1    |

What the set can and cannot say: the same person wrote the rubric and the model's default
weights, from the same beliefs about what drives CSAT (the outcome, the customer's mood at
the end, escalation, waiting). Agreement on it therefore measures whether the product's
real sentiment model, escalation detector and conversation metrics recover those things
from the words and timings, and whether the weights put the scenarios in the right order;
it does not measure how real customers answer surveys. Only imported real CSAT can
(``callqa csat-agreement``).

    .venv/bin/python benchmarks/datasets/make_csat_set.py [--variants 4] [--seed 0] [--out benchmarks/data/csat_set]

Writes ``dialogues.json``: {"rubric": ..., "dialogues": [{id, language, scenario, topic,
outcome, csat, duration_s, turns: [{speaker, start, end, text}]}]}.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1]
DEFAULT_OUT = BENCHMARKS / "data" / "csat_set"

OP, CU = "operator", "customer"
WORDS_PER_S = 2.6
PAUSE_S = (0.3, 1.1)
SHORT_HOLD_S = (15.0, 45.0)  # under the first, free minute of a hold
SHORT_HOLD_SHARE = 0.35  # of dialogues whose scenario has no hold of its own


@dataclass(frozen=True)
class Line:
    speaker: str
    options: tuple[str, ...]  # one is picked per dialogue
    after: str | None = None  # "hold" | "dead": the gap after this line; "overlap": starts before the previous ends


def line(speaker: str, *options: str, after: str | None = None) -> Line:
    return Line(speaker, options, after)


@dataclass(frozen=True)
class Scenario:
    name: str
    outcome: str
    csat: int
    angry_open: bool  # the customer opens upset (the topic's angry wording)
    with_topic: bool  # the customer opens with a problem (else the scenario's own opening)
    body: dict[str, tuple[Line, ...]]  # language -> lines after the opening
    hold_s: tuple[float, float] | None = None  # the scenario's own long hold
    dead_s: tuple[float, float] | None = None
    overlap_s: tuple[float, float] | None = None
    topics: tuple[str, ...] = ("connection", "billing", "delivery")  # the openings the body's words fit


GREETINGS = {
    "ru": ("Здравствуйте, компания Связь-Плюс, меня зовут Анна. Чем могу помочь?",
           "Добрый день, служба поддержки, Илья слушает. Что у вас случилось?",
           "Здравствуйте! Оператор Мария, слушаю вас."),
    "en": ("Hello, Connect Plus support, this is Anna. How can I help?",
           "Good afternoon, customer service, Mike speaking. What can I do for you?",
           "Hi, thanks for calling, my name is Sarah. How can I help you today?"),
}
TOPICS = {
    "connection": {
        "ru": ("У меня со вчерашнего вечера не работает интернет.", "У меня опять не работает интернет, уже третий день!"),
        "en": ("My internet has not been working since last night.", "My internet is down again, for the third day in a row!"),
    },
    "billing": {
        "ru": ("Мне в этом месяце дважды списали абонентскую плату.", "С меня второй раз списали деньги за месяц, что это такое?"),
        "en": ("I was charged the monthly fee twice this month.", "You charged me twice for the same month, what is going on?"),
    },
    "delivery": {
        "ru": ("Я жду заказ, он должен был прийти вчера, но его всё нет.", "Мой заказ опаздывает уже на неделю, сколько можно ждать?"),
        "en": ("I'm waiting for my order, it was due yesterday but it hasn't come.", "My order is a week late, how long am I supposed to wait?"),
    },
}
IDENTIFY = {
    "ru": (line(OP, "Назовите, пожалуйста, номер договора.", "Подскажите номер вашего договора, пожалуйста."),
           line(CU, "Да, четыре пять семь один два.", "Сейчас... три девять ноль шесть восемь.")),
    "en": (line(OP, "Could you give me your account number, please?", "Can I have your account number, please?"),
           line(CU, "Sure, it's four five seven one two.", "Yes, one moment... three nine zero six eight.")),
}
SHORT_HOLD = {
    "ru": line(OP, "Одну минуту, проверю.", "Секунду, сейчас посмотрю.", after="hold"),
    "en": line(OP, "One moment, let me check.", "Please hold, I'll take a look.", after="hold"),
}

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("happy_resolved", "resolved", 5, False, True, {
        "ru": (line(OP, "Я проверил: ошибка была на нашей стороне, я всё исправил.",
                    "Нашёл причину, уже исправил, всё должно работать."),
               line(CU, "Ой, правда? Сейчас проверю... Да, всё работает!", "Отлично, вижу, всё в порядке."),
               line(OP, "Могу ещё чем-нибудь помочь?", "Что-нибудь ещё подсказать?"),
               line(CU, "Нет, спасибо большое, вы очень помогли!", "Нет, всё отлично, спасибо вам огромное!"),
               line(OP, "Всего доброго, хорошего дня!", "Спасибо за обращение, до свидания!")),
        "en": (line(OP, "I've checked: the error was on our side and I've fixed it.",
                    "I found the cause and fixed it, everything should work now."),
               line(CU, "Oh, really? Let me check... Yes, it works now!", "Great, I can see it's all fine now."),
               line(OP, "Is there anything else I can help with?", "Anything else I can do for you?"),
               line(CU, "No, that's all, thank you so much, you've been really helpful!",
                    "No, everything is perfect, thanks a lot!"),
               line(OP, "Have a great day, goodbye!", "Thanks for calling, take care!")),
    }),
    Scenario("order_placed", "order_placed", 5, False, False, {
        "ru": (line(CU, "Здравствуйте, я хочу перейти на тариф побыстрее, что у вас есть?",
                    "Добрый день, хочу заказать роутер помощнее, подскажете?"),
               line(OP, "Конечно! Есть вариант за шестьсот рублей в месяц, подключить?",
                    "Да, есть хорошая модель, доставим завтра, оформить?"),
               line(CU, "Да, отлично, оформляйте!", "Да, давайте, меня всё устраивает."),
               line(OP, "Готово, всё оформлено, подтверждение придёт в смс.", "Оформил, завтра всё будет."),
               line(CU, "Замечательно, спасибо вам большое!", "Супер, спасибо, очень удобно!"),
               line(OP, "Всего доброго!", "Хорошего дня, до свидания!")),
        "en": (line(CU, "Hi, I'd like to upgrade to a faster plan, what do you have?",
                    "Hello, I want to order a better router, can you help?"),
               line(OP, "Of course! There's a plan at thirty dollars a month, shall I switch you?",
                    "Yes, we have a great model, delivered tomorrow, shall I order it?"),
               line(CU, "Yes, great, please go ahead!", "Yes, let's do it, that sounds perfect."),
               line(OP, "Done, it's all set, you'll get a confirmation by text.", "Ordered, it'll be there tomorrow."),
               line(CU, "Wonderful, thank you so much!", "Excellent, thanks, that was easy!"),
               line(OP, "Have a nice day!", "Take care, goodbye!")),
    }),
    Scenario("resolved_after_frustration", "resolved", 4, True, True, {
        "ru": (line(CU, "Это просто безобразие, я уже устал звонить!", "Честно, я очень зол, это не первый раз."),
               line(OP, "Понимаю вас, извините за неудобства. Сейчас разберусь.",
                    "Приношу извинения. Давайте я сейчас всё проверю."),
               line(OP, "Нашёл причину, исправил и вернул вам деньги за эти дни.",
                    "Всё исправил, и начислил вам компенсацию."),
               line(CU, "Ну ладно, хорошо, спасибо, что решили.", "Хорошо, спасибо, что наконец разобрались."),
               line(OP, "Чем-то ещё могу помочь?", "Ещё что-нибудь подсказать?"),
               line(CU, "Нет, спасибо.", "Нет, на этом всё, спасибо."),
               line(OP, "Всего доброго!", "До свидания!")),
        "en": (line(CU, "This is ridiculous, I'm tired of calling you!", "Honestly, I'm really angry, this is not the first time."),
               line(OP, "I understand, and I'm sorry for the trouble. Let me sort it out.",
                    "I apologise. Let me look into it right now."),
               line(OP, "I found the cause, fixed it, and refunded you for those days.",
                    "It's fixed now, and I've added a credit to your account."),
               line(CU, "Okay, fine, thanks for solving it.", "Alright, thank you for finally sorting it out."),
               line(OP, "Anything else I can help with?", "Is there anything else?"),
               line(CU, "No, thanks.", "No, that's it, thanks."),
               line(OP, "Goodbye!", "Have a good day!")),
    }, topics=("connection", "billing")),
    Scenario("retention_offer", "order_placed", 4, False, False, {
        "ru": (line(CU, "Здравствуйте. Я хочу расторгнуть договор, у вас слишком дорого.",
                    "Добрый день, я решил отказаться от ваших услуг, очень дорого выходит."),
               line(OP, "Жаль это слышать. Могу предложить скидку тридцать процентов на полгода.",
                    "Понимаю. А если я дам вам скидку тридцать процентов на шесть месяцев?"),
               line(CU, "Хм, тридцать процентов? Ну, это уже интереснее.", "Скидка? Ну, тогда можно подумать."),
               line(OP, "Оформить скидку вместо расторжения?", "Подключаю скидку, хорошо?"),
               line(CU, "Да, давайте, так меня устраивает.", "Да, подключайте, так нормально."),
               line(OP, "Готово, скидка уже действует.", "Сделал, скидка подключена."),
               line(CU, "Хорошо, спасибо.", "Ладно, спасибо, до свидания."),
               line(OP, "Спасибо, что остаётесь с нами!", "Всего доброго!")),
        "en": (line(CU, "Hello. I want to cancel my contract, it's too expensive.",
                    "Hi, I've decided to terminate my contract, you're just too expensive."),
               line(OP, "I'm sorry to hear that. I can offer you thirty percent off for six months.",
                    "I understand. What if I give you a thirty percent discount for six months?"),
               line(CU, "Hmm, thirty percent? Well, that's more interesting.", "A discount? Okay, I could consider that."),
               line(OP, "Shall I apply the discount instead?", "Shall I set up the discount for you?"),
               line(CU, "Yes, go ahead, that works for me.", "Yes, please, that's fine."),
               line(OP, "Done, the discount is active now.", "All set, the discount is on."),
               line(CU, "Okay, thanks.", "Alright, thank you, bye."),
               line(OP, "Thanks for staying with us!", "Have a good day!")),
    }),
    Scenario("follow_up_accepted", "follow_up", 4, False, True, {
        "ru": (line(OP, "Вижу проблему, её решают наши инженеры. Я создал заявку, с вами свяжутся завтра до обеда.",
                    "Это нужно сделать специалисту. Я оформил заявку, мастер позвонит вам завтра утром."),
               line(CU, "Хорошо, понятно. Спасибо, что объяснили.", "Отлично, спасибо, так меня устраивает."),
               line(OP, "Номер заявки придёт в смс. Чем-то ещё помочь?", "Номер заявки я отправил в смс. Что-то ещё?"),
               line(CU, "Нет, спасибо, буду ждать. Хорошего дня!", "Нет, всё понятно, спасибо большое!"),
               line(OP, "Всего доброго!", "До свидания!")),
        "en": (line(OP, "I can see the problem, our engineers handle it. I've opened a ticket, they'll call you tomorrow morning.",
                    "This needs a technician. I've booked one, they'll call you tomorrow before noon."),
               line(CU, "Okay, I see. Thanks for explaining.", "Great, thank you, that works for me."),
               line(OP, "You'll get the ticket number by text. Anything else?", "I've texted you the ticket number. Anything else?"),
               line(CU, "No, thanks, I'll wait for the call. Have a nice day!", "No, that's clear, thanks a lot!"),
               line(OP, "Goodbye!", "Take care!")),
    }, topics=("connection",)),
    Scenario("follow_up_neutral", "follow_up", 3, False, True, {
        "ru": (line(OP, "Я передам вопрос в технический отдел, ответ будет в течение трёх рабочих дней.",
                    "Оформлю обращение, его рассмотрят в течение трёх дней."),
               line(CU, "Три дня? Ну ладно.", "Три дня... Ну хорошо."),
               line(OP, "Номер обращения придёт в смс.", "Номер заявки вам придёт в смс."),
               line(CU, "Понятно. Жду.", "Ясно. Буду ждать."),
               line(OP, "До свидания.", "Всего доброго."),
               line(CU, "До свидания.", "Угу, до свидания.")),
        "en": (line(OP, "I'll pass this to the technical team, you'll get an answer within three working days.",
                    "I'll log a request, it will be reviewed within three days."),
               line(CU, "Three days? Okay then.", "Three days... Alright."),
               line(OP, "You'll get the reference number by text.", "The ticket number will come by text."),
               line(CU, "I see. I'll wait.", "Okay. I'll wait."),
               line(OP, "Goodbye.", "Have a good day."),
               line(CU, "Bye.", "Okay, bye.")),
    }),
    Scenario("transferred_neutral", "transferred", 3, False, True, {
        "ru": (line(OP, "Этим вопросом занимается другой отдел. Сейчас переключу вас на коллег.",
                    "С этим вам помогут в отделе претензий, я вас соединю."),
               line(CU, "Хорошо, переключайте.", "Ладно, соединяйте."),
               line(OP, "Переключаю, оставайтесь на линии.", "Соединяю, не кладите трубку."),
               line(CU, "Жду.", "Хорошо.")),
        "en": (line(OP, "Another department handles this. I'll transfer you to my colleagues now.",
                    "Our billing team can help with that, I'll put you through."),
               line(CU, "Okay, go ahead.", "Alright, put me through."),
               line(OP, "Transferring you now, please stay on the line.", "Connecting you, please don't hang up."),
               line(CU, "Okay.", "Sure.")),
    }),
    Scenario("long_hold_resolved", "resolved", 3, False, True, {
        "ru": (line(OP, "Одну минуту, проверю.", "Подождите, пожалуйста, я уточню.", after="hold"),
               line(OP, "Вы ещё на линии? Ещё немного.", "Алло, вы здесь? Я ещё смотрю.", after="dead"),
               line(CU, "Алло? Я уже несколько минут жду, сколько можно?", "Вы там? Я жду уже целую вечность."),
               line(OP, "Извините за ожидание. Всё исправил, теперь работает.", "Простите, что долго. Исправил, проверьте."),
               line(CU, "Ладно, хорошо, что работает. Но ждать так долго — это слишком.",
                    "Работает. Но столько ждать, конечно, неприятно."),
               line(OP, "Ещё раз извините. Всего доброго.", "Извините. До свидания.")),
        "en": (line(OP, "One moment, let me check.", "Please hold while I look into it.", after="hold"),
               line(OP, "Are you still there? Just a bit longer.", "Hello, are you there? I'm still looking.", after="dead"),
               line(CU, "Hello? I've been waiting for ages, how much longer?", "Are you there? I've been on hold forever."),
               line(OP, "Sorry for the wait. I've fixed it, it works now.", "Sorry it took so long. It's fixed, please check."),
               line(CU, "Okay, good that it works. But waiting that long is too much.",
                    "It works. But that wait was really annoying."),
               line(OP, "Sorry again. Goodbye.", "Apologies. Have a good day.")),
    }, hold_s=(150.0, 240.0), dead_s=(25.0, 60.0), topics=("connection",)),
    Scenario("unresolved_polite", "unresolved", 2, False, True, {
        "ru": (line(OP, "К сожалению, здесь я ничего не могу сделать: это условия вашего тарифа.",
                    "Увы, изменить это я не могу, так положено по договору."),
               line(CU, "Жаль. То есть никак нельзя помочь?", "Очень жаль. Совсем никаких вариантов?"),
               line(OP, "К сожалению, нет.", "Боюсь, что нет."),
               line(CU, "Понятно. Очень жаль, я надеялся на другое. Ну что ж, до свидания.",
                    "Ясно. Расстроили вы меня, конечно. До свидания."),
               line(OP, "До свидания.", "Всего доброго.")),
        "en": (line(OP, "Unfortunately there's nothing I can do here, those are the terms of your plan.",
                    "Sadly I can't change that, it's in the contract."),
               line(CU, "That's a pity. So there's no way you can help?", "That's disappointing. No options at all?"),
               line(OP, "I'm afraid not.", "Unfortunately, no."),
               line(CU, "I see. That's a shame, I hoped for something else. Well, goodbye.",
                    "Okay. I'm quite disappointed, to be honest. Bye."),
               line(OP, "Goodbye.", "Have a good day.")),
    }, topics=("connection", "billing")),
    Scenario("transferred_bounced", "transferred", 2, True, True, {
        "ru": (line(CU, "Меня уже два раза переключали между отделами!", "Я уже полчаса хожу по вашим отделам!"),
               line(OP, "Этот вопрос решает другой отдел, я переключу вас туда.", "Вам нужно в отдел биллинга, соединяю."),
               line(CU, "Опять? Да вы издеваетесь, меня уже третий раз перекидывают!",
                    "Снова переключаете? Это просто ужас какой-то!"),
               line(OP, "Извините, по-другому не получится. Переключаю.", "Простите. Соединяю."),
               line(CU, "Ужасный сервис.", "Кошмар.")),
        "en": (line(CU, "I've already been transferred twice!", "I've been passed between your departments for half an hour!"),
               line(OP, "Another department handles this, I'll transfer you there.", "You need billing, I'll put you through."),
               line(CU, "Again? You must be kidding, that's the third time!", "Transferring me again? This is awful!"),
               line(OP, "Sorry, there's no other way. Transferring now.", "I apologise. Connecting you."),
               line(CU, "Terrible service.", "Unbelievable.")),
    }),
    Scenario("overtalk_argument", "follow_up", 2, True, True, {
        "ru": (line(OP, "Смотрите, по нашим данным у вас всё в порядке, возможно, дело в вашем оборудовании, попробуйте",
                    "По нашей информации проблем нет, скорее всего, это ваш роутер, давайте вы его"),
               line(CU, "Да не в оборудовании дело, я всё уже три раза перезагружал!",
                    "Не надо мне про роутер, я его уже сто раз перезагружал!", after="overlap"),
               line(OP, "Подождите, дайте мне договорить, я объясню", "Минуточку, послушайте меня, пожалуйста",
                    after="overlap"),
               line(CU, "Нет, это вы послушайте, у меня ничего не работает!", "Я вас уже наслушался, ничего не работает!",
                    after="overlap"),
               line(OP, "Хорошо, я создам заявку, к вам придёт мастер.", "Ладно, оформлю выезд мастера."),
               line(CU, "Когда? Опять неделю ждать? Ладно, создавайте.", "И сколько его ждать? Ладно, оформляйте."),
               line(OP, "До свидания.", "Всего доброго.")),
        "en": (line(OP, "Look, according to our system everything is fine on our side, maybe it's your equipment, try",
                    "We don't see any problem, it's most likely your router, could you please"),
               line(CU, "It's not my equipment, I've restarted everything three times!",
                    "Don't tell me about the router, I've rebooted it a hundred times!", after="overlap"),
               line(OP, "Wait, let me finish, I'll explain", "Just a moment, please listen to me", after="overlap"),
               line(CU, "No, you listen to me, nothing is working!", "I've heard enough, nothing works!", after="overlap"),
               line(OP, "Okay, I'll open a ticket and send a technician.", "Fine, I'll book a technician visit."),
               line(CU, "When? Another week of waiting? Fine, do it.", "And how long will that take? Fine, book it."),
               line(OP, "Goodbye.", "Have a good day.")),
    }, overlap_s=(1.5, 3.0), topics=("connection",)),
    Scenario("angry_escalated", "unresolved", 1, True, True, {
        "ru": (line(OP, "Извините, но сделать перерасчёт я не могу.", "К сожалению, вернуть деньги я не могу."),
               line(CU, "Как это не можете? Позовите руководителя!", "Что значит не можете? Соедините меня с руководителем!"),
               line(OP, "Руководитель сейчас недоступен.", "Руководителя сейчас нет на месте."),
               line(CU, "Тогда я буду жаловаться в Роспотребнадзор. Это отвратительно!",
                    "Прекрасно. Я напишу жалобу, это просто возмутительно!"),
               line(OP, "Это ваше право.", "Как хотите."),
               line(CU, "Безобразие. До свидания.", "Отвратительный сервис.")),
        "en": (line(OP, "Sorry, but I can't give you a refund.", "Unfortunately I can't reverse that charge."),
               line(CU, "What do you mean you can't? I want to speak to your manager!",
                    "You can't? Get me a supervisor, right now!"),
               line(OP, "The manager isn't available right now.", "There's no supervisor available at the moment."),
               line(CU, "Then I'll file a complaint with the regulator. This is disgusting!",
                    "Great. I'm going to file a formal complaint, this is outrageous!"),
               line(OP, "That's your right.", "As you wish."),
               line(CU, "Pathetic. Goodbye.", "Awful service.")),
    }, topics=("billing", "delivery")),
    Scenario("angry_cancel", "unresolved", 1, True, True, {
        "ru": (line(OP, "Сроки мы, к сожалению, не гарантируем.", "Ускорить это я, к сожалению, не могу."),
               line(CU, "Вы издеваетесь? Третий раз одно и то же!", "Да сколько можно? Каждый раз одно и то же!"),
               line(OP, "Понимаю, но помочь ничем не могу.", "Понимаю, но сделать ничего нельзя."),
               line(CU, "Всё, с меня хватит. Расторгните договор, я ухожу к другому провайдеру.",
                    "Всё, я отказываюсь от ваших услуг. Ужасная компания."),
               line(OP, "Для расторжения нужно прийти в офис.", "Это можно сделать в офисе."),
               line(CU, "Прекрасно. Ужасный сервис.", "Отвратительно. До свидания.")),
        "en": (line(OP, "Unfortunately we can't guarantee any dates.", "I'm afraid I can't speed that up."),
               line(CU, "Are you kidding me? It's the same thing for the third time!", "How many times? Every time the same story!"),
               line(OP, "I understand, but there's nothing I can do.", "I understand, but I can't help with that."),
               line(CU, "That's it, I've had enough. Cancel my contract, I'm switching to another provider.",
                    "That's it, I'm leaving you. Terrible company."),
               line(OP, "To cancel you need to visit an office.", "You can do that in one of our offices."),
               line(CU, "Great. Horrible service.", "Disgusting. Goodbye.")),
    }, topics=("connection", "delivery")),
)

_WORD = re.compile(r"\w+")


def _speech_s(text: str, rng: random.Random) -> float:
    return (0.4 + len(_WORD.findall(text)) / WORDS_PER_S) * rng.uniform(0.9, 1.1)


def build_dialogue(scenario: Scenario, language: str, index: int, rng: random.Random) -> dict:
    topic = rng.choice(scenario.topics)
    lines: list[Line] = [line(OP, *GREETINGS[language])]
    if scenario.with_topic:
        calm, angry = TOPICS[topic][language]
        lines.append(line(CU, angry if scenario.angry_open else calm))
        if rng.random() < 0.5:
            lines += IDENTIFY[language]
    extra_hold = scenario.hold_s is None and rng.random() < SHORT_HOLD_SHARE
    if extra_hold:
        lines.append(SHORT_HOLD[language])
    lines += scenario.body[language]

    turns, clock, previous_end = [], rng.uniform(0.3, 1.0), 0.0
    for spec in lines:
        text = rng.choice(spec.options)
        length = _speech_s(text, rng)
        if spec.after == "overlap" and turns:
            start = max(turns[-1]["start"] + 0.5, previous_end - rng.uniform(*scenario.overlap_s))
        else:
            start = clock
        end = start + length
        turns.append({"speaker": spec.speaker, "start": round(start, 2), "end": round(end, 2), "text": text})
        previous_end = max(previous_end, end)
        gap = rng.uniform(*PAUSE_S)
        if spec.after == "hold":
            gap = rng.uniform(*(scenario.hold_s or SHORT_HOLD_S))
        elif spec.after == "dead":
            gap = rng.uniform(*scenario.dead_s)
        clock = previous_end + gap
    return {
        "id": f"{language}_{scenario.name}_{index:02d}",
        "language": language,
        "scenario": scenario.name,
        "topic": topic if scenario.with_topic else None,
        "outcome": scenario.outcome,
        "csat": scenario.csat,
        "duration_s": round(previous_end + rng.uniform(0.5, 1.5), 2),
        "turns": turns,
    }


def rubric() -> dict:
    return {"source": "benchmarks/datasets/make_csat_set.py (module docstring)",
            "scenarios": {s.name: {"outcome": s.outcome, "csat": s.csat} for s in SCENARIOS}}


def make_set(variants: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [build_dialogue(s, language, i, rng)
            for s in SCENARIOS for language in ("ru", "en") for i in range(variants)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", type=int, default=4, help="dialogues per scenario and language")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    dialogues = make_set(args.variants, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "dialogues.json"
    path.write_text(json.dumps({"rubric": rubric(), "seed": args.seed, "dialogues": dialogues},
                               ensure_ascii=False, indent=1), encoding="utf-8")
    labels = {g: sum(d["csat"] == g for d in dialogues) for g in range(1, 6)}
    print(f"{len(dialogues)} dialogues -> {path}; labels {labels}")


if __name__ == "__main__":
    main()
