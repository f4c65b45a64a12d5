"""Rule examples assert which template worded the warning, not only where it points: `message = "…"` on an
`[[invalid]]` example names the language section's template (default `message`)."""
from __future__ import annotations

from coach_server import Coach
from coach_server.rulebook.examples import run_examples, template_named, template_pattern


def _failures(rules_dir, rule_id):
    coach = Coach.load(rules_dir)
    assert coach.errors == []
    return run_examples(coach, coach.rulebook.rules[rule_id])


def _edit(rules_dir, rule_id, old, new):
    path = rules_dir / f"{rule_id}.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_placeholder_matches_any_value_and_nothing_else_does():
    pattern = template_pattern("Клиент ждёт {wait}. Ответьте сейчас: «{match}»?")
    assert pattern.fullmatch("Клиент ждёт 1 мин 40 с. Ответьте сейчас: «Да»?")
    assert not pattern.fullmatch("Клиент ждёт 1 мин. Ответьте позже: «Да»?")
    assert template_pattern("100% {{literal}}").fullmatch("100% {literal}")


def test_template_named_reads_fields_and_tables(coach):
    rule = coach.rulebook.rules["too_long"]
    assert template_named(rule, "en", "messages.chars") == rule.check.langs["en"].messages["chars"]
    assert template_named(rule, "ru", "message") == rule.check.langs["ru"].message
    assert template_named(rule, "ru", "messages.nope") is None
    assert template_named(rule, "ru", "words") is None  # not a template
    assert template_named(rule, "ru", "model_config") is None  # not a field of the section


def test_the_shipped_examples_name_their_templates(coach):
    for rule in coach.rulebook.rules.values():
        assert run_examples(coach, rule) == [], rule.id


def test_the_default_template_is_asserted(rules_copy):
    # slow_reply's first example is worded by message_first (no operator reply yet): without the key it fails
    _edit(rules_copy, "slow_reply", 'message = "message_first"\n', "")
    [failure] = _failures(rules_copy, "slow_reply")
    assert failure.kind == "invalid" and failure.index == 0
    assert "message='message'" in failure.problem and "Клиент ждёт первого ответа" in failure.problem


def test_a_wrong_template_fails(rules_copy):
    _edit(rules_copy, "too_long", 'message = "messages.sentences"', 'message = "messages.chars"')
    [failure] = _failures(rules_copy, "too_long")
    assert failure.index == 0 and "message='messages.chars'" in failure.problem


def test_an_unknown_template_is_named(rules_copy):
    _edit(rules_copy, "slow_draft", 'message = "message_new"', 'message = "message_nwe"')
    [failure] = _failures(rules_copy, "slow_draft")
    assert "message = 'message_nwe': the ru section has no such template" in failure.problem


def test_a_valid_example_names_no_template(rules_copy):
    _edit(rules_copy, "slow_reply", "[[valid]]\n", '[[valid]]\nmessage = "message"\n')
    [failure] = _failures(rules_copy, "slow_reply")
    assert failure.kind == "valid" and "invalid examples only" in failure.problem


def test_a_malformed_name_is_a_rule_file_error(rules_copy):
    _edit(rules_copy, "slow_draft", 'message = "message_new"', 'message = "message new!"')
    coach = Coach.load(rules_copy)
    assert [e.field for e in coach.errors] == ["invalid[1].message"]
