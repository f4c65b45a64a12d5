"""Text analysis: offsets survive everything chat text throws at them; sentences; language."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from coach_server.text.analysis import TextFacts
from coach_server.text.tokens import tokenize


def kinds(text):
    return [(t.kind, t.text) for t in tokenize(text) if t.kind != "word" and t.kind != "punct"]


def test_offsets_point_into_the_text():
    text = "Здравствуйте!  Ссылка: https://bank.ru/cards?x=1, тел. +7 (999) 123-45-67, info@bank.ru 😊"
    for tok in tokenize(text):
        assert text[tok.start:tok.end] == tok.text


def test_links_phones_emails_are_single_tokens():
    assert kinds("https://bank.ru/cards. +7 (999) 123-45-67, 8 800 555 35 35 info@bank.ru") == [
        ("url", "https://bank.ru/cards"), ("phone", "+7 (999) 123-45-67"), ("phone", "8 800 555 35 35"),
        ("email", "info@bank.ru")]
    assert kinds("в 15:00, 12.05.2024") == [("number", "15:00"), ("number", "12.05.2024")]


def test_sentences_respect_abbreviations_and_links():
    f = TextFacts("Цена 1 500 руб. т.е. дёшево. Смотрите bank.ru/cards. Как дела? а доставка?")
    assert [f.sentence_text(s) for s in f.sentences] == [
        "Цена 1 500 руб. т.е. дёшево.", "Смотрите bank.ru/cards.", "Как дела?", "а доставка?"]


def test_a_quoted_title_with_a_question_mark_ends_no_sentence():
    f = TextFacts("Нажмите «Забыли пароль?» на странице входа. Click \"Forgot password?\", then the link.")
    assert [f.sentence_text(s) for s in f.sentences] == [
        "Нажмите «Забыли пароль?» на странице входа.", 'Click "Forgot password?", then the link.']
    assert f.questions == []
    g = TextFacts("Он спросил: «Когда?» Я ответил.")  # a quoted question before a new sentence still ends it
    assert [g.sentence_text(s) for s in g.sentences] == ["Он спросил: «Когда?»", "Я ответил."]


def test_questions_without_question_mark():
    f = TextFacts("сколько стоит доставка")
    assert len(f.questions) == 1
    assert TextFacts("Когда заказ приедет, мы позвоним").questions == []


def test_language():
    assert TextFacts("Hello! How can I help you?").lang == "en"
    assert TextFacts("Да, iPhone 15 Pro есть, пришлю фото в WhatsApp").lang == "ru"
    assert TextFacts("iPhone 15 Pro").lang is None
    assert TextFacts("Delivery costs $5.").lang == "en"


def test_morphology_cached_per_form():
    a, b = TextFacts("посмотрите"), TextFacts("Посмотрите условия")
    assert a.words[0].info is b.words[0].info


def test_machine_lines_are_found_by_each_of_their_signs():
    """Every sign of a log, code or data line is found — each strong one alone, two weak ones together — on
    the first line and on a later one, while prose with the same punctuation is not: the quick character
    tests in front of the patterns must never hide a sign."""
    from coach_server.text.language import machine_spans

    strong = ["[2024-01-01 12:00] boot", "2024-01-01T10:00 started", "12:00:00 start", "{ нет", "<div>", "#include <stdio.h>",
              "$ ls -la", ">>> print", "at foo.bar( line", "a => b", "x -> y", "A::B", "текст </b>", "{ 'k'",
              "'k': 1", "foo();", "  \u00a0[x", "\u0663\u0663\u0663\u0663-01-01 10:00 x", ": в 12:30:05 — ошибка \u0431\u0430\u0437\u044b, ключ=1 [0]"]
    weak_pairs = ["путь /api/v1/x и user_name", "вызов getUser и key=value", "error.robot_token.not_found [0]",
                  "в 10:11:12 файл app.py", "line 5 в app.py", "код 0x1F, key=v", "f() { и a=b"]
    prose = ["Здравствуйте: заказ уже в пути.", "Ответ: «да», а доставка — завтра (в пятницу).",
             "Hello: the order is on its way, isn't it?"]
    for line in strong + weak_pairs:
        assert machine_spans(line) == [(0, len(line))], line
        text = "Первая строка прозы.\n" + line
        assert machine_spans(text) == [(21, len(text))], line
    for line in prose:
        assert machine_spans(line) == [], line


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["aZzA.._ яЯ1é,\n", "[]{}<>=_/\\;:$ a.", "aAzZ. 1_я"]).flatmap(
    lambda alphabet: st.text(alphabet=alphabet, max_size=30)))
def test_the_quick_sign_test_finds_what_the_one_pattern_did(text):
    """`_any_sign` — three patterns, each found by what it starts with — says what the single alternation it
    stands for said, on any text of the characters the signs are made of."""
    import re

    from coach_server.text.language import _any_sign

    assert _any_sign(text) == (re.search(r"[\[\]{}<>=_/\\;:$]|[a-z][A-Z]|\w\.\w", text) is not None)
