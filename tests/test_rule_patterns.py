"""Supervisors' `pattern` rules run in linear time (checks/linear_regex.py, issue 19 item 1): Python's syntax
and Unicode meaning of `\\w`, `\\d`, `\\s`, `\\b`, the matches `re` would find, and a clear refusal, in Russian,
of whatever could backtrack."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach_server import Coach
from coach_server.checks.linear_regex import LinearPattern, PatternRefused

NOW = 1_750_000_000.0

AGREES = [
    (r"\bихн(ий|яя|ее|ие|его|ему|им|ем|ей|юю|их)\b", "Ихний дом, ихняя мама, бихнее ихнийх ихних"),
    (r"\bain't\b", "I ain't here, ain'tx ain't"),
    (r"\bкарт[аыуе]\b", "Карта скарта карты картам карту карте"),
    (r"(\w+\s?)+карт[аыуе]", "оплатил картой по карте"),
    (r"\d{4}", "год ２０２４ и 1999"),  # Python's \d is any decimal digit, RE2's only 0-9
    (r"\s+$", "текст \u00a0 "),
    (r"\Bа", "ааа ба"),
    (r"а\B", "ааа ба"),
    (r"\bслово\b \bдругое\b", "слово другое, слово другоее"),
    (r"(?i)ПРИВЕТ", "привет Привет"),
    (r"(?:\bкот|пёс)\b", "кот пёс котик пёсик"),
    (r"\W+", "да — нет…"),
    (r"[^а-я ]+", "мир 42 peace"),
    (r"\.{2,}?", "ну... и....."),
    (r"\b\d+\b", "12 a3 45б 6"),
    (r"(?x)щ т  # comment", "щт"),
]


@pytest.mark.parametrize(("source", "text"), AGREES)
def test_finds_what_python_re_finds(source, text):
    expected = [m.span() for m in re.finditer(source, text, re.IGNORECASE)]
    assert list(LinearPattern(source, ignore_case=True).finditer(text)) == expected


def test_case_kept_when_asked():
    assert list(LinearPattern("Карта", ignore_case=False).finditer("карта Карта")) == [(6, 11)]


# hypothesis: texts of words, digits, spaces and punctuation, around the edges a `\b` cares about
PIECES = st.sampled_from(["кот", "Кот", "котик", "скот", "a", "ab", "1", "_", " ", "  ", ",", "-", "ё", "\n", "«",
                          "»", "кота", "x2", "пёс"])
TEXTS = st.lists(PIECES, max_size=12).map("".join)
PATTERNS = [r"\bкот\b", r"\bкот", r"кот\b", r"\Bот", r"от\B", r"\b\w+\b", r"\bкот[аы]?\b|\bпёс\b",
            r"[^\W\d_]+", r"(\w+\s?)+кот", r"\d+\b", r"\b-\b"]


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, source=st.sampled_from(PATTERNS))
def test_agrees_with_python_re_on_any_text(text, source):
    try:
        pattern = LinearPattern(source, ignore_case=True)
    except PatternRefused:
        return
    expected = [m.span() for m in re.finditer(source, text, re.IGNORECASE) if m.end() > m.start()]
    assert list(pattern.finditer(text)) == expected


REFUSED = [
    (r"(a)\1", "обратные ссылки"),
    (r"x(?=y)", "просмотр вперёд"),
    (r"(?<!x)y", "просмотр вперёд и назад"),
    (r"(?>ab)", "атомарные"),
    (r"a++", "квантификаторы"),
    (r"a{4294967296}", "слишком сложное"),
    (r"a{1001}", "линейное время"),
    (r"a*", "пустым текстом"),
    (r"(unclosed", "не регулярное выражение"),
    (r"[\W\d]", "внутри [...]"),
    (r"x?\bа", "\\b допустим в начале"),
    (r"а\bб", "никогда не выполняется"),
    ("(" * 600 + "a" + ")" * 600, "сложное"),
    ("a" * 2_001, "длиннее"),
]


@pytest.mark.parametrize(("source", "reason"), REFUSED)
def test_refused_with_a_reason_in_russian(source, reason):
    with pytest.raises(PatternRefused) as refused:
        LinearPattern(source, ignore_case=True)
    assert reason in str(refused.value)


def write_rule(directory, patterns: str, name: str = "supervisor_regex.toml") -> None:
    (directory / name).write_text(f"""
kind = "pattern"
title = "Выражение супервизора"
[ru]
message = "«{{match}}»"
patterns = [{patterns}]
[en]
message = "{{match}}"
""", encoding="utf-8")


def test_a_backtracking_pattern_runs_in_linear_time(tmp_path):
    """Issue 19's pattern: 15 s on `re` for a 34-character draft, minutes for 40; here the whole check of a
    20,000-character draft returns (linear: a few milliseconds)."""
    write_rule(tmp_path, "'(\\w+\\s?)+карт[аыуе]'")
    coach = Coach.load(tmp_path)
    assert coach.errors == []
    draft = "оплатил бы всё это сразу но не могу никак"  # 40 characters, no «карта»: a backtracker's worst
    assert coach.check({"draft": draft, "now": NOW}).warnings == []
    long_draft = ("оплатил бы всё это сразу но не могу никак " * 500)[:20_000]
    assert coach.check({"draft": long_draft, "now": NOW}).warnings == []
    [w] = coach.check({"draft": "Оплатил карту вчера.", "now": NOW}).warnings
    assert "Оплатил карту вчера."[w.start:w.end] == "Оплатил карту"  # as `re` finds it


def test_matches_per_draft_are_bounded(tmp_path):
    write_rule(tmp_path, "'а'")
    coach = Coach.load(tmp_path)
    warnings = coach.check({"draft": "а " * 5_000, "now": NOW}).warnings
    assert 0 < len(warnings) <= 200


def test_a_refused_pattern_is_one_error_of_its_file(tmp_path):
    write_rule(tmp_path, "'(a)\\1', 'x(?=y)'")
    [error] = Coach.load(tmp_path).errors
    assert (error.file, error.field) == ("supervisor_regex.toml", "ru.patterns[0]")
    assert "обратные ссылки" in error.problem
