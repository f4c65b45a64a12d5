"""Good operator replies in real-looking chats draw no warning from any rule: the coach must stay quiet
when the operator does it right, or operators learn to ignore it."""
from __future__ import annotations

import pytest

NOW = 1_750_000_000.0


def chat(*turns):
    out = []
    for role, text, ago in turns:
        out.append({"role": role, "text": text, "ts": NOW - ago})
    return out


GOOD = [
    # first reply: greeting, name, an answer
    ("Здравствуйте! Меня зовут Анна. Да, доставляем в Казань — 2–3 дня, 300 рублей.", "Анна",
     chat(("client", "Добрый день, доставляете в Казань?", 20))),
    # answers both questions
    ("Доставка 300 рублей, оплатить можно картой при получении.", "Анна",
     chat(("client", "Здравствуйте", 120), ("operator", "Здравствуйте! Меня зовут Анна, чем могу помочь?", 110),
          ("client", "Сколько стоит доставка и можно ли оплатить картой?", 30))),
    # asks for the phone after giving
    ("Могу оформить заказ за вас: оставьте, пожалуйста, телефон для курьера.", "Анна",
     chat(("client", "Сколько стоит диван «Лион»?", 200),
          ("operator", "Здравствуйте! Меня зовут Анна. «Лион» стоит 45 900 рублей, в наличии серый и бежевый.", 180),
          ("client", "Беру серый", 40))),
    # empathy to an upset client
    ("Простите за задержку, это наша ошибка. Заказ передан курьеру, он привезёт его сегодня до 18:00.", "Анна",
     chat(("operator", "Здравствуйте! Меня зовут Анна.", 400), ("client", "Безобразие!!! Третий день жду заказ", 30))),
    # checks in, no farewell
    ("Вы ещё на связи? Если остались вопросы, с радостью помогу.", "Анна",
     chat(("client", "Сколько стоит доставка?", 400), ("operator", "300 рублей по городу.", 380))),
    # goodbye after the client closed
    ("Спасибо, что обратились! Хорошего дня!", "Анна",
     chat(("operator", "Могу ли я ещё чем-то помочь?", 60), ("client", "Нет, спасибо, всё понятно", 20))),
    # honest bad news with a time and a contact
    ("Сейчас уточню у склада. Оставьте, пожалуйста, телефон — перезвоню в течение часа.", "Анна",
     chat(("operator", "Здравствуйте! Меня зовут Анна.", 300), ("client", "Когда поступит синий цвет?", 30))),
    # a link with an explanation
    ("Карта бесплатная, кэшбэк 5% на продукты и 1% на всё остальное. Подробные условия: https://bank.ru/cards",
     "Мария", chat(("operator", "Здравствуйте! Меня зовут Мария.", 100), ("client", "Какую карту посоветуете?", 30))),
    # brands in Latin inside Russian
    ("Да, iPhone 15 Pro есть в наличии, пришлю фото в WhatsApp, если удобно.", "Анна",
     chat(("operator", "Здравствуйте! Меня зовут Анна.", 100), ("client", "Есть айфон 15 про?", 30))),
    # clarifying question back
    ("Подскажите, пожалуйста, в какой город нужна доставка?", "Анна",
     chat(("operator", "Здравствуйте! Меня зовут Анна.", 100), ("client", "Сколько стоит доставка?", 20))),
    # holding reply
    ("Минутку, уточню у коллег.", "Анна",
     chat(("operator", "Здравствуйте! Меня зовут Анна.", 100), ("client", "А рассрочка есть?", 20))),
    # two questions, not a burst
    ("Подберу тур: на какие даты и на сколько человек?", "Ольга",
     chat(("operator", "Здравствуйте! Меня зовут Ольга.", 100), ("client", "Хочу в Турцию", 20))),
    # English
    ("Hello! My name is Anna. Yes, we ship to Germany: 3–5 days, €9.", "Anna",
     chat(("client", "Hi, do you ship to Germany?", 20))),
    ("Sorry for the delay, that's on us. Your order left our warehouse today and arrives by Friday.", "Anna",
     chat(("operator", "Hello! My name is Anna.", 300), ("client", "This is ridiculous!!! Where is my order?", 30))),
    ("Could you leave your email? I'll send the full price list there.", "Anna",
     chat(("client", "How much is a sofa?", 300),
          ("operator", "Hello! I'm Anna. Our sofas start at $899, delivery is free.", 280),
          ("client", "Can you send me the catalogue?", 30))),
    ("Is there anything else I can help you with?", "Anna",
     chat(("operator", "Hello! I'm Anna.", 300), ("client", "What are your opening hours?", 200),
          ("operator", "We're open 9 am to 6 pm, Monday to Saturday.", 150), ("client", "Great, thanks", 30))),
]


@pytest.mark.parametrize("draft, name, messages", GOOD, ids=[f"good-{i}" for i in range(len(GOOD))])
def test_good_reply_is_not_flagged(coach, draft, name, messages):
    result = coach.check({"draft": draft, "messages": messages, "now": NOW, "operator_name": name})
    assert [(w.rule, w.message) for w in result.warnings] == []


@pytest.mark.parametrize("final, name, messages", [
    ("Здравствуйте! Меня зовут Анна. Доставка в Казань стоит 300 рублей, оплатить можно картой курьеру.", "Анна",
     chat(("client", "Добрый день! Сколько стоит доставка в Казань и можно ли оплатить картой?", 20))),
    ("Hello! My name is Anna. Shipping to Berlin costs €9 and takes 3 days.", "Anna",
     chat(("client", "Hi! How much is shipping to Berlin?", 20))),
])
def test_typing_a_good_reply_stays_quiet(coach, final, name, messages):
    """Keystroke by keystroke (caret at the end), the half-typed word is never judged: no typo, slang or
    caps flashes; the reply ends with no warnings at all."""
    seen = set()
    for i in range(1, len(final) + 1):
        draft = final[:i]
        result = coach.check({"draft": draft, "caret": i, "messages": messages, "now": NOW, "operator_name": name})
        seen |= {w.rule for w in result.warnings}
    assert seen <= {"no_introduction", "unanswered_question"}
    assert coach.check({"draft": final, "messages": messages, "now": NOW, "operator_name": name}).warnings == []
