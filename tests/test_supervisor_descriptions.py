"""A rule's description names its current thresholds through `{path}` placeholders filled from its params:
durations worded as warnings word them, numbers as numbers; a placeholder that names nothing is a rule-file
error on `description` (file, field, problem), in the loader and in `coach rules check` alike."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coach_server import Coach
from coach_server.rulebook.description import fill, problems
from coach_server.rulebook.loader import RuleFileInvalid, load_rulebook, parse_rule
from tests.conftest import ROOT, RULES

TIMER = """
kind = "timer"
title = "Клиент ждёт"
description = "{description}"

[params]
clock = "client_wait"
steps = [{{ after = 60, severity = "warning" }}, {{ after = 150, severity = "error" }}]
new_client_message = true

[ru]
message = "Клиент ждёт {{wait}}"

[en]
message = "The client has waited {{wait}}"
"""


def timer(description: str) -> bytes:
    return TIMER.format(description=description).encode("utf-8")


@pytest.fixture(scope="module")
def book():
    return Coach.load(RULES).rulebook


def params(book, rule_id):
    return book.rules[rule_id].check.params


def test_values_are_worded_for_readers(book):
    slow = params(book, "slow_reply")
    assert fill("дольше {steps[0].after}, потом {steps[1].after}", slow) == "дольше 1 мин, потом 2 мин"
    assert fill("до первого ответа — {first_reply_steps[0].after}", slow) == "до первого ответа — 30 с"
    assert fill("{clock}", slow) == "client_wait"
    long = params(book, "too_long")
    assert fill("больше {max.sentences} предложений или {max.chars} знаков", long) == \
        "больше 3 предложений или 400 знаков"
    assert fill("сходство от {min_similarity}", params(book, "repeated_template")) == "сходство от 88"
    assert fill("исправлять: {suggest}", params(book, "typo")) == "исправлять: да"
    assert fill("«{{фигурные}}» скобки", long) == "«{фигурные}» скобки"
    spec, check = parse_rule("wait", timer("ждёт {steps[1].after}; пишет снова: {new_client_message}"), "wait.toml")
    assert fill(spec.description, check.params) == "ждёт 2 мин 30 с; пишет снова: да"


@pytest.mark.parametrize(("text", "problem"), [
    ("{nope}", "{nope}: params has no 'nope'; it has: clock, steps, first_reply_steps"),
    ("{steps[2].after}", "{steps[2].after}: params.steps has 2 rows (params.steps[0]…params.steps[1])"),
    ("{steps[0]}", "{steps[0]} is a table: name one of its values, e.g. {steps[0].after}"),
    ("{steps}", "{steps} is a table: name one of its values, e.g. {steps[0].after}"),
    ("{steps[0].after.x}", "{steps[0].after.x}: params.steps[0].after is a single value, it has no 'x'"),
    ("{clock[0]}", "{clock[0]}: params.clock is not a list of rows"),
    ("{steps-1}", "{steps-1} is not a path into params"),
    ("ждёт { steps", "a lone '{' at character 6"),
    ("ждёт }", "a lone '}' at character 6"),
])
def test_a_placeholder_that_names_nothing_is_a_rule_file_error(text, problem):
    with pytest.raises(RuleFileInvalid) as info:
        parse_rule("wait", timer(text), "wait.toml")
    [error] = info.value.errors
    assert (error.file, error.field) == ("wait.toml", "description")
    assert error.problem.startswith(problem)


def test_a_value_a_metric_does_not_set(book):
    assert problems("{max.words}", params(book, "too_long")) == [
        "{max.words}: params.max has no value for 'words' (it has: sentences, chars)"]
    assert problems("{max}", params(book, "too_long")) == [
        "{max} is a table: name one of its values, e.g. {max.sentences}"]


def test_a_half_typed_placeholder_stays_as_written_when_shown(book):
    # only the page's live preview meets one: a file with it does not load
    assert fill("ждёт {steps[9].after} или {", params(book, "slow_reply")) == "ждёт {steps[9].after} или {"


def test_coach_rules_check_names_the_file_and_the_field(tmp_path):
    (tmp_path / "wait.toml").write_bytes(timer("ждёт дольше {steps[0].aftr}"))
    run = subprocess.run([sys.executable, "-m", "coach_server", "rules", "check", str(tmp_path)], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 1
    assert "wait.toml: description: {steps[0].aftr}: params.steps[0] has no 'aftr'; it has: after, severity" in run.stdout


def test_a_broken_description_on_reload_keeps_the_last_good_version(tmp_path):
    path = tmp_path / "wait.toml"
    path.write_bytes(timer("ждёт дольше {steps[0].after}"))
    first = load_rulebook(tmp_path)
    assert first.errors == [] and first.rules["wait"].description == "ждёт дольше 1 мин"
    path.write_bytes(timer("ждёт дольше {steps[0].seconds}"))
    second = load_rulebook(tmp_path, first)
    assert [e.field for e in second.errors] == ["description"]
    assert second.rules["wait"].stale and second.rules["wait"].description == "ждёт дольше 1 мин"


def test_the_rules_name_their_thresholds_through_placeholders(book):
    """The descriptions that name a threshold take it from params: change the threshold, the text follows."""
    named = {"slow_reply": "{steps[0].after}", "slow_draft": "{steps[0].after}", "client_silent": "{steps[0].after}",
             "too_long": "{max.sentences}", "question_burst": "{max.questions}",
             "repeated_template": "{min_similarity}", "early_contact_request": "{min_given_words}",
             "typo": "{min_letters}", "caps": "{min_run}", "monosyllabic": "{max_words}", "link_only": "{min_words}"}
    for rule_id, placeholder in named.items():
        rule = book.rules[rule_id]
        assert placeholder in rule.spec.description, rule_id
        assert "{" not in rule.description, rule_id
    assert "дольше 1 мин, а первого ответа в чате — дольше 30 с" in book.rules["slow_reply"].description.replace("\n", " ")
    assert "Предложений больше 3 или знаков больше 400" in book.rules["too_long"].description


def test_every_rule_file_description_loads():
    """Every file of rules/ passes the placeholder check (a stale placeholder would keep the rule from loading)."""
    errors = [e for e in load_rulebook(Path(RULES)).errors if e.field == "description"]
    assert errors == []
