#!/usr/bin/env python3
"""A labelled set of written call dialogues for call reasons and outcomes (issue #7).

Each dialogue: the operator's opening, sometimes a customer's "hello" first, the customer's
problem in their own words, an identification exchange (a dictated number), the operator's
check, a closing that decides the outcome, and a farewell. Russian and English; a third of the
calls have no speaker labels (a mono call whose roles stayed ``unknown``).

The customers' phrasings were written for this set, not from the taxonomy's examples (no
sentence here is an example there, and none was reworded from one); they include typos of
speech, indirect wording and a reason said only in the second sentence. ``relocation`` (moving
the service to a new address) is deliberately NOT in the taxonomy: its calls are labelled with
no reason (``null``), and discovery should find them as one cluster.

Calls alternate between a ``dev`` and a ``test`` split (by phrasing); the test split's closings
are their own (``CLOSINGS_TEST``). Thresholds and cues may be looked at on ``dev`` only. Outcome-only
calls (one per closing, ``outcome_only``) add more closings: ``dev2`` (tuned on, like ``dev``) and
``test2`` (written after the outcome method was frozen, never tuned on). Output: benchmarks/data/insights_set.json.

Usage: .venv/bin/python benchmarks/datasets/make_insights_set.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "insights_set.json"
OUTCOMES = ("resolved", "follow_up", "order_placed", "transferred", "unresolved")
PLANTED = "relocation"  # a reason the taxonomy lacks

PROBLEMS: dict[str, dict[str, list[str]]] = {
    "no_connection": {
        "ru": [
            "С утра дома нет интернета, вообще ничего не открывается.",
            "У нас пропала связь, мобильный показывает ноль делений.",
            "Слушайте, вай-фай есть, а сайты не грузятся уже третий день.",
            "Я звоню с чужого телефона, мой перестал звонить, пишет нет сети.",
            "Телевизор показывает нет сигнала, и интернет тоже отвалился.",
            "Модем мигает оранжевым, и ничего не работает.",
            "Связь постоянно обрывается, разговор больше минуты не держится.",
            "Второй день сижу без интернета, а мне работать надо.",
            "Скорость упала до нуля, видео не идёт совсем.",
        ],
        "en": [
            "Since this morning nothing loads at home, the web is just dead.",
            "My mobile shows no bars at all, I can't reach anyone.",
            "The wifi is connected but no website opens, it's been three days.",
            "I'm calling from my neighbour's phone because mine says no service.",
            "The TV box says no signal and the internet went off too.",
            "The modem light is blinking orange and nothing works.",
            "Every call I make cuts out after a minute or so.",
            "I work from home and I've been offline for two days now.",
            "Streaming stopped completely, the speed is basically zero.",
        ],
    },
    "billing": {
        "ru": [
            "Пришла квитанция почти на пять тысяч, хотя обычно я плачу восемьсот.",
            "Вы сняли с карты одну и ту же сумму два раза.",
            "Я ещё в понедельник перевёл деньги, а у вас висит долг.",
            "В выписке какая-то услуга за триста рублей, я её не заказывала.",
            "Хочу разобраться, за что мне начислили пени.",
            "Оплатила не тот лицевой счёт, можно вернуть платёж?",
            "Почему абонентская плата выросла без предупреждения?",
            "Деньги ушли, а баланс так и остался в минусе.",
            "Мне насчитали роуминг, хотя я никуда не уезжал.",
        ],
        "en": [
            "This month's statement says ninety pounds, I normally pay twenty.",
            "You took the same amount from my card two times.",
            "I transferred the money on Monday and you still show I owe you.",
            "There's a three dollar fee on my statement for something I never ordered.",
            "I'd like to understand why I got a late payment fee.",
            "I paid into the wrong account number, can that money come back?",
            "Why did my monthly fee go up without any notice?",
            "The payment left my bank but the balance is still negative.",
            "I got roaming charges and I haven't been abroad.",
        ],
    },
    "tariff_change": {
        "ru": [
            "Мне нужен план, где больше гигабайт, моих уже не хватает.",
            "Можно перейти на что-то попроще, я почти не звоню?",
            "Подскажите, как перейти на семейный пакет.",
            "Хочу добавить к своему номеру пакет минут по России.",
            "Я плачу за телевидение, которое не смотрю, уберите его из пакета.",
            "Есть у вас что-нибудь для пенсионеров подешевле?",
            "Хочу скорость побольше, сто мегабит мне мало.",
            "Сын уехал учиться, ему нужен тариф с интернетом без ограничений.",
            "Давайте я переведу номер на корпоративные условия.",
        ],
        "en": [
            "I keep running out of data, I need a bigger allowance.",
            "Could I move to something more basic, I hardly make calls?",
            "How do I move onto the family bundle?",
            "I'd like to add international minutes to my line.",
            "I'm paying for sports channels I never watch, please take them off.",
            "Do you have a senior discount option that costs less?",
            "I need faster speed, one hundred megabits isn't enough anymore.",
            "My son went to college and needs unlimited data on his line.",
            "I want to put my number on the business terms.",
        ],
    },
    "account_access": {
        "ru": [
            "Не пускает в приложение банка, пишет неверные данные.",
            "Я поменял телефон и теперь не могу зайти в онлайн-банк.",
            "Хотел расплатиться в магазине, а терминал пишет отказ по карте.",
            "Мне пришло сообщение, что карта заморожена, что случилось?",
            "Три раза ввёл код неправильно, и меня выкинуло из кабинета.",
            "Смс с подтверждением не приходит, не могу авторизоваться.",
            "Банкомат съел карту и не отдаёт.",
            "Учётную запись заблокировали после смены номера.",
            "Вчера картой не получилось оплатить заправку, везде отказ.",
        ],
        "en": [
            "The banking app won't let me in, it says my details are wrong.",
            "I got a new phone and now I can't get into online banking.",
            "I tried to pay at the supermarket and the terminal refused my card.",
            "I got a text saying my card is frozen, what happened?",
            "I typed the PIN wrong three times and it shut me out.",
            "The verification text never comes, so I can't sign in.",
            "The cash machine kept my card and won't give it back.",
            "My profile got suspended after I changed my number.",
            "My card got rejected at the petrol station yesterday, everywhere actually.",
        ],
    },
    "order_status": {
        "ru": [
            "Я оформил покупку две недели назад, а курьера всё нет.",
            "Трекинг уже пять дней показывает одно и то же.",
            "Обещали привезти диван в субботу, никто не приехал.",
            "Скажите, пожалуйста, на каком этапе моя посылка.",
            "Мне пришло смс, что заказ доставлен, но я его не получала.",
            "Жду холодильник с прошлого месяца, сроки все прошли.",
            "Хочу узнать, когда отправят мои кроссовки.",
            "Пункт выдачи говорит, что моей коробки у них нет.",
            "Заказ собран ещё в среду, а статус не меняется.",
        ],
        "en": [
            "I bought something two weeks ago and no courier has come.",
            "The tracking page has said the same thing for five days.",
            "You promised the sofa on Saturday and nobody showed up.",
            "Could you tell me what stage my package is at?",
            "I got a text that it was delivered but I never got it.",
            "I've been waiting for the fridge since last month, all the dates have passed.",
            "I'd like to know when my trainers will be shipped.",
            "The pickup point says they don't have my box.",
            "It was packed on Wednesday and the status hasn't moved since.",
        ],
    },
    "cancellation": {
        "ru": [
            "Я переезжаю к дочери за границу, мне ваши услуги больше не нужны, как прекратить?",
            "Хочу прекратить обслуживание с конца месяца.",
            "Нашёл провайдера дешевле, давайте разрывать договор.",
            "Уберите автопродление, я больше не буду платить за кинотеатр.",
            "Передумал покупать телевизор, не отправляйте его.",
            "Хочу закрыть карту и больше ей не пользоваться.",
            "Как мне отписаться от вашего журнала?",
            "Верните деньги за заказ, я от него отказываюсь.",
            "Больше не хочу быть вашим абонентом.",
        ],
        "en": [
            "I'm moving abroad for good, so I need to stop the service, how do I do that?",
            "I want the service to stop from the end of the month.",
            "I found a cheaper provider so let's end the agreement.",
            "Please turn off auto renewal, I won't pay for the streaming anymore.",
            "I changed my mind about the TV, don't send it.",
            "I'd like to shut down my card and not use it again.",
            "How can I unsubscribe from your magazine?",
            "I don't want that order anymore, give me the money back.",
            "I don't want to be your customer anymore.",
        ],
    },
    PLANTED: {
        "ru": [
            "Мы переезжаем на новую квартиру, можно перенести туда интернет?",
            "Я сменил адрес, хочу чтобы подключение было по новому месту жительства.",
            "Переезжаю в другой район, как перевезти туда ваши услуги?",
            "Нам нужно перенести договор на новый адрес, мы купили дом.",
            "Мы переехали, подключите нас, пожалуйста, в новой квартире.",
            "Через месяц переезд, хочу заранее оформить перенос услуги на новый адрес.",
            "Можно ли сохранить мой договор, если я переезжаю на другую улицу?",
            "Мы съезжаем с этой квартиры, интернет нужен на новом месте.",
            "Хочу перенести домашний интернет в квартиру, куда переезжаю.",
        ],
        "en": [
            "We're moving to a new flat, can you move my internet there?",
            "I changed my address and I need the connection at the new place.",
            "I'm moving across town, how do I take your service with me?",
            "We need to transfer the contract to our new address, we bought a house.",
            "We've moved, please set us up at the new apartment.",
            "I'm moving next month and want to arrange moving the service to the new address.",
            "Can I keep my contract if I move to another street?",
            "We're leaving this flat and need the internet at the new place.",
            "I'd like to move my home broadband to the flat I'm moving into.",
        ],
    },
}

# The operator's closing line and the customer's answer, per outcome.
CLOSINGS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "resolved": {
        "ru": [
            ("Я всё поправил, проверьте, пожалуйста, сейчас.", "Да, теперь всё в порядке, спасибо."),
            ("Готово, изменения уже вступили в силу.", "Отлично, спасибо большое."),
            ("Всё сделала, можете пользоваться.", "Получилось, благодарю."),
            ("Я снял блокировку и пересчитал, вопрос решён.", "Хорошо, спасибо за помощь."),
            ("Проблема устранена, проверила удалённо, всё в норме.", "Да, вижу, всё заработало."),
        ],
        "en": [
            ("I've sorted that out for you, could you check now?", "Yes, it's fine now, thanks."),
            ("Done, the change is already active.", "Brilliant, thank you so much."),
            ("That's all fixed, you can use it right away.", "It worked, thank you."),
            ("I've cleared it on our side, the issue is solved.", "Great, thanks for your help."),
            ("I've checked remotely and everything is back to normal.", "Yes, I can see it's working."),
        ],
    },
    "follow_up": {
        "ru": [
            ("Я зарегистрировал обращение, специалист перезвонит вам до конца дня.", "Хорошо, буду ждать звонка."),
            ("Заявку передала в технический отдел, ответ пришлём смс в течение двух рабочих дней.", "Ладно, жду."),
            ("Оформил выезд мастера, он свяжется с вами завтра утром.", "Договорились."),
            ("Запрос передан в отдел претензий, мы сообщим вам результат на почту.", "Понятно, спасибо."),
            ("Я создала заявку, номер четыре ноль два, вам позвонят в течение суток.", "Хорошо, спасибо."),
        ],
        "en": [
            ("I've logged a case and a specialist will ring you back by the end of the day.", "Okay, I'll wait for the call."),
            ("I've passed it to the technical team, you'll get a text within two working days.", "Fine, I'll wait."),
            ("I've booked an engineer visit, he'll contact you tomorrow morning.", "Sounds good."),
            ("Your complaint is with the claims team, they'll email you the outcome.", "Right, thank you."),
            ("I've raised a ticket, number four zero two, someone will phone you within a day.", "Okay, thanks."),
        ],
    },
    "order_placed": {
        "ru": [
            ("Я оформила вам заказ на новый роутер, доставка в четверг.", "Отлично, спасибо."),
            ("Заказ принят, номер пять пять два, курьер привезёт послезавтра.", "Хорошо, жду."),
            ("Оформил покупку, счёт придёт на почту, доставка бесплатная.", "Спасибо, договорились."),
            ("Всё, ваш заказ оформлен, сумма спишется при получении.", "Хорошо, спасибо."),
            ("Я оформил вам новую карту с доставкой на дом.", "Отлично."),
        ],
        "en": [
            ("I've placed an order for a new router for you, it arrives on Thursday.", "Great, thanks."),
            ("Your order is confirmed, number five five two, delivery the day after tomorrow.", "Okay, I'll wait."),
            ("I've put the purchase through, the invoice will come by email, delivery is free.", "Thanks, deal."),
            ("That's it, your order has been placed, you pay on delivery.", "Good, thank you."),
            ("I've ordered a replacement card to be delivered to your home.", "Perfect."),
        ],
    },
    "transferred": {
        "ru": [
            ("Этим занимается технический отдел, сейчас переключу вас на инженера.", "Хорошо, жду."),
            ("Не кладите трубку, соединяю вас со специалистом по возвратам.", "Ладно."),
            ("Сейчас переведу ваш звонок в службу безопасности, оставайтесь на линии.", "Хорошо."),
            ("Я передам трубку старшему смены, одну секунду.", "Спасибо."),
            ("Переключаю вас на отдел продаж, они всё оформят.", "Хорошо, жду."),
        ],
        "en": [
            ("The technical team handles that, let me transfer you to an engineer.", "Okay, I'll hold."),
            ("Please stay on the line, I'm putting you through to returns.", "Alright."),
            ("I'll connect you to our security department now, one moment.", "Okay."),
            ("Let me pass you over to my supervisor, just a second.", "Thanks."),
            ("I'm transferring you to the sales team, they'll set it up.", "Okay, I'll wait."),
        ],
    },
    "unresolved": {
        "ru": [
            ("К сожалению, тут я ничем помочь не могу.", "То есть вопрос так и не решён? Ужасно."),
            ("Это не наша зона ответственности, обращайтесь куда-нибудь ещё.", "Бесполезный звонок."),
            ("Я не знаю, когда это исправят, информации нет.", "И что мне делать? Ладно."),
            ("Сделать с этим ничего нельзя, таковы правила.", "Очень жаль, я буду писать жалобу."),
            ("Система не даёт мне это изменить, попробуйте позже сами.", "Опять ничего не решили."),
        ],
        "en": [
            ("I'm afraid there's nothing I can do about that.", "So it's still not sorted? Terrible."),
            ("That's not something we deal with, you'll have to go elsewhere.", "What a waste of time."),
            ("I have no idea when it will be fixed, I don't have any information.", "So what do I do? Fine."),
            ("Unfortunately it can't be changed, those are the rules.", "That's a shame, I'll be filing a complaint."),
            ("The system won't let me change it, try again later yourself.", "Nothing solved again."),
        ],
    },
}

# Closings of the test split, written after the outcome cues were last changed and never tuned on:
# the dev closings above were read while the cues were written.
CLOSINGS_TEST: dict[str, dict[str, list[tuple[str, str]]]] = {
    "resolved": {
        "ru": [("Всё, я вам перенастроила, проблема ушла.", "Да, вижу, большое спасибо."),
               ("Сейчас всё в порядке, я лично проверил.", "Замечательно, спасибо."),
               ("Вопрос закрыт, деньги уже вернулись на ваш счёт.", "Вижу, спасибо.")],
        "en": [("Right, I've reconfigured it and the problem is gone.", "Yes, I see it, many thanks."),
               ("Everything is in order now, I checked it myself.", "Wonderful, thanks."),
               ("That's taken care of, the money is already back in your account.", "I see it, thanks.")],
    },
    "follow_up": {
        "ru": [("Я передаю ваш вопрос старшему специалисту, он вам наберёт в понедельник.", "Хорошо."),
               ("Мы разберёмся и напишем вам ответ на электронную почту в течение трёх дней.", "Буду ждать."),
               ("Записал ваш случай, завтра с вами свяжется наш инженер.", "Ладно, спасибо.")],
        "en": [("I'm handing this to a senior colleague, she'll give you a ring on Monday.", "Okay."),
               ("We'll look into it and email you an answer within three days.", "I'll wait then."),
               ("I've noted your case and our engineer will reach out to you tomorrow.", "Fine, thanks.")],
    },
    "order_placed": {
        "ru": [("Я оформил вам заказ на приставку, она приедет в пятницу.", "Отлично."),
               ("Покупка оформлена, чек пришлём смской, курьер будет завтра.", "Спасибо, жду."),
               ("Заказ на новый тариф с роутером создан, номер семьсот два.", "Хорошо, спасибо.")],
        "en": [("I've put through an order for the set-top box, it comes on Friday.", "Excellent."),
               ("Your purchase is booked, the receipt comes by text and the courier tomorrow.", "Thanks, I'll wait."),
               ("I've created an order for the router bundle, number seven oh two.", "Good, thank you.")],
    },
    "transferred": {
        "ru": [("С этим лучше к юристам, сейчас соединю вас, подождите на линии.", "Хорошо."),
               ("Минуту, перевожу вас на коллегу из биллинга.", "Жду."),
               ("Я не вижу ваших данных, переключаю на второй уровень поддержки.", "Ладно.")],
        "en": [("That's one for our legal team, I'll put you through now, please hold.", "Okay."),
               ("One moment, I'm moving your call to a colleague in billing.", "Sure."),
               ("I can't see your details, so I'm passing you to second-line support.", "Alright.")],
    },
    "unresolved": {
        "ru": [("Помочь не смогу, это решает банк, а не мы.", "И зачем я звонил. Ладно."),
               ("По этому вопросу у меня нет никаких полномочий, извините.", "Ничего не понятно, до свидания."),
               ("Сроков нет, когда будет, тогда будет.", "Безобразие.")],
        "en": [("I won't be able to help, it's the bank's decision, not ours.", "Why did I even call. Fine."),
               ("I have no authority over this at all, sorry.", "This makes no sense, goodbye."),
               ("There's no timeline, it'll happen when it happens.", "Outrageous.")],
    },
}

# More dev closings (outcome-only calls, split ``dev2``), written while the semantic outcome part was
# widened: tuned on, like ``dev``. Lines alternate operator, customer, operator...
CLOSINGS_DEV2: dict[str, dict[str, list[tuple[str, ...]]]] = {
    "resolved": {
        "ru": [("Попробуйте сейчас зайти.", "Зашла, всё открывается, спасибо!"),
               ("Я убрал лишнюю услугу, со следующего месяца платить за неё не будете.", "Отлично, спасибо."),
               ("Перезагрузите роутер.", "Так, перезагрузил... да, интернет появился."),
               ("Карта снова активна, можете расплачиваться.", "Спасибо, выручили.")],
        "en": [("Try logging in now.", "I'm in, everything opens, thanks!"),
               ("I've removed that extra service, you won't pay for it from next month.", "Great, thank you."),
               ("Restart the router for me.", "Okay, restarted... yes, the internet's back."),
               ("Your card is active again, you can pay with it.", "Thanks, you saved me.")],
    },
    "follow_up": {
        "ru": [("Я отправил запрос на склад, завтра вам сообщат, что с посылкой.", "Хорошо."),
               ("Нужно время на проверку.", "И когда мне ждать ответа?", "В течение недели вам позвонит наш сотрудник."),
               ("Я оставлю отметку, и вечером вам перезвонит дежурный инженер.", "Ладно, жду."),
               ("Сейчас решить не могу, но обращение я записала.", "То есть вы мне потом позвоните?", "Да, коллеги наберут вас завтра.")],
        "en": [("I've sent a query to the warehouse, they'll update you tomorrow about the parcel.", "Okay."),
               ("This needs checking on our side.", "So when do I hear back?", "Someone from our team will phone you within a week."),
               ("I'll leave a note and the duty engineer will call you this evening.", "Fine, I'll wait."),
               ("I can't fix it right now, but I've recorded your request.", "So you'll get back to me?", "Yes, a colleague will ring you tomorrow.")],
    },
    "order_placed": {
        "ru": [("Отправляем вам новый модем, курьер позвонит перед приездом.", "Хорошо, спасибо."),
               ("Тогда я оформляю подписку на год и приставку к ней.", "Да, давайте.", "Всё, оформлено, доставка в среду."),
               ("Заказ на сумму две тысячи подтверждён, оплата картой прошла.", "Отлично."),
               ("Я поставила вам доставку новой карты на завтра.", "Спасибо.")],
        "en": [("We're sending you a new modem, the courier will call before coming.", "Okay, thanks."),
               ("So I'll set up the yearly subscription with the box.", "Yes, let's do it.", "Done, it's ordered, delivery on Wednesday."),
               ("The order for two hundred pounds is confirmed and the card payment went through.", "Great."),
               ("I've scheduled the new card to be delivered tomorrow.", "Thanks.")],
    },
    "transferred": {
        "ru": [("Этот вопрос к бухгалтерии, я вас туда направлю.", "Хорошо."),
               ("Подождите, сейчас с вами поговорит мой руководитель.", "Жду."),
               ("Такие вопросы решает отдел претензий, переадресую.", "Ладно."),
               ("Минуту, я вас соединю с техподдержкой.", "Спасибо.")],
        "en": [("That's for accounts, I'll send you through to them.", "Okay."),
               ("Hold on, my manager is going to speak with you now.", "Sure."),
               ("Claims deal with that, I'll redirect you.", "Alright."),
               ("One moment, I'll get you to tech support.", "Thanks.")],
    },
    "unresolved": {
        "ru": [("Мы такие услуги не оказываем.", "Жаль. Ну ладно."),
               ("Вернуть деньги я не могу, срок прошёл.", "Это возмутительно."),
               ("Пока ничего сделать нельзя, ждите.", "Сколько можно ждать, уже неделю так."),
               ("Увы, по вашему договору это не предусмотрено.", "Понятно, значит, никак.")],
        "en": [("We don't provide that kind of service.", "Pity. Oh well."),
               ("I can't refund it, the deadline has passed.", "That's outrageous."),
               ("Nothing can be done for now, you'll have to wait.", "I've been waiting a week already."),
               ("Sadly your contract doesn't cover that.", "I see, so there's no way.")],
    },
}

# Held-out closings (outcome-only calls, split ``test2``): written after the semantic outcome vote
# and its examples were frozen (threshold, weight and neighbourhood chosen on dev/dev2), before any
# result on them was seen; never tuned on.
CLOSINGS_TEST2: dict[str, dict[str, list[tuple[str, ...]]]] = {
    "resolved": {
        "ru": [("Я обновил вашу прошивку удалённо, связь должна появиться.", "Есть, появилась, спасибо."),
               ("Штраф аннулирован, в следующем счёте его не будет.", "Вот это хорошо, благодарю."),
               ("Пароль сброшен, новый пришёл вам в смс.", "Пришёл, я вошла."),
               ("Скидку для пенсионеров я вам применила с сегодняшнего дня.", "Замечательно."),
               ("Проверьте ещё раз, пожалуйста.", "Да, теперь открывается, всё хорошо."),
               ("Ошибка была в адресе, я его поправил, теперь статус обновился.", "Вижу, спасибо."),
               ("Лимит по карте сняли, можете оплачивать покупки.", "Прошло, спасибо огромное."),
               ("Ваш номер снова в сети, мы устранили сбой на станции.", "Да, звонки идут.")],
        "en": [("I've pushed a firmware update remotely, you should have signal now.", "Yep, it's back, thanks."),
               ("The fine is cancelled, it won't be on your next bill.", "That's good news, thank you."),
               ("Your password is reset, the new one is in a text.", "Got it, I'm logged in."),
               ("I've applied the senior discount from today.", "Wonderful."),
               ("Could you check once more?", "Yes, it opens now, all good."),
               ("The address was wrong, I've corrected it and the status has updated.", "I can see that, thanks."),
               ("The card limit is lifted, you can make purchases.", "It went through, thanks a lot."),
               ("Your number is back on the network, we cleared the fault at the mast.", "Yes, calls are going through.")],
    },
    "follow_up": {
        "ru": [("Я направлю запрос в службу доставки, и вам напишут, где посылка.", "Хорошо."),
               ("Мне нужно согласовать возврат с руководством, ответ получите в пятницу.", "Ладно."),
               ("Сейчас это не проверить.", "А когда узнаю?", "Мы наберём вас, как только будет результат."),
               ("Завела обращение, по нему вам позвонит аналитик.", "Договорились."),
               ("К вам придёт монтажник, он предварительно позвонит.", "Хорошо, жду."),
               ("Я попрошу коллег из банка-партнёра проверить перевод и вернусь к вам с ответом.", "Спасибо."),
               ("Ваше заявление примут в работу, итог пришлём письмом.", "Понятно."),
               ("Мне самой разобраться нужно.", "Вы мне перезвоните?", "Да, сегодня до шести.")],
        "en": [("I'll send a request to the delivery service and they'll message you where the parcel is.", "Okay."),
               ("I need to agree the refund with my manager, you'll have an answer on Friday.", "Alright."),
               ("I can't check that right now.", "And when will I know?", "We'll give you a call as soon as we have the result."),
               ("I've opened a request, an analyst will phone you about it.", "Deal."),
               ("An installer will come to you, he'll call ahead.", "Okay, I'll wait."),
               ("I'll ask our partner bank to check the transfer and come back to you with an answer.", "Thanks."),
               ("Your application will be processed and we'll send the result by post.", "I see."),
               ("I need to look into it myself.", "Will you call me back?", "Yes, today before six.")],
    },
    "order_placed": {
        "ru": [("Оформила вам второй роутер, привезут в течение трёх дней.", "Спасибо."),
               ("Подписку на кинотеатр я подключил, списание раз в месяц, приставку пришлём курьером.", "Хорошо."),
               ("Значит, берёте синий?", "Да, синий.", "Записала, заказ на синий, доставка в пятницу."),
               ("Товар зарезервирован за вами, оплата прошла, ждите курьера.", "Отлично."),
               ("Я заказал вам замену сломанного пульта, отправка сегодня.", "Спасибо большое."),
               ("Новую сим-карту с вашим номером доставят в офис завтра.", "Хорошо."),
               ("Ваш заказ номер восемьсот десять уже передан на склад.", "Ждём."),
               ("Давайте я оформлю.", "Да, оформляйте.", "Готово, кресло привезут в воскресенье.")],
        "en": [("I've ordered you a second router, it'll arrive within three days.", "Thanks."),
               ("I've added the film subscription, billed monthly, and the box comes by courier.", "Okay."),
               ("So you'll take the blue one?", "Yes, the blue.", "Noted, order for the blue one, delivery Friday."),
               ("The item is reserved for you, payment went through, expect the courier.", "Excellent."),
               ("I've ordered a replacement for the broken remote, it ships today.", "Thanks so much."),
               ("A new SIM with your number will be delivered to the office tomorrow.", "Okay."),
               ("Your order eight one zero has gone to the warehouse already.", "Great."),
               ("Shall I book it?", "Yes, please.", "Done, the armchair arrives on Sunday.")],
    },
    "transferred": {
        "ru": [("Это вопрос отдела кредитов, давайте я вас туда переведу.", "Давайте."),
               ("Секунду, подключаю к разговору специалиста по тарифам.", "Хорошо."),
               ("Я вас отправлю на линию для юридических лиц.", "Ладно."),
               ("Лучше вам поговорить с мастером напрямую, сейчас переключу.", "Хорошо, жду."),
               ("Вас можно соединить с отделом удержания?", "Да, давайте.", "Соединяю."),
               ("Повисите немного, я передам звонок в банк-партнёр.", "Хорошо."),
               ("Сейчас трубку возьмёт мой коллега из возвратов.", "Спасибо."),
               ("Ваш вопрос решит служба безопасности, перевожу.", "Жду.")],
        "en": [("That's a question for the loans team, let me move you over there.", "Go ahead."),
               ("One second, I'm bringing a tariff specialist onto the call.", "Okay."),
               ("I'll send you to the business customers line.", "Alright."),
               ("You'd better talk to the technician directly, switching you now.", "Okay, I'll wait."),
               ("Can I connect you with our retention team?", "Yes, please.", "Connecting you."),
               ("Hang on a bit, I'll hand the call to our partner bank.", "Okay."),
               ("My colleague from returns is about to pick up.", "Thanks."),
               ("Security can sort that for you, transferring.", "I'll wait.")],
    },
    "unresolved": {
        "ru": [("Компенсация в таком случае не положена.", "Значит, зря звонила."),
               ("Я не вижу способа это исправить.", "Ужасный сервис."),
               ("Доставку по вашему адресу мы не осуществляем.", "Жаль."),
               ("Ускорить никак не могу, ждите, как все.", "Вы издеваетесь?"),
               ("Отменить уже поздно, заказ нельзя вернуть.", "Отвратительно."),
               ("Не могу сказать, почему так, система мне не показывает.", "И кто тогда знает?", "Не подскажу."),
               ("Изменить тариф посреди месяца у нас не получится.", "Плохо."),
               ("С этим вам в суд, мы тут не помощники.", "Понятно.")],
        "en": [("No compensation is due in that case.", "So I called for nothing."),
               ("I don't see any way to fix it.", "Awful service."),
               ("We don't deliver to your address.", "Shame."),
               ("I can't speed it up, you'll wait like everyone else.", "Are you serious?"),
               ("It's too late to cancel, the order can't be returned.", "Disgusting."),
               ("I can't tell you why, the system doesn't show me.", "Then who knows?", "I couldn't say."),
               ("Changing the plan mid-month isn't something we can do.", "That's bad."),
               ("That's a matter for the courts, we can't assist.", "I see.")],
    },
}

OPENINGS = {
    "ru": ["Здравствуйте, компания Связьком, меня зовут Ольга, слушаю вас.",
           "Добрый день, служба поддержки, Игорь, чем могу помочь?",
           "Алло, оператор Марина, здравствуйте.",
           "Добрый вечер, горячая линия, слушаю."],
    "en": ["Hello, thanks for calling Bright Telecom, this is Olga, how can I help?",
           "Good morning, customer support, Ian speaking.",
           "Hi there, you're through to Marina, what can I do for you?",
           "Good evening, help desk, go ahead."],
}
HELLO = {"ru": ["Здравствуйте.", "Алло, да, добрый день.", "Да, здравствуйте, девушка."],
         "en": ["Hi.", "Hello, yes, good morning.", "Yeah, hi there."]}
ASK_ID = {"ru": ["Назовите, пожалуйста, номер договора.", "Продиктуйте номер телефона, на который оформлен договор.",
                 "Как ваша фамилия и дата рождения?"],
          "en": ["Can I have your account number, please?", "What's the phone number on the account?",
                 "Could you confirm your full name and date of birth?"]}
GIVE_ID = {"ru": ["Восемь девять один шесть, пять пять три, двенадцать ноль семь.", "Три четыре семь два один.",
                  "Петрова Анна, двенадцатое марта восемьдесят пятого."],
           "en": ["It's four seven two, one one nine.", "Oh seven seven, nine double three, one two.",
                  "Anna Peterson, the twelfth of March, nineteen eighty five."]}
CHECK = {"ru": ["Спасибо, одну минуту, смотрю.", "Вижу ваш договор, сейчас проверю.", "Благодарю, проверяю информацию."],
         "en": ["Thanks, one moment while I look.", "I can see your account, let me check.", "Thank you, checking now."]}
FAREWELL = {"ru": ["Всего доброго!", "Хорошего дня, до свидания.", "До свидания."],
            "en": ["Have a good day!", "Take care, bye.", "Goodbye."]}


def dialogues() -> list[dict]:
    calls = []
    n = 0
    for reason, per_language in PROBLEMS.items():
        for language, phrasings in per_language.items():
            for k, problem in enumerate(phrasings):
                outcome = OUTCOMES[(n + k) % len(OUTCOMES)]
                split = "dev" if k % 2 == 0 else "test"
                closings = (CLOSINGS if split == "dev" else CLOSINGS_TEST)[outcome][language]
                closing_op, closing_cu = closings[(n // 5 + k) % len(closings)]
                turns = [("operator", OPENINGS[language][n % 4])]
                if n % 3 == 0:
                    turns.append(("customer", HELLO[language][n % 3]))
                    turns.append(("operator", "Да, слушаю вас." if language == "ru" else "Yes, go ahead."))
                turns += [
                    ("customer", problem),
                    ("operator", ASK_ID[language][n % 3]),
                    ("customer", GIVE_ID[language][(n + 1) % 3]),
                    ("operator", CHECK[language][(n + 2) % 3]),
                    ("operator", closing_op),
                    ("customer", closing_cu),
                    ("operator", FAREWELL[language][n % 3]),
                ]
                labelled = n % 3 != 1  # every third call: a mono call whose roles stayed unknown
                calls.append({
                    "id": f"{language}_{reason}_{k}",
                    "language": language,
                    "reason": None if reason == PLANTED else reason,
                    "planted": reason if reason == PLANTED else None,
                    "outcome": outcome,
                    "split": split,
                    "speakers": "labelled" if labelled else "unknown",
                    "turns": [(s if labelled else "unknown", t) for s, t in turns],
                })
                n += 1
    calls += outcome_calls("dev2", CLOSINGS_DEV2) + outcome_calls("test2", CLOSINGS_TEST2)
    return calls


def outcome_calls(split: str, bank: dict[str, dict[str, list[tuple[str, ...]]]]) -> list[dict]:
    """One call per closing of ``bank`` (``outcome_only``: reasons are measured on dev/test only)."""
    calls = []
    reasons = [r for r in PROBLEMS if r != PLANTED]
    for o, outcome in enumerate(OUTCOMES):
        for language, closings in bank[outcome].items():
            for j, closing in enumerate(closings):
                n = 7 * o + j
                reason = reasons[n % len(reasons)]
                turns = [("operator", OPENINGS[language][n % 4]),
                         ("customer", PROBLEMS[reason][language][(o + 2 * j) % 9]),
                         ("operator", ASK_ID[language][n % 3]),
                         ("customer", GIVE_ID[language][(n + 1) % 3]),
                         ("operator", CHECK[language][(n + 2) % 3])]
                turns += [("operator" if k % 2 == 0 else "customer", line) for k, line in enumerate(closing)]
                turns.append(("operator", FAREWELL[language][n % 3]))
                labelled = n % 3 != 1
                calls.append({"id": f"{language}_{split}_{outcome}_{j}", "language": language, "reason": reason,
                              "planted": None, "outcome": outcome, "split": split, "outcome_only": True,
                              "speakers": "labelled" if labelled else "unknown",
                              "turns": [(s if labelled else "unknown", t) for s, t in turns]})
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    calls = dialogues()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(calls, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(calls)} dialogues -> {args.out}")


if __name__ == "__main__":
    main()
