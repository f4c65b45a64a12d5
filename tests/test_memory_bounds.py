"""Memory stays bounded under any sequence of requests within the limits (issue 11, case 3): every cache that
keeps what requests bring is bounded by bytes as well as by entries, and the chats the live connections hold
are bounded service-wide. Measured with tracemalloc (exact and independent of the machine's load); the
benchmark (bench/adversarial.py) measures the process's RSS over 1,000 maximal messages."""
from __future__ import annotations

import asyncio
import json
import random
import tracemalloc

import pytest
from aiohttp.test_utils import TestClient, TestServer

from coach_server import Coach
from coach_server.caching import SizedLRU
from coach_server.server import build_app
from coach_server.service import live
from coach_server.service.memory import MemoryGuard
from coach_server.text import morph
from coach_server.text.analysis import FactsCache

from .conftest import RULES

NOW = 1_750_000_000
WORDS = ("доставка заказ оплата карта курьер сегодня завтра адрес номер вопрос ответ спасибо пожалуйста "
         "магазин товар склад возврат обмен скидка неделя").split()


def maximal_message(seed: int, size: int = 20_000) -> str:
    """A distinct 20,000-character message of ordinary words (cheap to analyse, large to keep)."""
    rng = random.Random(seed)
    out: list[str] = []
    length = 0
    while length < size - 12:
        word = rng.choice(WORDS)
        out.append(word)
        length += len(word) + 1
    return " ".join(out)[:size]


def test_sized_lru_keeps_both_bounds():
    cache: SizedLRU[str, str] = SizedLRU(3, 100, lambda k, v: len(v))
    for i in range(5):
        cache.put(f"k{i}", "x" * 10)
    assert len(cache) == 3 and cache.get("k0") is None and cache.get("k4") == "x" * 10
    cache.put("big", "y" * 90)
    assert cache.bytes <= 100 and cache.get("big") is not None
    cache.put("huge", "z" * 101)  # larger than the whole budget: not kept, nothing pushed out for it
    assert cache.get("huge") is None and cache.get("big") is not None
    cache.get("big")
    assert next(iter(cache.newest())) == "y" * 90


def test_analysed_messages_are_bounded_by_bytes():
    facts = FactsCache(size=4_000, max_bytes=8 << 20)
    for seed in range(40):
        facts.get(maximal_message(seed))
    assert facts._items.bytes <= 8 << 20 and len(facts._items) < 40


def test_a_coach_keeps_a_bounded_amount_of_many_maximal_messages():
    coach = Coach.load(RULES)
    coach.check({"draft": maximal_message(-1), "now": NOW})  # morphology of the words, once
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        for seed in range(60):
            text = maximal_message(seed)
            coach.check({"draft": text, "now": NOW, "messages": [
                {"role": "client", "text": maximal_message(seed + 1_000), "ts": NOW - 60},
                {"role": "operator", "text": text[:5_000], "ts": NOW - 30}]})
        grown, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 120 distinct 20,000-character texts analysed (~3 MB each): without byte bounds ~350 MB would stay
    assert grown - baseline < 120 << 20, f"{(grown - baseline) >> 20} MiB kept"


@pytest.mark.parametrize("limit", ["chars", "messages"])
def test_chats_held_by_all_connections_are_bounded(monkeypatch, limit):
    if limit == "chars":
        monkeypatch.setattr(live, "MAX_HELD_CHARS", 30_000)
    else:
        monkeypatch.setattr(live, "MAX_HELD_MESSAGES", 40)

    async def go():
        app = build_app(Coach.load(RULES), reload_interval=0)
        async with TestClient(TestServer(app)) as client:
            sockets = [await client.ws_connect("/v1/live") for _ in range(3)]
            for ws in sockets:
                assert (await ws.receive_json())["type"] == "hello"
            for round_ in range(4):
                for i, ws in enumerate(sockets):
                    await ws.send_json({"type": "update", "chat_id": f"c{round_}-{i}", "now": NOW, "draft": "x",
                                        "messages": [{"role": "client", "text": "а" * 1_000, "ts": NOW - 5}] * 10})
                    assert (await ws.receive_json())["type"] == "warnings"
            # the oldest chats were dropped, from every connection: an append to one is answered unknown_chat
            await sockets[0].send_json({"type": "update", "chat_id": "c0-0", "append": True, "now": NOW,
                                        "messages": [{"role": "client", "text": "ещё", "ts": NOW}]})
            dropped = await sockets[0].receive_json()
            await sockets[2].send_json({"type": "update", "chat_id": "c3-2", "draft": "y"})
            kept = await sockets[2].receive_json()
            for ws in sockets:
                await ws.close()
            return dropped, kept

    dropped, kept = asyncio.run(go())
    assert dropped["type"] == "error" and dropped["code"] == "unknown_chat", dropped
    assert kept["type"] == "warnings"


