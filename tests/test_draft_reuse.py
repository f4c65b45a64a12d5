"""A draft that shares finished sentences with one just analysed reuses their tokens: the result must be
exactly what analysing it afresh gives, whatever the edit."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from coach_server.text.analysis import DraftCache, TextFacts

PIECES = ["Здравствуйте!", "Меня зовут Анна.", "Доставка стоит 300 руб. т.е. недорого.", "Смотрите bank.ru/cards.",
          "Пишите на info@shop.ru.", "Звоните: +7 (999) 123-45-67.", "Как дела?", "а доставка?", "Hello! How are u?", "тел 8 999 123 45 67", "Заказ48 12 34 56 78", "+7", "999", "(495)",
          "«Цитата» в кавычках.", "Сейчaс проверю.", "\n", "  ", "Т. е. так.", "https://x.ru/a?b=1.", "Ок"]


def shape(facts: TextFacts):
    return ([(t.text, t.start, t.end, t.kind, t.lower, t.script) for t in facts.tokens],
            [(s.start, s.end, s.first, s.last, s.terminator) for s in facts.sentences],
            [(w.index, w.lower, w.info) for w in facts.words])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=10), st.integers(0, 10_000), st.text(max_size=5))
def test_reused_analysis_equals_a_fresh_one(pieces, where, insert):
    base = " ".join(pieces)
    cache = DraftCache()
    cache.get(base)
    cut = where % (len(base) + 1)
    for edited in (base[:cut], base[:cut] + insert, base[:cut] + insert + base[cut:], base + insert):
        assert shape(cache.get(edited)) == shape(TextFacts(edited))


def test_typing_reuses_finished_sentences():
    cache = DraftCache()
    text = "Здравствуйте! Меня зовут Анна, я менеджер магазина. Доставка в Казань стоит 300 рублей"
    first = cache.get(text)
    second = cache.get(text + ",")
    assert second.tokens[0] is first.tokens[0]  # the finished sentences' tokens are the same objects
    assert shape(second) == shape(TextFacts(text + ","))
    rng = random.Random(1)
    for _ in range(50):  # backspace and retype anywhere
        i = rng.randrange(len(text))
        edited = text[:i] + text[i + 1:]
        assert shape(cache.get(edited)) == shape(TextFacts(edited))
