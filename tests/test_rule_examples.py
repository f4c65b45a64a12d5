"""Every rule file carries its own examples; they all pass, and no rule lacks them (both languages)."""
from __future__ import annotations

import pytest

from coach_server.rulebook.examples import missing_examples, run_examples

from .conftest import RULES

REQUIRED_RULES = {
    "slow_reply", "slow_draft", "client_silent", "too_long", "missing_please", "repeated_template",
    "early_contact_request", "unanswered_question", "link_only", "caps", "slang", "negative_phrasing",
    "no_introduction", "formality_mismatch", "monosyllabic", "premature_closing", "question_burst",
    "ignored_emotion", "come_back_later", "language_mismatch", "typo",
}
RULE_IDS = sorted(p.stem for p in RULES.glob("*.toml"))


def test_rules_load_without_errors(coach):
    assert coach.errors == []
    assert set(coach.rulebook.rules) == set(RULE_IDS)


def test_every_contract_rule_ships(coach):
    assert set(coach.rulebook.rules) >= REQUIRED_RULES


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_has_examples_in_both_languages(coach, rule_id):
    assert missing_examples(coach.rulebook.rules[rule_id]) == []


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_examples_pass(coach, rule_id):
    failures = run_examples(coach, coach.rulebook.rules[rule_id])
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_messages_in_both_languages(coach, rule_id):
    rule = coach.rulebook.rules[rule_id]
    ru, en = rule.check.langs["ru"].message, rule.check.langs["en"].message
    assert any("а" <= c <= "я" for c in ru.lower()), "ru.message must be Russian"
    assert not any("а" <= c <= "я" for c in en.lower()), "en.message must be English"