def test_dismissals_keep_digests_and_a_bounded_number_per_chat():
    dismissals = live.Dismissals(size=10)
    for i in range(500):
        dismissals.add("chat", "slang", f"{i}" + "щ" * 20_000, 0)
    chat = dismissals._chats["chat"]
    assert len(chat) == live.MAX_DISMISSED_PER_CHAT
    assert all(text is None or len(text) == 16 for _, text in chat)  # digests, not 20,000 characters each
    assert dismissals.hides("chat", "slang", "499" + "щ" * 20_000, 0)
    assert not dismissals.hides("chat", "slang", "0" + "щ" * 20_000, 0)  # the oldest were forgotten
    for i in range(20):
        dismissals.add(f"c{i}", "slang", None, 3)
    assert len(dismissals._chats) == 10
    json.dumps(list(dismissals._chats))  # chat ids only


def test_the_memory_guard_empties_the_caches_past_its_limit_and_not_again_without_growth():
    sizes = iter([150.0, 210.0, 205.0, 215.0, 226.0, 224.0])  # measured: before and after each shed
    shed: list[int] = []
    guard = MemoryGuard(lambda: shed.append(1), soft_limit_mb=200, step_mb=20, measure=lambda: next(sizes))
    assert not guard.look()  # 150: under the limit
    assert guard.look() and guard.threshold == 225  # 210: over; 205 after → next at 205 + 20
    assert not guard.look()  # 215: a peak that did not shrink is no reason to empty them again
    assert guard.look() and len(shed) == 2  # 226: grown further


def test_shedding_empties_every_cache_and_checks_go_on():
    coach = Coach.load(RULES)
    request = {"draft": maximal_message(7), "now": NOW,
               "messages": [{"role": "client", "text": maximal_message(8), "ts": NOW - 60}]}
    before = coach.check(request)
    assert len(coach.facts._items) and len(coach.drafts._items) and morph.russian.cache_info().currsize
    coach.shed_memory()
    assert not len(coach.facts._items) and not len(coach.drafts._items) and not len(coach.conversations._items)
    assert morph.russian.cache_info().currsize == 0
    assert [w.model_dump() for w in coach.check(request).warnings] == [w.model_dump() for w in before.warnings]


def test_the_memory_guard_lets_the_live_chats_analysis_go_only_past_its_hard_limit():
    sizes = iter([210.0, 205.0, 250.0, 245.0, 250.0, 236.0, 236.0])  # measured: before and after each shed
    caches: list[int] = []
    chats: list[int] = []
    held = [0.0]
    guard = MemoryGuard(lambda: caches.append(1), soft_limit_mb=200, step_mb=20, measure=lambda: next(sizes),
                        shed_more=lambda: chats.append(1), hard_limit_mb=240, allowance=lambda: held[0])
    assert guard.look() and caches == [1] and chats == []  # 210: the caches only
    assert guard.look() and caches == [1, 1] and chats == [1]  # 250: past the hard limit, the chats' too
    assert not guard.look()  # 250 again, not grown since: nothing to shed again
    sizes = iter([230.0, 230.0, 215.0])
    guard = MemoryGuard(lambda: caches.append(1), soft_limit_mb=200, step_mb=20, measure=lambda: next(sizes),
                        shed_more=lambda: chats.append(1), hard_limit_mb=240, allowance=lambda: held[0])
    held[0] = 40.0  # live chats hold 40 MB of analysis, bounded on their own: room above the soft limit
    assert not guard.look() and caches == [1, 1]  # 230 − 40: within 200
    held[0] = 10.0
    assert guard.look() and caches == [1, 1, 1] and chats == [1]  # 230 − 10: past 200, the caches only


