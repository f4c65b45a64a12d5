"""Timer warnings carry their clock: `clock`, `since` and the `template` with `{wait}` unrendered, so a client
can keep the wording true between the service's pushes. Through the engine and through `/v1/live`."""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from coach_server.checks.base import format_duration

NOW = 1_750_000_000.0
GREETING = "Здравствуйте! Меня зовут Анна, чем могу помочь?"


def by_rule(result, rule):
    found = [w for w in result.warnings if w.rule == rule]
    assert found, [w.rule for w in result.warnings]
    return found[0]


@pytest.mark.parametrize("lang, ago, wording", [("ru", 64, "1 мин 4 с"), ("en", 75, "1 min 15 s"),
                                                ("ru", 125, "2 мин 5 с")])
def test_client_wait_warning_carries_its_clock(coach, lang, ago, wording):
    text = {"ru": "Хочу вернуть товар, как это сделать?", "en": "How do I return an item?"}[lang]
    result = coach.check({"now": NOW, "lang": lang, "messages": [
        {"role": "operator", "text": GREETING, "ts": NOW - 400},
        {"role": "client", "text": text, "ts": NOW - ago}]})
    slow = by_rule(result, "slow_reply")
    assert slow.clock == "client_wait"
    assert slow.since == NOW - ago
    assert "{wait}" in slow.template and "{" not in slow.template.replace("{wait}", "")
    # the template, filled with the same wording, is the message: a client re-rendering it matches the server
    assert slow.template.replace("{wait}", wording) == slow.message
    assert wording == format_duration(ago, lang)


def test_draft_and_silence_clocks(coach):
    # the operator answered, and writes a long follow-up: the draft's clock runs (nobody is waiting)
    result = coach.check({"now": NOW, "draft": "Для оформления возврата вам понадобится заполнить заявление и",
                          "draft_started_at": NOW - 75, "messages": [
                              {"role": "client", "text": "Как вернуть товар?", "ts": NOW - 200},
                              {"role": "operator", "text": "Здравствуйте! Меня зовут Анна, сейчас расскажу.",
                               "ts": NOW - 190}]})
    slow_draft = by_rule(result, "slow_draft")
    assert (slow_draft.clock, slow_draft.since) == ("draft", NOW - 75)
    assert slow_draft.template.replace("{wait}", "1 мин 15 с") == slow_draft.message

    result = coach.check({"now": NOW, "messages": [
        {"role": "client", "text": "Сколько стоит доставка в Казань?", "ts": NOW - 300},
        {"role": "operator", "text": "Доставка в Казань стоит 300 рублей. Оформить заказ?", "ts": NOW - 150}]})
    silent = by_rule(result, "client_silent")
    assert (silent.clock, silent.since) == ("client_silence", NOW - 150)


def test_one_remark_per_wait(coach):
    """The client waits while the operator types: the client's wait is the remark, not the draft's clock too."""
    result = coach.check({"now": NOW, "draft": "Для оформления возврата вам понадобится заполнить заявление и",
                          "draft_started_at": NOW - 75, "messages": [
                              {"role": "client", "text": "Как вернуть товар?", "ts": NOW - 90}]})
    rules = [w.rule for w in result.warnings]
    assert "slow_reply" in rules and "slow_draft" not in rules, rules


def test_other_warnings_leave_the_timer_fields_null(coach):
    result = coach.check({"now": NOW, "draft": "Спс, пройдите на сайт", "messages": [
        {"role": "client", "text": "Как оформить карту?", "ts": NOW - 20}]})
    assert result.warnings
    assert all(w.clock is None and w.since is None and w.template is None for w in result.warnings)


def test_client_wrote_again_while_typing_has_no_clock(coach):
    result = coach.check({"now": NOW, "draft": "Доставка в Казань занимает", "draft_started_at": NOW - 20,
                          "messages": [{"role": "client", "text": "Сколько идёт доставка в Казань?", "ts": NOW - 40},
                                       {"role": "client", "text": "И можно ли оплатить при получении?",
                                        "ts": NOW - 5}]})
    slow_draft = by_rule(result, "slow_draft")
    assert slow_draft.clock is None and slow_draft.since is None  # not a duration: nothing to re-render


def test_first_reply_wording_asks_to_greet_only_an_empty_reply_box(coach):
    messages = [{"role": "client", "text": "Здравствуйте, есть доставка в Казань?", "ts": NOW - 45}]
    empty = by_rule(coach.check({"now": NOW, "messages": messages}), "slow_reply")
    assert "Поздоровайтесь" in empty.message
    typing = by_rule(coach.check({"now": NOW, "messages": messages, "draft": "Добрый день! Да, доставляем",
                                  "draft_started_at": NOW - 5}), "slow_reply")
    assert "Поздоровайтесь" not in typing.message and "45 с" in typing.message
    assert typing.since == empty.since == NOW - 45


def test_live_frames_carry_the_clock(server):
    async def scenario():
        async with aiohttp.ClientSession() as s:
            ws = await s.ws_connect(server.url.replace("http", "ws") + "/v1/live")
            assert json.loads((await ws.receive()).data)["type"] == "hello"
            now = time.time()
            await ws.send_json({"type": "update", "chat_id": "W", "seq": 1, "draft": "", "messages": [
                {"role": "operator", "text": GREETING, "ts": now - 300},
                {"role": "client", "text": "Где мой заказ?", "ts": now - 70}]})
            while True:
                frame = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
                if frame["type"] == "warnings":
                    break
            await ws.close()
            return frame
    frame = asyncio.run(scenario())
    slow = next(w for w in frame["warnings"] if w["rule"] == "slow_reply")
    assert slow["clock"] == "client_wait"
    assert slow["since"] == pytest.approx(frame["timers"]["client_waiting_since"])  # the chip's own clock
    assert "{wait}" in slow["template"]
    others = [w for w in frame["warnings"] if w["rule"] != "slow_reply"]
    assert all(w["clock"] is None and w["since"] is None and w["template"] is None for w in others)
