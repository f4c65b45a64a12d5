"""No check holds the event loop (issue 11, cases 1–2): the service analyses new text in slices — so many new
word forms and characters at a time — and serves the other connections between them. The answer is exactly
the one-go answer; only the time is shared out."""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from bench.adversarial import never_seen  # words no dictionary has: the costliest text to analyse
from coach_server import Coach
from coach_server.service.slices import evaluate_in_slices

from .conftest import RULES, Server

NOW = 1_750_000_000


def test_sliced_is_the_same_as_in_one_go():
    whole, sliced = Coach.load(RULES), Coach.load(RULES)
    request = {"draft": never_seen(1, 19_000) + " Щас гляну", "now": NOW,
               "messages": [{"role": "client", "text": never_seen(i + 2, 3_000), "ts": NOW - 60} for i in range(8)]}
    evaluation = asyncio.run(evaluate_in_slices(sliced, lambda: request))  # first: its words are new
    expected = whole.check(request)
    assert evaluation.slices > 1
    assert [w.model_dump() for w in evaluation.result.warnings] == [w.model_dump() for w in expected.warnings]
    assert evaluation.result.took_ms >= evaluation.longest_slice_ms


def test_other_connections_are_served_while_a_long_new_text_is_checked(rules_copy):
    server = Server(rules_copy)

    async def go():
        async with aiohttp.ClientSession() as s:
            url = server.url.replace("http", "ws") + "/v1/live"
            heavy, light = await s.ws_connect(url), await s.ws_connect(url)
            for ws in (heavy, light):
                assert json.loads((await ws.receive(timeout=5)).data)["type"] == "hello"
            async def answer(ws):  # the frame and when it arrived (both sockets are read at once)
                frame = json.loads((await ws.receive(timeout=60)).data)
                return frame, time.monotonic()

            heavy_answer = asyncio.ensure_future(answer(heavy))
            await heavy.send_json({"type": "update", "chat_id": "paste", "now": NOW, "seq": 1,
                                   "draft": never_seen(7, 19_500),
                                   "messages": [{"role": "client", "text": never_seen(8, 19_500), "ts": NOW - 5}]})
            await asyncio.sleep(0.05)  # the heavy check is under way
            sent = time.monotonic()
            light_answer = asyncio.ensure_future(answer(light))
            await light.send_json({"type": "update", "chat_id": "typing", "draft": "Пройдите на сайт", "now": NOW,
                                   "seq": 1})
            (light_frame, light_at), (heavy_frame, heavy_at) = await light_answer, await heavy_answer
            return light_frame, light_at - sent, heavy_frame, heavy_at - sent

    try:
        light, light_s, heavy, heavy_s = asyncio.run(go())
    finally:
        server.stop()
    assert light["type"] == heavy["type"] == "warnings"
    assert "missing_please" in [w["rule"] for w in light["warnings"]]
    # the typist next door was answered before the paste's check ended (in one go it waited for all of it)
    assert light_s < heavy_s, (light_s, heavy_s)
    assert heavy["took_ms"] > 0