def test_what_live_chats_analysed_is_bounded_across_connections(monkeypatch):
    """Each chat keeps its analysis (a keystroke re-reads nothing), all of them within
    MAX_HELD_ANALYSIS_BYTES: past it the least recently updated chats let theirs go — and are answered as
    before when they next change (analysed again)."""
    monkeypatch.setattr(live, "MAX_HELD_ANALYSIS_BYTES", 400_000)
    messages = [{"role": "client", "text": f"Здравствуйте! Где мой заказ номер {i}? Оформляла вчера.",
                 "ts": NOW - 60} for i in range(12)]

    async def go():
        app = build_app(Coach.load(RULES), reload_interval=0)
        hub = next(h for h in _hubs(app))
        async with TestClient(TestServer(app)) as client:
            sockets = [await client.ws_connect("/v1/live") for _ in range(3)]
            for ws in sockets:
                assert (await ws.receive_json())["type"] == "hello"
            answers = {}
            for round_ in range(6):
                for i, ws in enumerate(sockets):
                    chat = f"c{round_}-{i}"
                    await ws.send_json({"type": "update", "chat_id": chat, "now": NOW, "draft": "Добрый день",
                                        "messages": messages})
                    answers[chat] = (await ws.receive_json())["warnings"]
                    held = [c for s in hub.sessions for c in s.chats.values()]
                    assert hub.held_analysis == sum(c.memory_counted for c in held) <= live.MAX_HELD_ANALYSIS_BYTES
            kept = [c for s in hub.sessions for c in s.chats.values() if c.memory.conv is not None]
            assert 0 < len(kept) < 18  # some chats let their analysis go, the latest kept theirs
            # the first chat, whose analysis went, is answered as it was
            await sockets[0].send_json({"type": "update", "chat_id": "c0-0", "draft": "Добрый день", "now": NOW})
            again = (await sockets[0].receive_json())["warnings"]
            for ws in sockets:
                await ws.close()
            for _ in range(100):  # the service ends each session just after its close
                if not hub.sessions:
                    break
                await asyncio.sleep(0.02)
            return answers["c0-0"], again, hub.held_analysis

    first, again, held_after = asyncio.run(go())
    assert again == first
    assert held_after == 0  # every connection closed: nothing held


def _hubs(app):
    """The live hub the app's /v1/live route serves."""
    for route in app.router.routes():
        handler = getattr(route.handler, "__self__", None)
        if isinstance(handler, live.LiveHub):
            yield handler


def test_a_chat_too_large_to_keep_is_checked_through_the_shared_caches(monkeypatch):
    monkeypatch.setattr(live, "MAX_CHAT_ANALYSIS_BYTES", 20_000)
    big = [{"role": "client", "text": maximal_message(i, 2_000), "ts": NOW - 60} for i in range(3)]
    small = [{"role": "client", "text": "Здравствуйте! Где мой заказ?", "ts": NOW - 60}]

    async def go():
        app = build_app(Coach.load(RULES), reload_interval=0)
        hub = next(h for h in _hubs(app))
        async with TestClient(TestServer(app)) as client:
            ws = await client.ws_connect("/v1/live")
            assert (await ws.receive_json())["type"] == "hello"
            answers = []
            for frame in ({"messages": big, "draft": "Добрый день"}, {"draft": "Добрый день, Мария"},
                          {"messages": small}):
                await ws.send_json({"type": "update", "chat_id": "c", "now": NOW, **frame})
                answers.append((await ws.receive_json())["type"])
                chat = next(c for s in hub.sessions for c in s.chats.values())
                answers.append((chat.remembers, chat.memory.conv is not None, hub.held_analysis > 0))
            await ws.close()
            return answers

    answers = asyncio.run(go())
    assert answers == ["warnings", (False, False, False),  # too large: nothing kept, answered all the same
                       "warnings", (False, False, False),  # …a keystroke too
                       "warnings", (True, True, True)]  # its messages changed, small enough: kept again
