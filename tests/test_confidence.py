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
from coach_server.chatmemory import ChatMemory
from coach_server.models import parse_request
from coach_server.rulebook.examples import example_request
from coach_server.rulebook.precision import (
    DEFAULT_FLOOR,
    Count,
    PrecisionTable,
    TeamCounts,
    load_precision,
    wilson_low,
)
from coach_server.scenarios import load_scenarios

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
    assert "unanswered_question" not in rules(shown)  # the brush-off is not measured yet
    quiet = [w for w in every.warnings if w.quiet]
    assert "unanswered_question" in [w.rule for w in quiet] and every.quiet == len(quiet) >= 1
    # without include_quiet a rule that can show nothing does not run: `quiet` counts the quiet warnings of the
    # rules that ran (the quiet ways of firing of a rule that shows others)
    assert not calibrated.may_show("unanswered_question", "ru")
    assert shown.quiet == len([w for w in quiet if calibrated.may_show(w.rule, "ru")])
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
    assert result.warnings == [] and coach.check({**CARDS, "include_quiet": True}).quiet >= 2


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
        assert status == 200 and "unanswered_question" not in rules_of(body) and body["quiet"] == 0
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
        assert "unanswered_question" not in rules_of(plain) and plain["quiet"] == 0  # (it did not run)
        assert any(w["rule"] == "unanswered_question" and w["quiet"] for w in asked["warnings"])
        assert asked["quiet"] >= 1
        assert "unanswered_question" not in rules_of(back)
    finally:
        server.stop()


def rules_of(body: dict) -> list[str]:
    return [w["rule"] for w in body["warnings"]]


def test_the_shipped_figures_load(calibrated):
    data = json.loads((Path(RULES).parent / "quality" / "precision.json").read_text(encoding="utf-8"))
    assert PrecisionTable.from_json(data).warnings == calibrated.precision.warnings


class _Spy:
    """Counts the runs of one rule's check (the check itself runs as ever)."""

    def __init__(self, coach: Coach, rule_id: str):
        self.check = coach.rulebook.rules[rule_id].check
        self.runs = 0
        real = type(self.check).run

        def run(ctx, check=self.check):
            self.runs += 1
            return real(check, ctx)
        self.check.run = run  # type: ignore[method-assign]

    def __enter__(self) -> _Spy:
        return self

    def __exit__(self, *exc: object) -> None:
        del self.check.run


