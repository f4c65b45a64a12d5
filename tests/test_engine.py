"""The engine's contract: request validation, ordering, language, timing, isolation of a failing rule."""
from __future__ import annotations

import math

import pytest

from coach_server import RequestError
from coach_server.models import CheckResult

NOW = 1_750_000_000.0


def details(exc: RequestError) -> dict[str, str]:
    return {d.field: d.problem for d in exc.details}


def test_result_shape(coach):
    result = coach.check({"draft": "СРОЧНО пройдите на сайт", "now": NOW})
    assert isinstance(result, CheckResult)
    body = result.model_dump()
    assert set(body) == {"warnings", "lang", "took_ms", "quiet"}
    for w in body["warnings"]:
        assert set(w) == {"rule", "severity", "message", "start", "end", "suggestion", "clock", "since", "template",
                          "trigger", "confidence", "quiet"}
        assert w["clock"] is w["since"] is w["template"] is None  # set by the timer rules only
        assert w["severity"] in ("info", "warning", "error")


def test_warnings_sorted_by_severity_then_position(coach):
    result = coach.check({"draft": "Hello! Click here: https://x.ru", "now": NOW, "messages": [
        {"role": "client", "text": "Здравствуйте, где мой заказ?", "ts": NOW - 200}]})
    ranks = [{"error": 0, "warning": 1, "info": 2}[w.severity] for w in result.warnings]
    assert ranks == sorted(ranks)
    assert result.warnings[0].severity == "error"


@pytest.mark.parametrize("body, field, problem", [
    ({"draft": 5}, "draft", "string"),
    ({"messages": [{"role": "customer", "text": "hi"}]}, "messages[0].role", "must be one of"),
    ({"messages": [{"role": "client"}]}, "messages[0].text", "missing"),
    ({"messages": [{"role": "client", "text": "hi", "ts": "yesterday"}]}, "messages[0].ts", "number"),
    ({"messages": [{"role": "client", "text": "hi", "ts": 1750000000000}]}, "messages[0].ts", "milliseconds"),
    ({"now": math.nan}, "now", "finite"),
    ({"lang": "de"}, "lang", "must be one of"),
    ({"draft": "x", "colour": "red"}, "colour", "unknown field"),
    ({"messages": "hello"}, "messages", "list"),
])
def test_bad_requests_name_the_field(coach, body, field, problem):
    with pytest.raises(RequestError) as exc:
        coach.check(body)
    assert field in details(exc.value)
    assert problem.lower() in details(exc.value)[field].lower()


def test_not_an_object(coach):
    with pytest.raises(RequestError) as exc:
        coach.check([1, 2])
    assert "object" in exc.value.message


def test_future_timestamps_refused(coach):
    with pytest.raises(RequestError) as exc:
        coach.check({"now": NOW, "messages": [{"role": "client", "text": "hi", "ts": NOW + 3600}]})
    assert "messages[0].ts" in details(exc.value)


def test_lang_detected_from_client_and_overridable(coach):
    msgs = [{"role": "client", "text": "Hi, do you ship to Germany?", "ts": NOW - 5}]
    assert coach.check({"draft": "Yes", "messages": msgs, "now": NOW}).lang == "en"
    assert coach.check({"draft": "Yes", "messages": msgs, "now": NOW, "lang": "ru"}).lang == "ru"
    assert coach.check({"draft": "", "now": NOW}).lang == "ru"


def test_word_under_caret_is_not_judged(coach):
    draft = "Ваш заказ отправ"
    typing = coach.check({"draft": draft, "caret": len(draft), "now": NOW}, only=["typo"])
    done = coach.check({"draft": draft, "now": NOW}, only=["typo"])
    assert typing.warnings == []
    assert [draft[w.start:w.end] for w in done.warnings] == ["отправ"]


def test_now_defaults_to_server_clock(coach):
    import time

    result = coach.check({"messages": [{"role": "client", "text": "Алло?", "ts": time.time() - 45}]},
                         only=["slow_reply"])
    assert [w.rule for w in result.warnings] == ["slow_reply"]


def test_a_failing_rule_does_not_stop_the_others(coach, monkeypatch):
    rule = coach.rulebook.rules["caps"]
    monkeypatch.setattr(rule.check, "run", lambda ctx: (_ for _ in ()).throw(RuntimeError("boom")))
    result = coach.check({"draft": "СРОЧНО пройдите на сайт", "now": NOW})
    assert "missing_please" in {w.rule for w in result.warnings}
    assert coach.rule_failures["caps"] >= 1


def test_timer_rules_report_when_they_change(coach):
    ev = coach.evaluate({"now": NOW, "messages": [
        {"role": "operator", "text": "Здравствуйте!", "ts": NOW - 100},
        {"role": "client", "text": "Где заказ?", "ts": NOW - 10}]})
    assert ev.next_change == pytest.approx(NOW - 10 + 60)
    assert ev.timers["client_waiting_since"] == NOW - 10


def test_same_message_analysed_once(coach):
    msgs = [{"role": "client", "text": "Сколько стоит доставка в Казань?", "ts": NOW - 10}]
    coach.check({"draft": "Доставка 300 рублей", "messages": msgs, "now": NOW})
    facts = coach.facts.get("Сколько стоит доставка в Казань?")
    coach.check({"draft": "Доставка 300 рублей.", "messages": msgs, "now": NOW})
    assert coach.facts.get("Сколько стоит доставка в Казань?") is facts
