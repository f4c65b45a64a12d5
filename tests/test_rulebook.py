"""Rules as data: a supervisor adds or breaks a rule file and gets exact errors; reloads keep the last good."""
from __future__ import annotations

from pathlib import Path

from coach_server import Coach
from coach_server.rulebook.loader import load_rulebook

NOW = 1_750_000_000.0

FORBIDDEN = """
kind = "lexicon"
title = "Запрещённые слова компании"
severity = "error"

[ru]
message = "«{match}» у нас не пишут клиентам."
lemmas = ["дешёвка", "халява"]
words = ["без проблем"]

[en]
message = "We don't write \\"{match}\\" to clients."
words = ["cheap stuff"]

[[invalid]]
lang = "ru"
draft = "Это не дешёвка, а хорошая вещь"
span = "дешёвка"

[[valid]]
lang = "ru"
draft = "Это недорогая и хорошая вещь"

[[invalid]]
lang = "en"
draft = "It's not cheap stuff"
span = "cheap stuff"

[[valid]]
lang = "en"
draft = "It's affordable"
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(directory: Path) -> list[tuple[str, str, str]]:
    return [(e.file, e.field, e.problem) for e in load_rulebook(directory).errors]


def test_supervisor_adds_a_rule_by_file(tmp_path):
    write(tmp_path, "forbidden_words.toml", FORBIDDEN)
    coach = Coach.load(tmp_path)
    assert coach.errors == []
    result = coach.check({"draft": "Халявы не бывает, но дешёвки у нас нет", "now": NOW})
    spans = [("Халявы не бывает, но дешёвки у нас нет"[w.start:w.end], w.severity) for w in result.warnings]
    assert spans == [("Халявы", "error"), ("дешёвки", "error")]


def test_pattern_rule_by_file(tmp_path):
    write(tmp_path, "no_ihniy.toml", """
kind = "pattern"
title = "Просторечие"
[ru]
message = "«{match}» — просторечие."
suggestion = "их"
patterns = ["\\\\bихн(ий|яя|ее|ие|его|ему|им|ем|ей|юю|их)\\\\b"]
[en]
message = "\\"{match}\\" is colloquial."
patterns = ["\\\\bain't\\\\b"]
""")
    coach = Coach.load(tmp_path)
    assert coach.errors == []
    [w] = coach.check({"draft": "Это ихний заказ", "now": NOW}).warnings
    assert ("Это ихний заказ"[w.start:w.end], w.suggestion) == ("ихний", "их")


def test_syntax_error_names_file_and_line(tmp_path):
    write(tmp_path, "broken.toml", 'kind = "lexicon"\ntitle = "x\n')
    [(file, field, problem)] = errors_of(tmp_path)
    assert file == "broken.toml" and field == "(syntax)" and "line 2" in problem


def test_unknown_kind(tmp_path):
    write(tmp_path, "odd.toml", 'kind = "telepathy"\ntitle = "x"\n[ru]\nmessage="x"\n[en]\nmessage="x"\n')
    [(file, field, problem)] = errors_of(tmp_path)
    assert (file, field) == ("odd.toml", "kind") and "lexicon" in problem


def test_wrong_types_and_typos_name_the_field(tmp_path):
    text = FORBIDDEN.replace('severity = "error"', 'severity = "loud"').replace(
        'lemmas = ["дешёвка", "халява"]', 'lemmas = ["дешёвка", 5]\nwordz = ["x"]')
    write(tmp_path, "forbidden_words.toml", text)
    found = {(f, fld): p for f, fld, p in errors_of(tmp_path)}
    assert ("forbidden_words.toml", "severity") in found
    assert "info" in found[("forbidden_words.toml", "severity")]


def test_kind_fields_checked(tmp_path):
    text = FORBIDDEN.replace('lemmas = ["дешёвка", "халява"]', 'lemmas = ["дешёвка", 5]\nwordz = ["x"]')
    write(tmp_path, "forbidden_words.toml", text)
    found = {fld: p for _, fld, p in errors_of(tmp_path)}
    assert "ru.lemmas[1]" in found and "string" in found["ru.lemmas[1]"].lower()
    assert "ru.wordz" in found and "unknown field" in found["ru.wordz"]


def test_unknown_placeholder(tmp_path):
    write(tmp_path, "forbidden_words.toml", FORBIDDEN.replace("«{match}» у нас", "«{word}» у нас"))
    [(_, field, problem)] = errors_of(tmp_path)
    assert field == "ru.message" and "{word}" in problem and "{match}" in problem


def test_bad_regex(tmp_path):
    write(tmp_path, "bad_pattern.toml", """
kind = "pattern"
title = "x"
[ru]
message = "x"
patterns = ["(unclosed"]
[en]
message = "x"
patterns = ["ok"]
""")
    [(_, field, problem)] = errors_of(tmp_path)
    assert field == "ru.patterns[0]" and "регулярное выражение" in problem


def test_bad_thresholds(rules_copy):
    path = rules_copy / "slow_reply.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("after = 120", "after = -5"), encoding="utf-8")
    errors = load_rulebook(rules_copy).errors
    assert [(e.file, e.field) for e in errors] == [("slow_reply.toml", "params.steps[1].after")]


def test_reload_keeps_last_good_version(rules_copy):
    coach = Coach.load(rules_copy)
    path = rules_copy / "slang.toml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace('kind = "lexicon"', 'kind = "lexicon'), encoding="utf-8")
    errors = coach.reload()
    assert [e.file for e in errors] == ["slang.toml"]
    assert coach.rulebook.rules["slang"].stale
    assert any(w.rule == "slang" for w in coach.check({"draft": "Спс!", "now": NOW}).warnings)
    path.write_text(good.replace('"лол", ', '"лол", "капец", '), encoding="utf-8")
    assert coach.reload() == []
    assert not coach.rulebook.rules["slang"].stale
    assert any(w.rule == "slang" for w in coach.check({"draft": "Ну капец.", "now": NOW}).warnings)


def test_disabled_rule_is_silent(rules_copy):
    path = rules_copy / "caps.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('severity = "warning"',
                                                             'severity = "warning"\nenabled = false', 1),
                    encoding="utf-8")
    coach = Coach.load(rules_copy)
    assert "caps" not in {w.rule for w in coach.check({"draft": "СРОЧНО ОПЛАТИТЕ", "now": NOW}).warnings}


def test_supervisor_changes_threshold(rules_copy):
    path = rules_copy / "too_long.toml"
    draft = "Доставка займёт 2 дня. Стоит она 300 рублей. Оплатить можно картой при получении."
    assert not Coach.load(rules_copy).check({"draft": draft, "now": NOW}, only=["too_long"]).warnings
    path.write_text(path.read_text(encoding="utf-8").replace("sentences = 3", "sentences = 2"), encoding="utf-8")
    assert Coach.load(rules_copy).check({"draft": draft, "now": NOW}, only=["too_long"]).warnings


def test_docs_name_every_field_of_every_kind():
    """docs/rules.md is where supervisors learn what a rule file may hold: it must stay true."""
    from coach_server.checks import KINDS

    docs = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    missing = []
    for name, kind in KINDS.items():
        assert f"`{name}`" in docs, name
        for model in (kind.Params, kind.Lang):
            for field in model.model_fields:
                if field not in ("message", "suggestion") and f"`{field}`" not in docs:
                    missing.append(f"{name}.{field}")
    assert missing == []
