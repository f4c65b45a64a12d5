"""`repeated_template` on maximal texts (issue 19, item 10): a text longer than MAX_COMPARED is compared by its
beginning and end, so twenty 20,000-character messages cost a few milliseconds, not 58 ms in one piece — and a
long template re-sent is still flagged, a long new text still not."""
from __future__ import annotations

import random

from coach_server import Coach
from coach_server.checks.repetition import MAX_COMPARED, normalize
from tests.conftest import RULES

NOW = 1_750_000_000.0
WORDS = "заказ доставка курьер адрес оплата карта склад пункт выдачи неделя понедельник вторник среда".split()


def text(seed: int, size: int) -> str:
    rng = random.Random(seed)
    out = []
    while sum(len(w) + 1 for w in out) < size:
        out.append(rng.choice(WORDS))
    return " ".join(out).capitalize() + "."


def test_long_texts_are_compared_by_their_ends():
    assert len(normalize("а" * 20_000)) == MAX_COMPARED
    assert normalize("Короткий ответ, Ёж!") == "короткий ответ  еж"


def test_a_long_template_sent_again_is_flagged_and_a_long_new_text_is_not():
    coach = Coach.load(RULES)
    template = text(1, 19_000)
    messages = [{"role": "client", "text": "Где заказ?", "ts": NOW - 300},
                {"role": "operator", "text": template, "ts": NOW - 200},
                {"role": "client", "text": "А подробнее?", "ts": NOW - 100}]
    again = coach.check({"draft": template, "messages": messages, "now": NOW, "caret": len(template)})
    assert "repeated_template" in [w.rule for w in again.warnings]
    fresh = text(2, 19_000)
    other = coach.check({"draft": fresh, "messages": messages, "now": NOW, "caret": len(fresh)})
    assert "repeated_template" not in [w.rule for w in other.warnings]
