"""Every warning knows how often it is right (issue 17): the measured precision of quality/precision.json gives
each warning its confidence; under the floor it is quiet — left out unless asked for, counted apart; a fix is
offered only where fixes of its kind were measured right; a supervisor pins a rule on or off, or gives it its
own floor. The rest of the suite runs with the floor at 0 (every warning shown): here it is at its default."""
from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import aiohttp
import pytest

from coach_server import Coach
from coach_server.rulebook.precision import DEFAULT_FLOOR, Count, PrecisionTable, load_precision, wilson_low

from .conftest import RULES, Server

NOW = 1_750_000_000.0
CARDS = {"draft": "Пройдите на сайт и посмотрите условия", "now": NOW,
         "messages": [{"role": "client", "text": "Какие у вас карты?", "ts": NOW - 20}]}


@pytest.fixture(scope="module")
def calibrated() -> Coach:
    coach = Coach.load(RULES, min_confidence=DEFAULT_FLOOR)
    assert coach.precision_error is None and coach.precision.warnings
    return coach


def rules(result) -> list[str]:
    return [w.rule for w in result.warnings]


def test_the_wilson_bound():
    assert wilson_low(0, 0) is None
    assert round(wilson_low(20, 20), 3) == 0.839
    assert round(wilson_low(35, 35), 3) == 0.901
    assert wilson_low(0, 3) == 0.0


def test_quiet_warnings_are_left_out_and_counted(calibrated):
    shown = calibrated.check(CARDS)
    every = calibrated.check({**CARDS, "include_quiet": True})
    assert "missing_please" in rules(shown)  # measured right on sealed chats: shown
    assert "unanswered_question" not in rules(shown) and shown.quiet >= 1  # the brush-off is not measured yet
    quiet = [w for w in every.warnings if w.quiet]
    assert "unanswered_question" in [w.rule for w in quiet] and every.quiet == shown.quiet
    for w in every.warnings:
        assert w.trigger and (w.confidence is None or 0.0 <= w.confidence <= 1.0)
        assert w.quiet == ((w.confidence or 0.0) < calibrated.floor_of(w.rule))
    [brush] = [w for w in quiet if w.rule == "unanswered_question"]
    assert brush.trigger == "brush_off"


def test_confidence_is_the_lower_bound_of_the_measured_figure(calibrated):
    table, error = load_precision()
    assert error is None
    w = next(w for w in calibrated.check(CARDS).warnings if w.rule == "missing_please")
    basis = table.basis("missing_please", w.trigger, "ru")
    assert w.confidence == round(basis.count.low, 3) and w.confidence >= DEFAULT_FLOOR


def test_a_fix_is_offered_only_where_fixes_of_its_kind_were_measured_right(calibrated):
    table = calibrated.precision
    for w in calibrated.check({**CARDS, "include_quiet": True}).warnings:
        if w.suggestion is not None:
            assert table.fix_offered(w.rule, w.trigger), (w.rule, w.trigger)
    # with the floor at 0 the calibration is off: every fix the checks propose
    raw = Coach.load(RULES, min_confidence=0.0).check(CARDS)
    please = next(w for w in raw.warnings if w.rule == "missing_please")
    assert please.suggestion == "Пройдите, пожалуйста,"


