"""Fixes that compose (coach_server/fixes.py), as a property over every rule's own examples and every trainer
scenario, read from the files (rules/*.toml, scenarios/*.toml): applying any fix the coach offers never makes
a new remark of another rule, and no two fixes it offers claim the same words."""
from __future__ import annotations

from collections import Counter

import pytest

from coach_server.engine import Coach
from coach_server.fixes import apply_fix
from coach_server.models import CheckRequest, Warning
from coach_server.rulebook.examples import example_request
from coach_server.scenarios import load_scenarios

from .conftest import RULES

COACH = Coach.load(RULES)


def cases() -> list[tuple[str, CheckRequest]]:
    out = []
    for rule in COACH.rulebook.rules.values():
        for kind, examples in (("invalid", rule.spec.invalid), ("valid", rule.spec.valid)):
            for i, example in enumerate(examples):
                out.append((f"{rule.id}.{kind}[{i}]", example_request(example)))
    scenarios = load_scenarios()
    assert not scenarios.errors, scenarios.errors
    for sid, scenario in scenarios.scenarios.items():
        for i, request in scenario.requests():
            if request.draft:
                out.append((f"scenarios/{sid}#{i}", request))
    return out


CASES = cases()


def with_draft(request: CheckRequest, draft: str) -> CheckRequest:
    return request.model_copy(update={"draft": draft, "caret": None})


def fixes(warnings: list[Warning]) -> list[Warning]:
    return [w for w in warnings if w.suggestion is not None and w.start is not None and w.end is not None]


def test_there_are_fixes_to_check():
    offered = sum(len(fixes(COACH.check(request).warnings)) for _, request in CASES)
    assert len(CASES) > 200 and offered > 100, (len(CASES), offered)


@pytest.mark.parametrize("name,request_", CASES, ids=[name for name, _ in CASES])
def test_applying_a_fix_makes_no_new_remark_of_another_rule(name, request_):
    result = COACH.check(request_)
    before = Counter(w.rule for w in result.warnings)
    for w in fixes(result.warnings):
        owners = {x.rule for x in result.warnings if (x.start, x.end, x.suggestion) == (w.start, w.end, w.suggestion)}
        fixed = apply_fix(request_.draft, w.start, w.end, w.suggestion)
        after = Counter(x.rule for x in COACH.check(with_draft(request_, fixed)).warnings)
        new = {rule: n - before[rule] for rule, n in after.items() if rule not in owners and n > before[rule]}
        assert not new, f"{name}: applying {w.rule}'s fix → {fixed!r} brings {new}"


@pytest.mark.parametrize("name,request_", CASES, ids=[name for name, _ in CASES])
def test_no_two_fixes_claim_the_same_words(name, request_):
    offered = {(w.start, w.end, w.suggestion) for w in fixes(COACH.check(request_).warnings)}
    for a in offered:
        for b in offered:
            if a < b:
                assert not (a[0] < b[1] and b[0] < a[1]), f"{name}: {a} and {b} overlap"


def check(draft: str, messages: list[dict], **extra) -> list[Warning]:
    return COACH.check({"draft": draft, "messages": messages, "now": 1_750_000_000.0, **extra}).warnings


CLIENT = [{"role": "client", "text": "Здравствуйте! Какие у вас есть кредитные карты?", "ts": 1_749_999_980.0}]


def test_the_typo_fix_wins_over_inserting_a_greeting():
    # «Здраствуйте» is a greeting, misspelt: the typo fix alone; no «Здравствуйте! Здраствуйте!»
    warnings = check("Здраствуйте! Меня зовут Анна, сейчас расскажу", CLIENT, operator_name="Анна")
    assert [(w.rule, w.suggestion) for w in warnings if w.suggestion] == [("typo", "Здравствуйте")]
    assert "no_introduction" not in {w.rule for w in warnings}


def test_two_fixes_of_the_same_words_become_one():
    client = [{"role": "client", "text": "Здравствуйте, а доставка у вас есть?", "ts": 1_749_999_980.0},
              {"role": "operator", "text": "Здравствуйте! Меня зовут Анна.", "ts": 1_749_999_985.0}]
    warnings = check("Да, доставка есть, посмотри условия на сайте.", client)
    on_word = [w for w in warnings if w.start == 19]
    assert {w.rule for w in on_word} >= {"formality_mismatch", "missing_please"}, warnings
    assert {w.suggestion for w in on_word} == {"посмотрите, пожалуйста,"}


def test_independent_fixes_at_one_place_keep_their_own():
    # a greeting inserted before «Оплатите» and «, пожалуйста,» after it: each still fits after the other
    warnings = check("Оплатите заказ сегодня, иначе бронь снимется.", CLIENT)
    offered = {w.rule: w.suggestion for w in fixes(warnings)}
    assert offered.get("missing_please") == "Оплатите, пожалуйста,"
    assert offered.get("no_introduction", "").startswith("Здравствуйте!")
