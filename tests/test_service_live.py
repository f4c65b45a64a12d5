"""The live WebSocket of a real `coach serve`: updates, timer pushes, feedback, reloads, bad frames."""
from __future__ import annotations

import asyncio
import contextlib
import json
import time

import aiohttp


async def _frames(ws, count=1, timeout=5.0, kind="warnings"):
    out = []
    while len(out) < count:
        msg = await asyncio.wait_for(ws.receive(), timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data = json.loads(msg.data)
        if kind is None or data["type"] == kind:
            out.append(data)
    return out


def run(coro):
    return asyncio.run(coro)


async def _connect(session, server):
    ws = await session.ws_connect(server.url.replace("http", "ws") + "/v1/live")
    hello = json.loads((await ws.receive()).data)
    assert hello["type"] == "hello" and hello["protocol"] == 1 and hello["rules"] == 21
    return ws


def rules_in(frame):
    return [w["rule"] for w in frame["warnings"]]


def test_update_and_draft_only_update(server):
    async def scenario():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            now = time.time()
            await ws.send_json({"type": "update", "chat_id": "A", "seq": 1, "draft": "",
                                "operator_name": "Анна",
                                "messages": [{"role": "client", "text": "Какие у вас карты?", "ts": now - 5}]})
            [first] = await _frames(ws)
            assert first["chat_id"] == "A" and first["ref"] == 1 and first["reason"] == "update"
            assert first["timers"]["client_waiting_since"] == now - 5
            # a keystroke: only the draft travels; the conversation is remembered
            await ws.send_json({"type": "update", "chat_id": "A", "seq": 2, "draft": "Пройдите на сайт"})
            [second] = await _frames(ws)
            assert second["seq"] == first["seq"] + 1 and second["ref"] == 2
            assert "missing_please" in rules_in(second)
            assert "no_introduction" in rules_in(second)  # it knows no operator has replied yet
            # append one message
            await ws.send_json({"type": "update", "chat_id": "A", "append": True, "messages": [
                {"role": "operator", "text": "Здравствуйте! Меня зовут Анна.", "ts": now - 1}]})
            [third] = await _frames(ws)
            assert "no_introduction" not in rules_in(third)
            await ws.close()
    run(scenario())


def test_the_live_socket_declines_the_compression_chromium_offers(server):
    """Chromium offers permessage-deflate on every WebSocket, in these words; the service's handshake answers
    without it, so neither side deflates a frame or keeps zlib state per connection."""
    async def scenario():
        host, port = server.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write((f"GET /v1/live HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n").encode())
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode("latin-1").lower()
        writer.close()
        assert head.startswith("http/1.1 101"), head
        assert "sec-websocket-extensions" not in head, head
        async with aiohttp.ClientSession() as s:  # a client that asks for it, as the load benchmark's do
            ws = await s.ws_connect(server.url.replace("http", "ws") + "/v1/live", compress=15)
            assert ws.compress == 0
            assert json.loads((await ws.receive()).data)["type"] == "hello"
            await ws.close()
    run(scenario())


def test_timer_push_without_new_input(server):
    async def scenario():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            now = time.time()
            # the client wrote 58.5 s ago, after the operator's greeting: slow_reply is 1.5 s away
            await ws.send_json({"type": "update", "chat_id": "T", "draft": "", "messages": [
                {"role": "operator", "text": "Здравствуйте! Меня зовут Анна.", "ts": now - 120},
                {"role": "client", "text": "Где мой заказ?", "ts": now - 58.5}]})
            [first] = await _frames(ws)
            assert "slow_reply" not in rules_in(first)
            assert first["next_check_at"] is not None
            [pushed] = await _frames(ws, timeout=6)
            assert pushed["reason"] == "timer"
            slow = next(w for w in pushed["warnings"] if w["rule"] == "slow_reply")
            assert slow["severity"] == "warning"
            await ws.close()
    run(scenario())


def test_timer_push_comes_once_and_on_time_after_keystrokes(server):
    """Keystrokes keep the timer the chat already has (its threshold did not move): when the operator pauses,
    the push still comes as the client's wait reaches a minute, once; a reply that ends the wait takes the
    timer away."""
    async def scenario():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            now = time.time()
            history = [{"role": "operator", "text": "Здравствуйте! Меня зовут Анна.", "ts": now - 120},
                       {"role": "client", "text": "Где мой заказ?", "ts": now - 58}]
            await ws.send_json({"type": "update", "chat_id": "K", "seq": 0, "draft": "", "messages": history})
            [first] = await _frames(ws)
            assert "slow_reply" not in rules_in(first)
            due = first["next_check_at"]
            assert due == now - 58 + 60
            draft = "Проверяю ваш заказ"
            for i in range(1, 11):  # a second of typing, then a pause across the threshold
                await ws.send_json({"type": "update", "chat_id": "K", "seq": i, "draft": draft[:i], "caret": i})
                await asyncio.sleep(0.1)
            answers: list[dict] = []  # (a busy service may answer several keystrokes at once: the last ref)
            while not answers or answers[-1]["ref"] != 10:
                answers += await _frames(ws)
            assert all(f["reason"] == "update" for f in answers)
            assert all(f["next_check_at"] == due and "slow_reply" not in rules_in(f) for f in answers)
            [pushed] = await _frames(ws, timeout=4)
            arrived = time.time()
            assert pushed["reason"] == "timer" and "slow_reply" in rules_in(pushed)
            assert due <= arrived < due + 2.0  # (slack for a busy machine: a lost timer never pushes)
            with contextlib.suppress(TimeoutError):  # once: no second push for the same threshold
                again = await _frames(ws, timeout=1.0)
                raise AssertionError(f"a second push: {again}")
            # the operator answers: nothing is pending, so no timer of the wait is left to fire
            await ws.send_json({"type": "update", "chat_id": "K", "seq": 11, "append": True, "draft": "",
                                "messages": [{"role": "operator", "text": "Заказ приедет завтра.",
                                              "ts": time.time()}]})
            [answered] = await _frames(ws)
            assert answered["timers"]["client_waiting_since"] is None
            assert "slow_reply" not in rules_in(answered)
            await ws.close()
    run(scenario())


def test_dismiss_hides_and_is_recorded(server):
    async def scenario():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            await ws.send_json({"type": "update", "chat_id": "D", "draft": "Спс, щас проверю",
                                "messages": [{"role": "operator", "text": "Здравствуйте!"}]})
            [first] = await _frames(ws)
            assert rules_in(first).count("slang") == 2
            await ws.send_json({"type": "feedback", "chat_id": "D", "action": "dismissed", "rule": "slang",
                                "severity": "warning", "text": "Спс"})
            [ack] = await _frames(ws, kind="feedback_ack")
            assert ack["rule"] == "slang"
            [after] = await _frames(ws)
            assert after["reason"] == "feedback"
            assert [w for w in after["warnings"] if w["rule"] == "slang"] == [
                w for w in first["warnings"] if w["rule"] == "slang" and w["start"] != 0]
            await ws.close()
    run(scenario())
    events = server.get("/v1/feedback/recent")[1]["events"]
    assert [(e["action"], e["rule"]) for e in events] == [("dismissed", "slang")]
    assert events[0]["chat"] != "D"  # stored as a hash


def test_bad_frames_get_errors_and_the_connection_stays(server):
    async def scenario():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            await ws.send_str("{not json")
            [e1] = await _frames(ws, kind="error")
            assert e1["code"] == "bad_json"
            await ws.send_json({"type": "dance"})
            [e2] = await _frames(ws, kind="error")
            assert e2["error"]["details"][0]["field"] == "type"
            await ws.send_json({"type": "update", "chat_id": "E", "messages": [{"role": "boss", "text": "x"}]})
            [e3] = await _frames(ws, kind="error")
            assert e3["code"] == "bad_update" and e3["error"]["details"][0]["field"] == "messages[0].role"
            await ws.send_json({"type": "update", "chat_id": "new", "append": True, "messages": []})
            [e4] = await _frames(ws, kind="error")
            assert e4["code"] == "unknown_chat"
            await ws.send_bytes(b"\x00\x01")
            [e5] = await _frames(ws, kind="error")
            assert e5["code"] == "bad_message"
            await ws.send_json({"type": "ping"})
            await _frames(ws, kind="pong")
            await ws.send_json({"type": "update", "chat_id": "E", "draft": "Да."})
            [ok] = await _frames(ws)
            assert "monosyllabic" in rules_in(ok)
            await ws.close()
    run(scenario())


def test_rule_change_is_pushed_to_connected_clients(server):
    async def scenario():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            await ws.send_json({"type": "update", "chat_id": "R", "draft": "Ну капец, проверю.",
                                "messages": [{"role": "operator", "text": "Здравствуйте!"}]})
            [first] = await _frames(ws)
            assert "slang" not in rules_in(first)
            path = server.rules_dir / "slang.toml"
            path.write_text(path.read_text(encoding="utf-8").replace('"лол", ', '"лол", "капец", '),
                            encoding="utf-8")
            [pushed] = await _frames(ws, timeout=10)
            assert pushed["reason"] == "rules"
            assert "slang" in rules_in(pushed)
            await ws.close()
    run(scenario())


def test_a_ping_waits_for_the_check_in_progress_then_a_forget_leaves_no_update_unanswered(server):
    """A ping is a barrier: its pong comes after the answers owed for the frames before it, the one being checked
    right now included — a long new draft is checked in slices, and the ping and a `forget` arrive meanwhile."""
    import random

    rng = random.Random(7)
    letters = "абвгдежзиклмнопрстуфхцчшщэюя"
    draft = " ".join("".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(2_500))

    async def scenario():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            await ws.send_json({"type": "update", "chat_id": "long", "seq": 1, "draft": draft[:19_000],
                                "messages": [{"role": "client", "text": "Что с заказом?", "ts": time.time() - 5}]})
            await asyncio.sleep(0.05)  # the check has begun: thousands of new words take many slices
            await ws.send_json({"type": "forget", "chat_id": "long"})
            await ws.send_json({"type": "ping"})
            kinds = []
            while not kinds or kinds[-1] != "pong":
                msg = await asyncio.wait_for(ws.receive(), 30)
                frame = json.loads(msg.data)
                kinds.append(frame["type"])
                if frame["type"] == "warnings":
                    assert frame["ref"] == 1
            assert kinds == ["warnings", "pong"], kinds
            await ws.close()
    run(scenario())
