"""The trainer API of a real `coach serve`: the scenario list with bad/good pairs, and a scenario played
through the engine — every operator message and checkpoint with its warnings, the rules' "why", the notes."""
from __future__ import annotations

import urllib.request


def test_scenario_list_pairs_bad_and_good(server):
    status, body = server.get("/trainer/api/scenarios")
    assert status == 200 and body["errors"] == [] and len(body["scenarios"]) >= 10
    by_id = {s["id"]: s for s in body["scenarios"]}
    assert by_id["car_dealer_bad"]["pair"] == "car_dealer_good" and by_id["car_dealer_good"]["pair"] == "car_dealer_bad"
    assert {s["lang"] for s in body["scenarios"]} == {"ru", "en"}


def test_a_scenario_played_through_the_engine(server):
    status, sc = server.get("/trainer/api/scenarios/bank_links_bad")
    assert status == 200 and sc["version"] == "bad" and sc["pair"] == "bank_good"
    operator_steps = [s for s in sc["steps"] if s["role"] == "operator"]
    assert len(operator_steps) == 3
    first = operator_steps[0]
    please = next(w for w in first["warnings"] if w["rule"] == "missing_please")
    assert first["text"][please["start"]:please["end"]] == "Пройдите" and please["suggestion"] == "Пройдите, пожалуйста,"
    assert first["note"] and first["expect"] == ["missing_please"]
    assert sc["rules"]["missing_please"]["description"]  # the "why" shown beside the warning
    assert sc["start"] == 1_750_000_000.0
    client = next(s for s in sc["steps"] if s["role"] == "client")
    assert "warnings" not in client


def test_checkpoints_show_what_the_coach_says_while_the_operator_is_silent(server):
    sc = server.get("/trainer/api/scenarios/questions_vanish_bad")[1]
    checkpoints = [s for s in sc["steps"] if s["role"] == "checkpoint"]
    assert [w["severity"] for c in checkpoints for w in c["warnings"]] == ["warning", "error"]


def test_unknown_scenario_and_the_page(server):
    assert server.get("/trainer/api/scenarios/nope")[0] == 404
    page = urllib.request.urlopen(server.url + "/trainer", timeout=10).read().decode()
    assert "trainer.js" in page