def test_a_rule_that_can_show_nothing_does_not_run_unless_its_warnings_are_asked_for(tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    coach = Coach.load(rules_dir, min_confidence=DEFAULT_FLOOR)
    coach.precision = PrecisionTable(warnings={("missing_please", "main", "ru"): Count(30, 0),
                                               ("unanswered_question", "brush_off", "ru"): Count(5, 5)})
    assert "missing_please" in coach.rules_run("ru") and "unanswered_question" not in coach.rules_run("ru")
    with _Spy(coach, "unanswered_question") as spy:
        assert rules(coach.check(CARDS)) == ["missing_please"] and spy.runs == 0
        every = coach.check({**CARDS, "include_quiet": True})
        assert spy.runs >= 1 and [w.rule for w in every.warnings if w.quiet].count("unanswered_question") == 1
        before = spy.runs  # (a fix on offer is checked by running the rules again on the fixed draft)
        assert "unanswered_question" in rules(coach.check(CARDS, calibrated=False)) and spy.runs > before
    # the team's verdicts lift it over the floor: it runs, and what it finds is shown
    coach.use_team(TeamCounts({("unanswered_question", "brush_off"): Count(60, 0)}))
    assert coach.may_show("unanswered_question", "ru") and "unanswered_question" in coach.rules_run("ru")
    with _Spy(coach, "unanswered_question") as spy:
        assert "unanswered_question" in rules(coach.check(CARDS)) and spy.runs >= 1
    # a supervisor's pin, and a floor of 0, run it too
    coach.use_team(TeamCounts({}))
    text = (rules_dir / "unanswered_question.toml").read_text(encoding="utf-8")
    (rules_dir / "unanswered_question.toml").write_text(
        text.replace('severity = "warning"', 'severity = "warning"\nshow = "always"', 1), encoding="utf-8")
    assert coach.reload() == []
    with _Spy(coach, "unanswered_question") as spy:
        assert "unanswered_question" in rules(coach.check(CARDS)) and spy.runs >= 1
    floor0 = Coach(coach.rulebook, min_confidence=0.0, precision=coach.precision)
    with _Spy(floor0, "unanswered_question") as spy:
        floor0.check(CARDS)
        assert spy.runs >= 1


def _every_rule_run(coach: Coach) -> Coach:
    """The same rules, figures and floor, every rule run whether or not it may show anything."""
    full = Coach(coach.rulebook, min_confidence=coach.min_confidence, precision=coach.precision)
    full.may_show = lambda rule_id, lang: True  # type: ignore[method-assign]
    return full


@pytest.mark.parametrize("floor", [DEFAULT_FLOOR, 0.6, 0.3])
def test_not_running_what_cannot_be_shown_changes_nothing_shown(floor):
    """Every scenario's checks, every rule's own examples and their drafts typed a character at a time with a
    chat's memory (as the live service checks them): the warnings, fixes and timers are those of a coach that
    runs every rule — at the shipped floor and at lower ones, where more rules show some ways of firing."""
    coach = Coach.load(RULES, min_confidence=floor)
    full = _every_rule_run(coach)
    requests = [r for scenario in load_scenarios().scenarios.values() for _, r in scenario.requests()]
    requests += [example_request(e) for rule in coach.rulebook.rules.values()
                 for e in (*rule.spec.valid, *rule.spec.invalid)]
    skipped = shown = 0
    for request in requests:
        got, want = coach.evaluate(request), full.evaluate(request)
        assert [w.model_dump() for w in got.result.warnings] == [w.model_dump() for w in want.result.warnings], \
            request.draft
        assert (got.next_change, got.timers) == (want.next_change, want.timers), request.draft
        shown += len(got.result.warnings)
    for request in requests[::7]:
        memory, other = ChatMemory(), ChatMemory()
        for i in range(1, len(request.draft) + 1):
            typed = request.model_copy(update={"draft": request.draft[:i], "caret": i})
            got, want = coach.evaluate(typed, memory=memory), full.evaluate(typed, memory=other)
            assert [w.model_dump() for w in got.result.warnings] == [w.model_dump() for w in want.result.warnings]
    skipped = sum(not coach.may_show(rule_id, lang) for rule_id in coach.rulebook.rules for lang in ("ru", "en"))
    assert skipped and shown  # the comparison saw both: rules left out and warnings shown
    assert not coach.rule_failures and not full.rule_failures


def test_a_pin_put_in_force_on_a_live_chat_reruns_only_that_rule_and_shows_what_a_fresh_check_does(tmp_path):
    """The live service re-checks a chat with the changed rules only (`reevaluate`): a rule pinned on runs
    there although it ran for no keystroke before, and pinned off again, its warnings leave."""
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    coach = Coach.load(rules_dir, min_confidence=DEFAULT_FLOOR)
    request = parse_request(CARDS, coach.chats)  # (validated once, as the live service does)
    before = coach.evaluate(request)
    assert "unanswered_question" not in rules(before.result)
    path = rules_dir / "unanswered_question.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('severity = "warning"', 'severity = "warning"\nshow = "always"', 1), encoding="utf-8")
    update = coach.update_rules()
    assert update.errors == [] and update.changed == {"unanswered_question"}
    pinned = coach.reevaluate(request, before, update.changed)
    assert rules(pinned.result) == rules(coach.evaluate(request).result)
    assert "unanswered_question" in rules(pinned.result)
    path.write_text(text, encoding="utf-8")
    update = coach.update_rules()
    unpinned = coach.reevaluate(request, pinned, update.changed)
    assert rules(unpinned.result) == rules(before.result)
