"""The cases from the seed articles, through the whole engine (all rules at once), as a user meets them."""
from __future__ import annotations

NOW = 1_750_000_000.0


def rules_of(result):
    return {w.rule for w in result.warnings}


def test_bank_operator_orders_without_please(coach):
    result = coach.check({"draft": "Пройдите на сайт и посмотрите условия", "now": NOW, "messages": [
        {"role": "client", "text": "Подберите мне, пожалуйста, кредитную карту", "ts": NOW - 20},
        {"role": "operator", "text": "Здравствуйте! Меня зовут Мария.", "ts": NOW - 10},
    ]})
    w = next(w for w in result.warnings if w.rule == "missing_please")
    assert "Пройдите на сайт и посмотрите условия"[w.start:w.end] == "Пройдите"
    assert w.suggestion == "Пройдите, пожалуйста,"
    assert result.lang == "ru"


def test_same_template_twice(coach):
    template = "Оставьте ваш номер телефона, и наш менеджер свяжется с вами в ближайшее время."
    result = coach.check({"draft": template, "now": NOW, "messages": [
        {"role": "client", "text": "Сколько стоит тур в Турцию?", "ts": NOW - 300},
        {"role": "operator", "text": template, "ts": NOW - 280},
        {"role": "client", "text": "Можно узнать цену без звонка?", "ts": NOW - 30},
    ]})
    assert "repeated_template" in rules_of(result)


def test_phone_right_after_first_question(coach):
    result = coach.check({"draft": "Оставьте ваш номер телефона", "now": NOW, "messages": [
        {"role": "client", "text": "Здравствуйте! Сколько стоит тур в Турцию на двоих?", "ts": NOW - 20},
    ]})
    assert "early_contact_request" in rules_of(result)


def test_english_reply_to_russian_client(coach):
    result = coach.check({"draft": "Hello! Please choose an apartment from our catalogue.", "now": NOW, "messages": [
        {"role": "client", "text": "Здравствуйте, сколько стоит двухкомнатная квартира?", "ts": NOW - 20},
    ]})
    assert "language_mismatch" in rules_of(result)
    assert result.lang == "ru"
    w = next(w for w in result.warnings if w.rule == "language_mismatch")
    assert "по-русски" in w.message  # worded in the client's language


def test_good_reply_gets_no_warnings(coach):
    result = coach.check({"draft": "Доставка в Казань занимает 2–3 дня и стоит 300 рублей. Оформить заказ?",
                          "now": NOW, "operator_name": "Анна", "messages": [
        {"role": "client", "text": "Здравствуйте! Сколько стоит доставка в Казань и сколько дней идёт?", "ts": NOW - 40},
        {"role": "operator", "text": "Здравствуйте! Меня зовут Анна, сейчас подскажу.", "ts": NOW - 30},
    ]})
    assert result.warnings == []


def test_operator_who_fires_questions(coach):
    result = coach.check({"draft": "Куда хотите поехать? Когда? Сколько вас будет?", "now": NOW, "messages": [
        {"role": "client", "text": "Хочу тур на море", "ts": NOW - 20},
        {"role": "operator", "text": "Здравствуйте! Меня зовут Ольга.", "ts": NOW - 15},
    ]})
    assert "question_burst" in rules_of(result)


def test_come_back_later_without_contact(coach):
    result = coach.check({"draft": "Менеджеров сейчас нет, напишите завтра.", "now": NOW, "messages": [
        {"role": "client", "text": "Хочу узнать про Камри", "ts": NOW - 20},
        {"role": "operator", "text": "Здравствуйте! Меня зовут Алина.", "ts": NOW - 15},
    ]})
    assert "come_back_later" in rules_of(result)
