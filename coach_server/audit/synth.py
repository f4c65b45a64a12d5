"""A synthetic corpus of exported chats, for benchmarks and tests of the audit and the back-test.

Realistic templates from the situations the rules come from (a car dealer, real estate, a bank, a tour
agency, a shop, an internet provider; Russian and some English): clients ask, operators answer well or
commit the usual mistakes — a slow first reply, a link with no explanation, an order without «пожалуйста»,
the phone number before any help, the same template twice, a burst of questions, slang, capitals, «не
можем», «напишите завтра», a farewell with a question still open. Deterministic for a given seed.

    python -m coach_server.audit.synth 3000 > corpus.jsonl     # 3,000 chats
    python -m coach_server.audit.synth 3000 --bad 1%           # …with 1% malformed lines
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from typing import Any

START = 1_750_000_000.0  # 2025-06-15

OPERATORS_RU = ["Анна", "Мария", "Ольга", "Алина", "Дмитрий", "Сергей", "Екатерина", "Игорь"]
OPERATORS_EN = ["Anna", "Mark", "Julia", "Tom"]

# domain → (client opener, good first answer, follow-up question, good follow-up answer)
RU_DOMAINS: dict[str, list[tuple[str, str, str, str]]] = {
    "auto": [
        ("Здравствуйте! Сколько стоит Camry в базовой комплектации?",
         "Camry в комплектации «Стандарт» стоит 3 200 000 рублей, сейчас действует скидка 150 000 при трейд-ин.",
         "А тест-драйв можно на выходных?",
         "Да, тест-драйв в субботу возможен с 10 до 18 часов, запись бесплатная."),
        ("Добрый день, есть ли в наличии белый RAV4?",
         "Белый RAV4 есть в наличии в двух комплектациях, оба автомобиля в салоне на Ленинском.",
         "Сколько стоит страховка?",
         "КАСКО на RAV4 обойдётся примерно в 120 000 рублей в год, точный расчёт сделает менеджер."),
    ],
    "realty": [
        ("Здравствуйте, сколько стоит двухкомнатная квартира в ЖК «Север»?",
         "Двухкомнатные квартиры в ЖК «Север» стоят от 7,8 млн рублей, площадь от 54 квадратных метров.",
         "А ипотека есть?",
         "Да, ипотека от 6% годовых через три банка-партнёра, первый взнос от 20%."),
        ("Добрый вечер! Когда сдаётся второй корпус?",
         "Второй корпус сдаётся в третьем квартале следующего года, стройка идёт по графику.",
         "Застройщик надёжный?",
         "Застройщик работает 15 лет и сдал 40 домов без задержек, все документы есть на стройплощадке."),
    ],
    "bank": [
        ("Подберите мне, пожалуйста, кредитную карту",
         "Для покупок подойдёт карта «Платинум»: 120 дней без процентов и бесплатное обслуживание.",
         "А кэшбэк у неё есть?",
         "Да, кэшбэк 1% на все покупки и 5% в выбранной категории каждый месяц."),
        ("Здравствуйте, как закрыть вклад досрочно?",
         "Вклад можно закрыть в приложении или в любом отделении, проценты пересчитаются по ставке 0,1%.",
         "Деньги придут сразу?",
         "Да, деньги поступят на карту в течение нескольких минут после закрытия."),
    ],
    "tour": [
        ("Сколько стоит тур в Турцию на двоих в августе?",
         "Неделя в Турции на двоих в августе стоит от 140 000 рублей с перелётом и питанием «всё включено».",
         "А вылет из Казани есть?",
         "Да, из Казани вылеты по вторникам и субботам, цена почти та же."),
        ("Здравствуйте! Куда лучше поехать с ребёнком в сентябре?",
         "В сентябре с ребёнком хорошо в Турции и на Кипре: море тёплое, жары уже нет.",
         "А виза на Кипр нужна?",
         "Нужна, но её легко оформить онлайн за пару дней, мы поможем с анкетой."),
    ],
    "shop": [
        ("Здравствуйте! Сколько стоит доставка в Казань и сколько дней идёт?",
         "Доставка в Казань занимает 2–3 дня и стоит 300 рублей.",
         "Можно оплатить картой при получении?",
         "Да, курьер принимает карты и наличные."),
        ("Где мой заказ? Обещали вчера привезти.",
         "Ваш заказ сейчас у курьера, он привезёт его сегодня до 18 часов.",
         "Можно перенести на завтра?",
         "Да, я перенесла доставку на завтра, курьер позвонит за час."),
    ],
    "internet": [
        ("У меня третий день не работает интернет, это ужасно!",
         "Мне очень жаль, что так вышло. Вижу аварию на линии в вашем доме, бригада уже работает.",
         "Когда починят?",
         "Бригада обещает закончить сегодня до 20 часов, я пришлю сообщение, когда всё заработает."),
    ],
}

EN_DOMAINS: dict[str, list[tuple[str, str, str, str]]] = {
    "shop": [
        ("Hi, how much is delivery to Boston?",
         "Delivery to Boston costs $5 and takes two days.",
         "Can I pay by card?",
         "Yes, you can pay by card or in cash on delivery."),
    ],
    "realty": [
        ("Hello, how much is a two-bedroom apartment in the Riverside complex?",
         "Two-bedroom apartments in Riverside start at $420,000, from 80 square metres.",
         "Is there a mortgage option?",
         "Yes, our partner banks offer mortgages from 5.5% with 10% down."),
    ],
}

RU_GREETING_GOOD = "Здравствуйте! Меня зовут {op}."
RU_CLOSING_GOOD = "Могу ли я ещё чем-то помочь?"
EN_GREETING_GOOD = "Hello! My name is {op}."
EN_CLOSING_GOOD = "Is there anything else I can help you with?"

# the usual mistakes (each a kind of operator reply)
RU_BAD_REPLIES = [
    "Пройдите на сайт https://example.ru/offers и посмотрите условия",
    "https://example.ru/price",
    "Оставьте ваш номер телефона, менеджер перезвонит.",
    "Мы не можем ответить на этот вопрос в чате.",
    "СМОТРИТЕ РАЗДЕЛ АКЦИИ НА САЙТЕ",
    "спс, щас гляну",
    "Да",
    "Менеджеров сейчас нет, напишите завтра.",
    "Куда хотите поехать? Когда? Сколько вас будет?",
    "Hello! Please check our website for details.",
    "Привет! Что ты хотел узнать?",
    "Для оформления необходимо заполнить заявление на сайте в личном кабинете, приложить фотографию паспорта и "
    "документов о доходах, указать желаемую сумму и срок, после чего специалист в течение трёх рабочих дней "
    "рассмотрит заявку и свяжется с вами для согласования всех условий и подписания договора в отделении банка, "
    "где вам также предложат подключить дополнительные услуги и страховку на выгодных условиях.",
]
EN_BAD_REPLIES = [
    "Click the link and read the terms",
    "Leave your phone number please.",
    "We can't help with that here.",
    "thx, will check it for u",
    "No",
]
RU_TEMPLATE = "Оставьте ваш номер телефона, и наш менеджер свяжется с вами в ближайшее время."
RU_CLIENT_AGAIN = ["Алло?", "Вы тут?", "Можно узнать без звонка?", "Так сколько стоит?"]


def _ts(t: float) -> float:
    return round(t, 1)


def make_chat(rng: random.Random, n: int) -> dict[str, Any]:
    english = rng.random() < 0.15
    domains = EN_DOMAINS if english else RU_DOMAINS
    domain = rng.choice(sorted(domains))
    opener, answer, follow, follow_answer = rng.choice(domains[domain])
    op = rng.choice(OPERATORS_EN if english else OPERATORS_RU)
    quality = rng.random()  # below 0.45 a careless operator, above a careful one
    careless = quality < 0.45
    t = START + n * 97.0 + rng.uniform(0, 60)
    msgs: list[dict[str, Any]] = []

    def client(text: str, delay: float) -> None:
        nonlocal t
        t += delay
        msgs.append({"role": "client", "text": text, "ts": _ts(t)})

    def operator(text: str, delay: float) -> None:
        nonlocal t
        t += delay
        msgs.append({"role": "operator", "text": text, "ts": _ts(t)})

    client(opener, 0)
    if rng.random() < 0.04:  # nobody ever answered (the car dealer that never did)
        if rng.random() < 0.5:
            client("Есть кто-нибудь?" if not english else "Is anyone there?", rng.uniform(60, 200))
        return _chat(n, op if False else None, "en" if english else None, msgs)
    first_delay = rng.uniform(40, 400) if careless and rng.random() < 0.5 else rng.uniform(5, 25)
    greeting = (EN_GREETING_GOOD if english else RU_GREETING_GOOD).format(op=op)
    if careless and rng.random() < 0.3:
        greeting = "Hello!" if english else "Добрый день."
    operator(greeting, first_delay)
    bad_pool = EN_BAD_REPLIES if english else RU_BAD_REPLIES
    if careless:
        reply = rng.choice(bad_pool)
        operator(reply, rng.uniform(10, 120))
        if not english and rng.random() < 0.3:
            operator(RU_TEMPLATE, rng.uniform(5, 20))
            client(rng.choice(RU_CLIENT_AGAIN), rng.uniform(10, 60))
            operator(RU_TEMPLATE, rng.uniform(20, 200))
            return _chat(n, op, "en" if english else None, msgs)
    else:
        operator(answer, rng.uniform(8, 45))
    client(follow, rng.uniform(10, 90))
    if careless and rng.random() < 0.5:
        operator(rng.choice(bad_pool), rng.uniform(30, 240))
        if rng.random() < 0.5:
            operator("До свидания!" if not english else "Bye!", rng.uniform(5, 30))
    else:
        operator(follow_answer, rng.uniform(8, 50))
        if rng.random() < 0.6:
            operator(EN_CLOSING_GOOD if english else RU_CLOSING_GOOD, rng.uniform(3, 10))
            client("Нет, спасибо!" if not english else "No, thanks!", rng.uniform(5, 40))
            operator("Спасибо за обращение, хорошего дня!" if not english else "Thank you, have a nice day!",
                     rng.uniform(3, 15))
    return _chat(n, op, "en" if english else None, msgs)


def _chat(n: int, op: str | None, lang: str | None, msgs: list[dict[str, Any]]) -> dict[str, Any]:
    chat: dict[str, Any] = {"chat_id": f"synth-{n:06d}"}
    if op:
        chat["operator"] = op
    if lang:
        chat["lang"] = lang
    chat["messages"] = msgs
    return chat


BAD_LINES = [
    "{not json",
    "[1, 2, 3]",
    '{"chat_id": "x", "messages": []}',
    '{"chat_id": "x", "messages": [{"role": "robot", "text": "hi"}]}',
    '{"chat_id": "x", "messages": [{"role": "client", "text": "hi", "ts": 1750000000000}]}',
]


def generate(count: int, seed: int = 7, bad_share: float = 0.0) -> Iterator[str]:
    """`count` JSONL lines (chats; a `bad_share` of them malformed on purpose)."""
    rng = random.Random(seed)
    for n in range(count):
        if bad_share and rng.random() < bad_share:
            yield rng.choice(BAD_LINES)
        else:
            yield json.dumps(make_chat(rng, n), ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coach_server.audit.synth", description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, help="how many chats")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad", default="0", help="share of malformed lines, e.g. 1%% or 0.01")
    args = parser.parse_args(argv)
    bad = float(args.bad.rstrip("%")) / (100 if args.bad.endswith("%") else 1)
    out = sys.stdout
    for line in generate(args.count, args.seed, bad):
        out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
