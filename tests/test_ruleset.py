"""A rule set as files (rulebook/ruleset.py): digests that name content, JSON as followers receive it and
refuse it when damaged, the snapshot a node keeps, per-file changes; and the rules loaded from a stored
version exactly as from a directory (a broken file keeping its last good version)."""
from __future__ import annotations

import json

import pytest

from coach_server import Coach
from coach_server.rulebook.loader import load_rulebook, load_ruleset
from coach_server.rulebook.ruleset import (
    RuleSet,
    changes,
    load_snapshot,
    read_directory,
    save_snapshot,
    summarize_changes,
    write_directory,
)
from tests.conftest import RULES


def test_the_digest_names_the_content():
    a = RuleSet({"x.toml": b"one", "y.toml": b"two"})
    assert a.digest == RuleSet({"y.toml": b"two", "x.toml": b"one"}, version=7, author="anna").digest
    assert a.digest != RuleSet({"x.toml": b"one", "y.toml": b"three"}).digest
    assert a.digest != RuleSet({"x.toml": b"one"}).digest
    assert read_directory(RULES).digest == load_rulebook(RULES).loaded_files.digest


def test_json_round_trip_and_refusals():
    ruleset = RuleSet({"slang.toml": "title = «Сленг»\n".encode()}, version=3, created_at=1.5e9, author="anna")
    data = json.loads(json.dumps(ruleset.to_json()))
    back = RuleSet.from_json(data)
    assert back.files == ruleset.files and (back.version, back.author, back.created_at) == (3, "anna", 1.5e9)
    for bad, problem in [({"files": {"../evil.toml": "x"}}, "not a rule file name"),
                         ({"files": {"a.txt": "x"}}, "not a rule file name"),
                         ({"files": {"a.toml": 5}}, "must be text"),
                         ({"files": {"a.toml": "x"}, "version": -1}, "positive integer"),
                         ({**data, "digest": "0" * 16}, "do not match"),
                         ([], "not a rule set")]:
        with pytest.raises(ValueError, match=problem):
            RuleSet.from_json(bad)


def test_snapshot_and_directories(tmp_path):
    ruleset = read_directory(RULES)
    path = tmp_path / "cache" / "team.json"
    save_snapshot(RuleSet(ruleset.files, version=9), path, source="postgresql://db/coach")
    kept = load_snapshot(path)
    assert kept is not None and kept.digest == ruleset.digest and kept.version == 9
    path.write_text("{broken")
    assert load_snapshot(path) is None and load_snapshot(tmp_path / "none.json") is None
    target = tmp_path / "rules"
    target.mkdir()
    (target / "old_rule.toml").write_text("kind = 'x'")
    write_directory(ruleset, target)
    assert read_directory(target).digest == ruleset.digest  # the old file is gone


def test_changes_per_file():
    old = {"a.toml": b"x = 1\n", "b.toml": b"y = 1\n"}
    new = {"a.toml": b"x = 2\n", "c.toml": b"z = 1\n"}
    found = changes(old, new, old_label="version 1", new_label="version 2")
    assert [(c["file"], c["change"]) for c in found] == [("a.toml", "modified"), ("b.toml", "removed"),
                                                         ("c.toml", "added")]
    assert "-x = 1\n+x = 2" in found[0]["diff"] and "a.toml (version 1)" in found[0]["diff"]
    assert summarize_changes(found) == "a.toml modified, b.toml removed, c.toml added"
    assert summarize_changes(changes({}, {f"r{i}.toml": b"" for i in range(5)})) == "5 files added"
    assert summarize_changes([]) == "no changes"


def test_rules_from_a_stored_version_load_as_from_the_directory():
    coach = Coach.load(RULES)
    files = dict(read_directory(RULES).files)
    request = {"draft": "Доставка 2 дня. Стоимость 300 рублей.", "now": 1_750_000_000}
    before = [w.rule for w in coach.check(request).warnings]
    files["too_long.toml"] = files["too_long.toml"].replace(b"sentences = 3", b"sentences = 1")
    update = coach.use_rules(RuleSet(files, version=2, author="anna"))
    assert update.changed == {"too_long"} and update.errors == []
    assert coach.rules_dir is None and coach.rulebook.ruleset is not None
    assert "too_long" in [w.rule for w in coach.check(request).warnings] and "too_long" not in before
    assert coach.rulebook.loaded_files.version == 2  # exactly that version: its number and author kept
    # a version whose file this Operator Coach cannot load (a newer kind): the last good version stays
    files["slang.toml"] = files["slang.toml"].replace(b'kind = "lexicon"', b'kind = "from_the_future"')
    update = coach.use_rules(RuleSet(files, version=3))
    assert update.changed == frozenset() and [e.file for e in update.errors] == ["slang.toml"]
    assert coach.rulebook.rules["slang"].stale and coach.rulebook.loaded_files.version is None
    fresh = load_ruleset(RuleSet(files))  # without a last good version: the rule is missing, the error said
    assert "slang" not in fresh.rules and fresh.errors[0].field == "kind"