def test_an_unmeasured_rule_is_quiet_and_a_pin_shows_it(tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    table = PrecisionTable(warnings={("missing_please", "main", "ru"): Count(30, 0)})
    coach = Coach.load(rules_dir, min_confidence=DEFAULT_FLOOR)
    coach.precision = table
    assert rules(coach.check(CARDS)) == ["missing_please"]  # the rest is not measured: quiet
    text = (rules_dir / "unanswered_question.toml").read_text(encoding="utf-8")
    (rules_dir / "unanswered_question.toml").write_text(text.replace('severity = "warning"', 'severity = "warning"\nshow = "always"', 1),
                                                        encoding="utf-8")
    text = (rules_dir / "missing_please.toml").read_text(encoding="utf-8")
    (rules_dir / "missing_please.toml").write_text(text.replace('kind = "imperative"', 'kind = "imperative"\nshow = "never"', 1),
                                                   encoding="utf-8")
    assert coach.reload() == []
    assert rules(coach.check(CARDS)) == ["unanswered_question"]  # pinned on; missing_please pinned off
    text = (rules_dir / "missing_please.toml").read_text(encoding="utf-8").replace('show = "never"', "min_confidence = 0.95")
    (rules_dir / "missing_please.toml").write_text(text, encoding="utf-8")
    assert coach.reload() == []
    assert "missing_please" not in rules(coach.check(CARDS))  # 30 of 30 is 0.886, under its own floor


def test_a_broken_precision_file_is_said_and_keeps_every_warning_quiet(tmp_path, monkeypatch):
    bad = tmp_path / "precision.json"
    bad.write_text('{"format": 1, "rules": {"caps": {"warnings": {"main": {"ru": [1]}}}}}', encoding="utf-8")
    monkeypatch.setenv("COACH_PRECISION", str(bad))
    coach = Coach.load(RULES, min_confidence=DEFAULT_FLOOR)
    assert "rules.caps.warnings.main.ru" in (coach.precision_error or "")
    result = coach.check(CARDS)
    assert result.warnings == [] and result.quiet >= 2


def test_the_service_says_what_is_measured_and_honours_include_quiet(tmp_path, monkeypatch):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    monkeypatch.setenv("COACH_MIN_CONFIDENCE", "")  # the service at its default floor
    server = Server(rules_dir)
    try:
        status, health = server.get("/healthz")
        assert status == 200 and health["precision"]["min_confidence"] == DEFAULT_FLOOR
        assert health["precision"]["error"] is None and health["precision"]["measured"]
        status, body = server.post("/v1/check", {**CARDS, "now": time.time(), "messages": [
            {"role": "client", "text": "Какие у вас карты?", "ts": time.time() - 20}]})
        assert status == 200 and "unanswered_question" not in rules_of(body) and body["quiet"] >= 1
        status, rules = server.get("/v1/rules")
        by_id = {r["id"]: r for r in rules["rules"]}
        assert by_id["slow_reply"]["precision"]["shown"] is True and by_id["slow_reply"]["precision"]["labels"] >= 20
        assert by_id["caps"]["precision"]["shown"] is False

        async def live():
            async with aiohttp.ClientSession() as s:
                ws = await s.ws_connect(server.url.replace("http", "ws") + "/v1/live")
                await ws.receive()  # hello
                messages = [{"role": "client", "text": "Какие у вас карты?", "ts": time.time() - 5}]
                frames = []
                for seq, extra in ((1, {}), (2, {"include_quiet": True}), (3, {"include_quiet": None})):
                    await ws.send_json({"type": "update", "chat_id": "A", "seq": seq,
                                        "draft": "Пройдите на сайт и посмотрите условия", "messages": messages, **extra})
                    while True:
                        frame = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
                        if frame["type"] == "warnings" and frame["ref"] == seq:
                            frames.append(frame)
                            break
                await ws.close()
                return frames
        plain, asked, back = asyncio.run(live())
        assert "unanswered_question" not in rules_of(plain) and plain["quiet"] >= 1
        assert any(w["rule"] == "unanswered_question" and w["quiet"] for w in asked["warnings"])
        assert "unanswered_question" not in rules_of(back)
    finally:
        server.stop()


def rules_of(body: dict) -> list[str]:
    return [w["rule"] for w in body["warnings"]]


def test_the_shipped_figures_load(calibrated):
    data = json.loads((Path(RULES).parent / "quality" / "precision.json").read_text(encoding="utf-8"))
    assert PrecisionTable.from_json(data).warnings == calibrated.precision.warnings
