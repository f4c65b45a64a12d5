"""A rules change re-checks every live chat with only the changed rules (`Coach.reevaluate`): the answer must
be exactly what a full check gives — for drafts that the changed rule flags and that it does not, in both
languages, with timers — and the live endpoint's `rules` push must equal a fresh check of the same chat."""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from coach_server import Coach
from coach_server.models import parse_request
from coach_server.rulebook.ruleset import RuleSet, read_directory
from tests import test_supervisor as sup_api
from tests.conftest import RULES

NOW = 1_750_000_000.0
DRAFTS = [
    "Доставка в Казань занимает 2–3 дня. Стоимость 300 рублей. Оплата картой. Спс!",
    "Пройдите на сайт",
    "ЗДРАВСТВУЙТЕ! ДОСТАВКА БЕСПЛАТНАЯ.",
    "Hello! Delivery takes two days. It costs $5. You can pay by card. We also have pickup.",
    "",
]
CHATS = [
    [{"role": "client", "text": "Сколько стоит доставка в Казань и сколько она идёт?", "ts": NOW - 50}],
    [{"role": "client", "text": "How long is delivery?", "ts": NOW - 100},
     {"role": "operator", "text": "Hi, I'm Anna, let me check.", "ts": NOW - 95}],
]


def _edited(files: dict[str, bytes], name: str, old: bytes, new: bytes) -> RuleSet:
    assert old in files[name]
    return RuleSet({**files, name: files[name].replace(old, new)})


@pytest.mark.parametrize("rule_file, old, new", [
    ("too_long.toml", b"sentences = 3", b"sentences = 1"),
    ("slow_reply.toml", b"after = 30", b"after = 40"),
    ("caps.toml", b'severity = "warning"', b'severity = "error"'),
    ("slang.toml", b"enabled = true", b"enabled = false"),
])
def test_a_recheck_of_the_changed_rules_is_a_full_check(rule_file, old, new):
    files = dict(read_directory(RULES).files)
    if old not in files[rule_file]:  # a rule that says nothing of `enabled` is on: switch it off
        old, new = b'kind = "', b'enabled = false\nkind = "'
    coach = Coach.load(RULES)
    for messages in CHATS:
        for draft in DRAFTS:
            request = parse_request({"draft": draft, "messages": messages, "now": NOW}, coach.chats)
            coach.use_rules(RuleSet(files))
            previous = coach.evaluate(request)
            update = coach.use_rules(_edited(files, rule_file, old, new))
            assert update.changed == {rule_file.removesuffix(".toml")}
            partial = coach.reevaluate(request, previous, update.changed)
            full = coach.evaluate(request)
            assert [w.model_dump() for w in partial.result.warnings] == [w.model_dump() for w in full.result.warnings]
            assert partial.timers == full.timers
            if full.next_change is not None:
                assert partial.next_change is not None and partial.next_change <= full.next_change


async def _push_and_fresh(server, save):
    """The `rules` push a connection gets after `save()`, and what a new connection gets for the same chat."""
    state = {"type": "update", "chat_id": "chat-1", "draft": sup_api.TWO_SENTENCES, "now": time.time(),
             "messages": [{"role": "client", "text": "Сколько идёт доставка?", "ts": time.time() - 5}]}
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(server.url.replace("http", "ws", 1) + "/v1/live")
        await ws.receive()
        await ws.send_json({**state, "seq": 1})
        await ws.receive()
        await asyncio.get_running_loop().run_in_executor(None, save)
        while True:
            pushed = json.loads((await asyncio.wait_for(ws.receive(), 20)).data)
            if pushed.get("reason") == "rules":
                break
        fresh_ws = await session.ws_connect(server.url.replace("http", "ws", 1) + "/v1/live")
        await fresh_ws.receive()
        await fresh_ws.send_json({**state, "seq": 1, "now": state["now"]})
        fresh = json.loads((await fresh_ws.receive()).data)
        await ws.close()
        await fresh_ws.close()
    return pushed, fresh


def test_the_live_push_after_a_save_equals_a_fresh_check(server):
    edit = sup_api.rule_edit(server, "too_long", **{"params.max.sentences": 1})
    pushed, fresh = asyncio.run(_push_and_fresh(
        server, lambda: sup_api.call(server, "PUT", "/supervisor/api/rules/too_long", edit, token=server.token)))
    assert "too_long" in [w["rule"] for w in pushed["warnings"]]
    assert pushed["warnings"] == fresh["warnings"] and pushed["ruleset"] == fresh["ruleset"]
