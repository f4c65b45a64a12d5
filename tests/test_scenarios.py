"""Every trainer scenario through the whole engine: each operator message and checkpoint gets exactly the
warnings its file claims (`expect`), the good versions get none. This keeps the scenarios — and what the
trainer says about them — honest as the rules evolve."""
from __future__ import annotations

from collections import defaultdict

import pytest

from coach_server.scenarios import default_scenarios_dir, load_scenarios, play

SCENARIOS = load_scenarios()


def test_scenario_files_are_valid():
    assert SCENARIOS.errors == []


def test_the_seed_situations_in_bad_and_good_versions():
    assert len(SCENARIOS.scenarios) >= 10
    versions = defaultdict(set)
    langs = set()
    for s in SCENARIOS.scenarios.values():
        versions[s.situation].add(s.version)
        langs.add(s.lang)
    assert all(v == {"bad", "good"} for v in versions.values()), versions
    assert {"car_dealer", "realty", "bank", "tour_agency", "question_burst"} <= set(versions)
    assert langs == {"ru", "en"}


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS.scenarios))
def test_scenario_gets_what_it_claims(coach, scenario_id):
    scenario = SCENARIOS.scenarios[scenario_id]
    checked = 0
    for step in play(coach, scenario):
        if "warnings" not in step:
            continue
        checked += 1
        got = sorted({w["rule"] for w in step["warnings"]})
        where = f"{scenario_id}.toml messages[{step['index']}] at {step['at']:g} s ({step['role']}) {step['text']!r}"
        assert got == sorted(set(step["expect"])), f"{where}: the coach says {got}, the file expects {step['expect']}"
        if scenario.version == "bad" and step["expect"]:
            assert step["note"], f"{where}: a flagged message needs a note explaining why"
    assert checked >= 1
    if scenario.version == "bad":
        assert any(s.expect for s in scenario.messages), f"{scenario_id}: a bad version must show a mistake"


def test_scenario_as_chat_keeps_timings():
    scenario = SCENARIOS.scenarios["car_dealer_bad"]
    chat = scenario.to_chat()
    operator = [m for m in chat.messages if m.role == "operator"]
    assert operator[0].ts - chat.messages[0].ts == 160
    assert operator[0].ts - operator[0].draft_started_at == 8
    assert all(m.role != "checkpoint" for m in chat.messages)


def test_a_broken_scenario_is_reported_with_its_field(tmp_path):
    (tmp_path / "broken.toml").write_text(
        'title = "x"\nsituation = "s"\nversion = "good"\nlang = "ru"\noperator = "Анна"\n'
        '[[messages]]\nrole = "client"\nat = 10\ntext = "Привет"\n'
        '[[messages]]\nrole = "operator"\nat = 5\ntext = "Здравствуйте"\nexpect = ["slang"]\n', encoding="utf-8")
    found = load_scenarios(tmp_path)
    assert found.scenarios == {}
    problems = " ".join(str(e) for e in found.errors)
    assert "broken.toml" in problems and ("order of time" in problems or "good version" in problems)


def test_default_directory_is_the_projects():
    assert default_scenarios_dir().name == "scenarios" and (default_scenarios_dir() / "car_dealer_bad.toml").exists()
