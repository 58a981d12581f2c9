"""A generated dev set of support-call dialogues with the customer's mood at the start and the end.

Each call is built from pools of customer lines written per mood (negative, neutral,
positive), operator script lines and neutral business lines, deterministically from a
seed. The truth is the mood the generator gave the customer's opening and closing lines:
``customer_end`` of the call must get the label of the closing mood.

The pools were written before the Russian lexicon (models/sentiment_data/) was authored
and were not tuned against it; they are still written by the same team, so figures on
this set are optimistic. The real-text check (benchmarks/sentiment.py --real) is the
independent one.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from pipeline.records import Segment

Mood = str  # "negative" | "neutral" | "positive"

POOLS: dict[str, dict[str, list[str]]] = {
    "ru": {
        "negative_open": [
            "У меня третий день не работает интернет, это безобразие!",
            "Сколько можно? Я уже пятый раз звоню по одному и тому же вопросу.",
            "Мне надоело, что у вас постоянно что-то ломается.",
            "Вы списали с меня деньги за услугу, которую я не подключал, это вообще как?",
            "Я полчаса висел на линии, прежде чем до вас дозвониться.",
            "Интернет пропадает каждые десять минут, работать невозможно.",
            "Карту заблокировали без всякого предупреждения, я не могу ничего оплатить.",
            "Посылку обещали в понедельник, а её до сих пор нет.",
            "Ваш прошлый оператор мне нахамил и бросил трубку.",
            "Это уже издевательство какое-то.",
            "Я очень недоволен вашим обслуживанием.",
            "Мне пришёл счёт в два раза больше, я в шоке.",
            "Если вы не решите вопрос, я буду жаловаться.",
            "Я напишу жалобу в Роспотребнадзор.",
            "Хочу расторгнуть договор, с меня хватит.",
            "Никто ничего не может объяснить, одни отговорки.",
            "Связь ужасная, постоянно обрывается.",
            "Опять не работает, как и на прошлой неделе.",
            "Я уже устал ждать вашего мастера.",
            "Почему мне никто не перезвонил, как обещали?",
            "Это просто кошмар, а не сервис.",
            "Вы меня обманули с тарифом.",
            "Мне навязали платную подписку.",
            "Деньги за заказ списали, а заказ так и не привезли.",
            "Позовите руководителя, я хочу с ним поговорить.",
            "Я крайне разочарован.",
            "Верните мне деньги, это грабёж.",
            "Приложение постоянно зависает и выкидывает.",
            "Третий раз объясняю одно и то же.",
            "Меня это совершенно не устраивает.",
        ],
        "negative_close": [
            "Ничего вы не решили, зря только время потратил.",
            "То есть опять ждать? Это ужасно.",
            "Спасибо, конечно, но это никуда не годится.",
            "Я всё равно буду писать жалобу.",
            "Больше никогда к вам не обращусь.",
            "Ладно, но я крайне недоволен.",
            "Вы совершенно бесполезны.",
            "Отвратительный сервис, до свидания.",
            "Всё, я расторгаю договор.",
            "Ну и бардак у вас.",
            "Меня такой ответ не устраивает.",
            "Это какое-то издевательство, честное слово.",
        ],
        "neutral": [
            "Номер договора четыре пять семь, восемь один два.",
            "Меня зовут Светлана Николаевна.",
            "Я звоню по поводу счёта за прошлый месяц.",
            "Адрес: улица Ленина, дом пять, квартира двенадцать.",
            "Да, это я.",
            "Подождите, сейчас найду номер.",
            "Хорошо, я подожду.",
            "А когда приедет мастер?",
            "Мне нужно узнать баланс.",
            "Я хочу перейти на другой тариф.",
            "Дата рождения двенадцатое марта восемьдесят пятого года.",
            "Карта заканчивается на четыре три два один.",
            "Да, всё верно.",
            "А сколько это будет стоить?",
            "Я пользуюсь роутером, который вы давали.",
            "Сейчас посмотрю, одну минуту.",
            "Перезвоните мне, пожалуйста, после шести.",
            "Да, номер телефона тот же.",
            "Запишите, пожалуйста, мой электронный адрес.",
            "А где это посмотреть в приложении?",
            "Угу, слушаю.",
            "Договор оформлен на мужа.",
        ],
        "neutral_close": [
            "Нет, это всё.",
            "Понятно.",
            "Ладно, буду ждать.",
            "Нет, больше вопросов нет.",
            "Хорошо, до свидания.",
            "Ясно, тогда дождусь мастера.",
            "Поняла, перезвоню завтра.",
            "Угу, до свидания.",
        ],
        "positive_close": [
            "Спасибо большое, вы мне очень помогли!",
            "Отлично, всё заработало, спасибо.",
            "Наконец-то, интернет снова работает.",
            "Вот это другое дело, благодарю.",
            "Замечательно, спасибо за помощь.",
            "Огромное спасибо, вы меня выручили.",
            "Да, теперь всё работает, спасибо.",
            "Прекрасно, так меня полностью устраивает.",
            "Спасибо, очень приятно было с вами пообщаться.",
            "Всё понятно, спасибо, вы очень вежливы.",
            "Хорошо, спасибо вам огромное.",
            "Супер, деньги уже вернулись.",
            "Ой, как хорошо, спасибо.",
            "Спасибо, что так быстро разобрались.",
            "Отлично, меня всё устраивает.",
            "Вы лучший оператор, с которым я говорил.",
            "Благодарю за оперативность.",
            "Спасибо, проблема решена.",
            "Класс, спасибо!",
            "Да, вижу, всё в порядке, спасибо.",
            "Здорово, спасибо за подсказку.",
            "Очень рад, что всё получилось.",
            "Я доволен, спасибо.",
        ],
        "positive_open": [
            "Добрый день! Хочу сказать спасибо вашему мастеру, всё сделал отлично.",
            "Здравствуйте, у меня всё хорошо, просто хочу подключить ещё одну услугу.",
            "Здравствуйте! Я очень довольна вашим интернетом, хочу продлить договор.",
            "Добрый вечер, спасибо, что так быстро перезвонили.",
        ],
        "neutral_open": [
            "Здравствуйте, я хочу узнать остаток на счёте.",
            "Добрый день, подскажите, как поменять тариф.",
            "Здравствуйте, мне нужно изменить адрес доставки.",
            "Алло, я по поводу заказа номер сорок два.",
            "Здравствуйте, когда будет следующее списание абонентской платы?",
        ],
        "operator": [
            "Здравствуйте, компания Сеть Плюс, меня зовут Мария.",
            "Назовите, пожалуйста, номер договора.",
            "Одну минуту, я проверю информацию.",
            "Спасибо за ожидание.",
            "Я передала заявку мастеру, он приедет завтра с десяти до двух.",
            "Деньги вернутся на карту в течение трёх рабочих дней.",
            "Я перезапустил ваше подключение.",
            "Есть ли у вас ещё вопросы?",
            "Всего доброго, до свидания.",
            "Приношу извинения за неудобства.",
            "Сейчас уточню у специалиста.",
        ],
    },
    "en": {
        "negative_open": [
            "My internet has been down for three days, this is outrageous.",
            "How many times do I have to call you about the same thing?",
            "I'm sick of your service breaking every single week.",
            "You charged me for a service I never ordered. How is that even possible?",
            "I waited on hold for forty minutes to get through to you.",
            "The connection drops every ten minutes, I can't work like this.",
            "You blocked my card without any warning and now I can't pay for anything.",
            "The parcel was promised for Monday and it still hasn't arrived.",
            "Your last agent was rude to me and hung up.",
            "This is ridiculous.",
            "I'm really unhappy with your service.",
            "My bill is twice what it should be, I'm shocked.",
            "If you don't sort this out, I'm filing a complaint.",
            "I want to cancel my account, I've had enough.",
            "Nobody can explain anything, just excuses.",
            "The line is terrible, calls keep dropping.",
            "It's not working again, same as last week.",
            "I'm tired of waiting for your technician.",
            "Why did nobody call me back like you promised?",
            "This is a nightmare, not a service.",
            "You lied to me about the price of the plan.",
            "Let me speak to your manager.",
            "I'm extremely disappointed.",
            "Give me my money back, this is a rip-off.",
            "The app keeps crashing and logging me out.",
            "I've explained this three times already.",
            "This is completely unacceptable.",
        ],
        "negative_close": [
            "You haven't fixed anything, what a waste of time.",
            "So I just have to wait again? That's awful.",
            "Thanks, I guess, but this is useless.",
            "I'm still going to file a complaint.",
            "I will never call you again.",
            "Fine, but I'm very unhappy about this.",
            "You are completely useless.",
            "Terrible service, goodbye.",
            "That's it, I'm cancelling my contract.",
            "What a mess.",
            "That answer is not acceptable to me.",
        ],
        "neutral": [
            "My account number is four five seven, eight one two.",
            "The account is under Peter Brown.",
            "I'm calling about last month's bill.",
            "The address is twelve Baker Street, flat five.",
            "Yes, that's me.",
            "Hold on, let me find the number.",
            "Okay, I'll hold.",
            "When will the technician come?",
            "I need to check my balance.",
            "I'd like to switch to another plan.",
            "My date of birth is March third, nineteen eighty.",
            "The card ends in four three two one.",
            "Yes, that's correct.",
            "How much will that cost?",
            "I'm using the router you sent me.",
            "Let me check, one moment.",
            "Please call me back after six.",
            "Yes, the phone number is the same.",
            "Where can I see that in the app?",
            "Uh huh, go on.",
            "The contract is in my husband's name.",
        ],
        "neutral_close": [
            "No, that's all.",
            "I see.",
            "Okay, I'll wait then.",
            "No more questions.",
            "Alright, bye.",
            "Got it, I'll call back tomorrow.",
            "Okay, I'll wait for the technician.",
        ],
        "positive_close": [
            "Thank you so much, you've been a great help!",
            "Perfect, it works now, thanks.",
            "Finally, the internet is back.",
            "That's much better, thank you.",
            "Wonderful, thanks for your help.",
            "Thanks a lot, you saved me.",
            "Yes, everything works now, thank you.",
            "Great, that suits me perfectly.",
            "Thanks, it was a pleasure talking to you.",
            "All clear, thank you, you were very kind.",
            "Awesome, the money is already back.",
            "Oh, that's great, thanks.",
            "Thanks for sorting it out so quickly.",
            "Excellent, I'm happy with that.",
            "You're the best agent I've talked to.",
            "Thanks, the problem is solved.",
            "Brilliant, thank you!",
            "Yes, I can see it's fine now, thank you.",
            "I'm glad it worked out.",
        ],
        "positive_open": [
            "Hi! I just wanted to say your technician did a great job.",
            "Hello, everything is fine, I'd just like to add another service.",
            "Hi, I love your internet, I want to renew my contract.",
            "Good evening, thanks for calling me back so quickly.",
        ],
        "neutral_open": [
            "Hello, I'd like to check my balance.",
            "Hi, how do I change my plan?",
            "Hello, I need to change the delivery address.",
            "Hi, I'm calling about order number forty two.",
            "Hello, when is the next monthly payment taken?",
        ],
        "operator": [
            "Thank you for calling City Fiber, my name is Emma.",
            "May I have your account number, please?",
            "One moment, let me check.",
            "Thank you for waiting.",
            "I have booked a technician for tomorrow between ten and two.",
            "The money will be back on your card within three working days.",
            "I have reset your connection.",
            "Is there anything else I can help you with?",
            "Have a nice day, goodbye.",
            "I'm sorry for the inconvenience.",
            "Let me check with a specialist.",
        ],
    },
}

# Start mood -> how likely each end mood is (angry customers mostly calm down, some do not).
END_GIVEN_START = {
    "negative": (("positive", 0.45), ("neutral", 0.25), ("negative", 0.30)),
    "neutral": (("positive", 0.45), ("neutral", 0.40), ("negative", 0.15)),
    "positive": (("positive", 0.75), ("neutral", 0.20), ("negative", 0.05)),
}
START_MOODS = (("negative", 0.55), ("neutral", 0.30), ("positive", 0.15))
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class DevCall:
    name: str
    language: str
    segments: tuple[Segment, ...]
    customer_start: Mood
    customer_end: Mood


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _opening(rng: random.Random, pools: dict, mood: Mood) -> list[str]:
    if mood == "negative":
        return rng.sample(pools["negative_open"], rng.choice((1, 2, 2, 3)))
    return [rng.choice(pools[f"{mood}_open"])]


def _closing(rng: random.Random, pools: dict, mood: Mood) -> list[str]:
    lines = rng.sample(pools[f"{mood}_close"], rng.choice((1, 1, 2)))
    if mood != "neutral" and rng.random() < 0.5:  # a short neutral sign-off after the mood line
        lines.append(rng.choice(pools["neutral_close"]))
    return lines


def make_call(rng: random.Random, language: str, index: int, pools: dict[str, list[str]]) -> DevCall:
    start = _pick(rng, START_MOODS)
    end = _pick(rng, END_GIVEN_START[start])
    customer = _opening(rng, pools, start)
    customer += rng.sample(pools["neutral"], rng.choice((1, 2, 3, 4)))
    customer += _closing(rng, pools, end)
    operator = pools["operator"]
    turns: list[tuple[str, str]] = [("operator", operator[0])]
    for line in customer:
        turns.append(("customer", line))
        turns.append(("operator", rng.choice(operator[1:])))
    segments, t = [], 0.0
    for speaker, text in turns:
        duration = 0.4 + 0.45 * len(_WORDS.findall(text))
        segments.append(Segment(speaker=speaker, start=t, end=t + duration, text=text))
        t += duration + 0.3
    return DevCall(f"{language}_{index:03d}", language, tuple(segments), start, end)


def make_dev_set(count_per_language: int = 150, seed: int = 0, languages=("ru", "en"),
                 heldout: bool = False) -> list[DevCall]:
    """Calls from POOLS (the tuning set) or, with ``heldout``, from POOLS_HELDOUT."""
    calls = []
    for language in languages:
        pools = (POOLS_HELDOUT if heldout else POOLS)[language]
        rng = random.Random(f"callqa-sentiment-dev:{seed}:{language}:{'heldout' if heldout else 'tune'}")
        calls += [make_call(rng, language, i, pools) for i in range(count_per_language)]
    return calls


# A second pool set, written after the lexicons were tuned on POOLS and never tuned on:
# the held-out figure. Same structure and moods.
POOLS_HELDOUT: dict[str, dict[str, list[str]]] = {
    "ru": {
        "negative_open": [
            "Девушка, я к вам уже неделю не могу пробиться, что у вас творится?",
            "Мне второй месяц выставляют счёт за то, чем я не пользуюсь.",
            "Телевидение показывает через раз, картинка сыпется.",
            "Меня ваш курьер прождать заставил весь день, а так и не приехал.",
            "Вы опять сняли деньги два раза за один платёж.",
            "Мне хамят уже второй раз, я такого отношения не потерплю.",
            "Почему я должна сама всё проверять за вашими сотрудниками?",
            "Интернет еле ползёт, страница грузится минуту.",
            "Обещали подключить вчера, никто так и не пришёл.",
            "Я возмущена, мне отключили связь без предупреждения.",
            "Это уже не смешно, третья заявка за месяц.",
            "Мне плевать на ваши регламенты, сделайте нормально.",
            "Вы что, издеваетесь надо мной?",
            "Мне надоело слушать вашу музыку в трубке по сорок минут.",
            "Карта не работает, в магазине стою как дурак.",
            "Верните деньги за неоказанные услуги.",
            "Ваша поддержка отвечает отписками.",
            "Жуткий сервис, никому не посоветую.",
        ],
        "negative_close": [
            "Понятно, опять ничего не сделаете.",
            "Вот спасибо, помогли, называется.",
            "Это просто смешно, до свидания.",
            "Я недовольна, так и запишите.",
            "Буду искать другого провайдера.",
            "Очень плохо, что так всё устроено.",
            "Ну и зачем я вам тогда звонила?",
            "Разговор бесполезный, всего хорошего.",
        ],
        "neutral": [
            "Лицевой счёт один два три, четыре пять шесть.",
            "Паспорт серии сорок пять ноль один.",
            "Я сейчас не дома, могу продиктовать по памяти.",
            "Роутер стоит в коридоре.",
            "Платил через приложение банка.",
            "Подключение было оформлено в прошлом году.",
            "Мастер может прийти после обеда?",
            "Уточните, пожалуйста, сумму.",
            "Да, я на линии.",
            "Телефон восемь девятьсот шестнадцать.",
            "Квитанцию я получила по почте.",
            "Сейчас возьму ручку и запишу.",
        ],
        "neutral_close": [
            "Всё, вопросов больше нет.",
            "Хорошо, тогда до завтра.",
            "Записала, до свидания.",
            "Ладно, будем ждать мастера.",
            "Ага, понятно, до свидания.",
        ],
        "positive_close": [
            "Вы мне очень помогли, спасибо вам.",
            "Ура, заработало!",
            "Благодарю, теперь всё понятно и удобно.",
            "Какая вы молодец, спасибо.",
            "Вот теперь я довольна.",
            "Спасибо, вопрос закрыт, всё отлично.",
            "Спасибо за терпение, вы очень помогли.",
            "Прекрасно, буду ждать, спасибо большое.",
            "Всё прошло, спасибо, хорошего вам дня.",
            "Вы лучше всех, спасибо огромное.",
        ],
        "positive_open": [
            "Здравствуйте, хочу поблагодарить вашего сотрудника, очень помог вчера.",
            "Добрый день, всё отлично работает, хочу просто добавить номер.",
        ],
        "neutral_open": [
            "Здравствуйте, подскажите, как оплатить без комиссии.",
            "Добрый день, я хочу сменить номер телефона в договоре.",
            "Алло, мне нужна справка об оплате.",
        ],
        "operator": POOLS["ru"]["operator"],
    },
    "en": {
        "negative_open": [
            "I've been trying to reach you for a week, what on earth is going on?",
            "You keep billing me for something I don't even use.",
            "The TV signal cuts out every evening.",
            "I stayed home all day for your courier and he never showed up.",
            "You took the payment twice again.",
            "Your staff were rude to me again, I won't put up with it.",
            "Why do I have to check everything your people do?",
            "The internet is crawling, a page takes a minute to load.",
            "You promised to connect me yesterday and nobody came.",
            "I'm furious, you cut off my line without any notice.",
            "This isn't funny anymore, it's my third ticket this month.",
            "Are you kidding me?",
            "I'm fed up with your hold music.",
            "My card got declined at the store, it was embarrassing.",
            "Your support just sends me useless template replies.",
            "Awful service, I wouldn't recommend you to anyone.",
        ],
        "negative_close": [
            "Right, so nothing will be done again.",
            "Well, that was no help at all.",
            "This is a joke, goodbye.",
            "I'm not happy, please write that down.",
            "I'll be looking for another provider.",
            "It's really bad that it works like this.",
            "So why did I even bother calling?",
            "Pointless conversation, bye.",
        ],
        "neutral": [
            "The customer ID is one two three, four five six.",
            "I'm not at home, I can tell you from memory.",
            "The router is in the hallway.",
            "I paid through the bank app.",
            "The contract was signed last year.",
            "Can the technician come after lunch?",
            "Could you tell me the exact amount?",
            "Yes, I'm still here.",
            "My phone is eight nine one six.",
            "I got the invoice by mail.",
            "Let me grab a pen.",
        ],
        "neutral_close": [
            "That's it, no more questions.",
            "Okay, talk tomorrow then.",
            "Noted, bye.",
            "Fine, we'll wait for the technician.",
        ],
        "positive_close": [
            "You helped me a lot, thank you.",
            "Yay, it's working!",
            "Thanks, now it's all clear and easy.",
            "You're a star, thank you.",
            "Now I'm happy.",
            "Thanks, that's sorted, all good.",
            "Thanks for your patience, you were really helpful.",
            "Lovely, I'll wait, thanks so much.",
            "All done, thank you, have a lovely day.",
            "You're the best, thanks a million.",
        ],
        "positive_open": [
            "Hi, I'd like to thank your colleague, she was really helpful yesterday.",
            "Hello, everything works great, I just want to add a number.",
        ],
        "neutral_open": [
            "Hello, how can I pay without a fee?",
            "Hi, I need to change the phone number on my contract.",
            "Hello, I need a payment statement.",
        ],
        "operator": POOLS["en"]["operator"],
    },
}
