"""Limits, each with a clear error and the service still serving: request sizes over HTTP, and the live
WebSocket's frame size, frame rate, text held per chat and per connection, and connection count."""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from coach_server.service import live
from coach_server.service.guard import FrameLimiter, TokenBucket

from .conftest import RULES

NOW = 1_750_000_000


# --- HTTP ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, field", [
    ({"draft": "я" * 20_001}, "draft"),
    ({"messages": [{"role": "client", "text": "x"}] * 2_001}, "messages"),
    ({"messages": [{"role": "client", "text": "а" * 20_001}]}, "messages[0].text"),
    ({"chat_id": "c" * 201}, "chat_id"),
    ({"operator_name": "Анна" * 60}, "operator_name"),
    ({"draft": "x", "caret": 20_001}, "caret"),
    ({"draft": "x", "caret": -1}, "caret"),
    ({"messages": [{"role": "client", "text": "x", "id": "i" * 201}]}, "messages[0].id"),
    # types as the published schema says: no strings or booleans for numbers
    ({"draft": "x", "caret": "1"}, "caret"),
    ({"draft": "x", "caret": True}, "caret"),
    ({"draft": "x", "caret": 0.5}, "caret"),
    ({"now": "1750000000"}, "now"),
    ({"messages": [{"role": "client", "text": 5}]}, "messages[0].text"),
])
def test_http_limits_are_400_with_the_field(server, body, field):
    status, answer = server.post("/v1/check", body)
    assert status == 400
    assert field in [d["field"] for d in answer["error"]["details"]]
    assert server.get("/healthz")[0] == 200


def test_a_whole_float_is_an_integer(server):
    status, body = server.post("/v1/check", {"draft": "Пройдите на сайт", "caret": 3.0, "now": NOW})
    assert status == 200 and body["warnings"]


def test_body_limit_is_413_even_when_the_length_is_only_announced(server):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest("POST", "/v1/check")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(50 << 20))  # 50 MiB announced, nothing sent
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 413 and "larger" in json.loads(resp.read())["error"]["message"]
    conn.close()
    assert server.get("/healthz")[0] == 200


# --- WebSocket against the real `coach serve` -------------------------------------------------------------
async def _connect(session, server):
    ws = await session.ws_connect(server.url.replace("http", "ws") + "/v1/live")
    assert json.loads((await ws.receive(timeout=5)).data)["type"] == "hello"
    return ws


async def _next(ws, timeout=10.0):
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


def test_frame_too_large_is_an_error_frame_and_the_connection_stays(server):
    async def go():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            big = json.dumps({"type": "update", "chat_id": "A", "draft": "я" * 600_000})  # 1.2 MB of UTF-8
            await ws.send_str(big)
            frame = await _next(ws)
            assert frame["type"] == "error" and frame["code"] == "too_large"
            assert "1048576 bytes" in frame["error"]["message"]
            await ws.send_json({"type": "ping"})
            assert (await _next(ws))["type"] == "pong"
            await ws.close()
    asyncio.run(go())


def test_frame_over_the_hard_cap_closes_with_1009(server):
    """A frame header announcing more than 4 MiB: the service closes (1009) without reading the payload."""
    import base64
    import os
    import socket
    import struct

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /v1/live HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                     .encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(4096)
        assert data.startswith(b"HTTP/1.1 101")
        # a masked text frame that says it carries 5 MiB; only a few bytes follow
        sock.sendall(bytes([0x81, 0x80 | 127]) + struct.pack("!Q", 5 << 20) + os.urandom(4) + b"xxxx")
        received = data.split(b"\r\n\r\n", 1)[1]
        deadline = time.monotonic() + 10
        close = None
        while close is None and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
            while len(received) >= 2:  # walk the server's (unmasked, small) frames: hello, then close
                length = received[1] & 0x7F
                head = 2 if length < 126 else 4
                if length == 126:
                    length = struct.unpack("!H", received[2:4])[0]
                if len(received) < head + length:
                    break
                opcode, payload, received = received[0] & 0x0F, received[head:head + length], received[head + length:]
                if opcode == 0x8:
                    close = struct.unpack("!H", payload[:2])[0]
                    break
        assert close == 1009

    async def still_serving():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            await ws.close()
    asyncio.run(still_serving())


def test_rate_limit_answers_rate_limited_and_recovers(server):
    async def go():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            for _ in range(200):  # far faster than anyone types
                await ws.send_str('{"type": "ping"}')
            pongs, limited = 0, []
            deadline = time.monotonic() + 10
            while pongs + len(limited) < 101 and time.monotonic() < deadline:
                frame = await _next(ws)
                if frame["type"] == "pong":
                    pongs += 1
                elif frame["code"] == "rate_limited":
                    limited.append(frame)
            assert 100 <= pongs < 200
            assert limited and limited[0]["retry_after_ms"] >= 1
            await asyncio.sleep(0.5)
            await ws.send_json({"type": "ping"})  # the connection stays open and serves again
            while (frame := await _next(ws))["type"] != "pong":
                assert frame["code"] == "rate_limited"
            await ws.close()
    asyncio.run(go())


def test_typing_speed_is_never_limited(server):
    async def go():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            draft = ""
            for i, ch in enumerate("Здравствуйте! Подскажите, пожалуйста, номер заказа."):
                draft += ch
                await ws.send_json({"type": "update", "chat_id": "T", "seq": i, "draft": draft, "now": NOW})
                frame = await _next(ws)
                assert frame["type"] == "warnings" and frame["ref"] == i
                await asyncio.sleep(0.02)  # 50 keystrokes a second: faster than any typist
            await ws.close()
    asyncio.run(go())


def test_flooding_closes_the_connection(server):
    async def go():
        async with aiohttp.ClientSession() as s:
            ws = await _connect(s, server)
            for _ in range(900):
                await ws.send_str('{"type": "ping"}')
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                msg = await ws.receive(timeout=15)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
            assert ws.close_code == 1008
        async with aiohttp.ClientSession() as s:  # others are still served
            ws = await _connect(s, server)
            await ws.close()
    asyncio.run(go())


# --- WebSocket, in process, with small budgets -------------------------------------------------------------
def _in_process(scenario):
    from coach_server import Coach
    from coach_server.server import build_app

    async def go():
        app = build_app(Coach.load(RULES), reload_interval=0)
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(go())


async def _hello(client):
    ws = await client.ws_connect("/v1/live")
    assert json.loads((await ws.receive(timeout=5)).data)["type"] == "hello"
    return ws


def _messages(n: int, size: int) -> list[dict]:
    return [{"role": "client" if i % 2 else "operator", "text": f"{i} " + "сообщение " * (size // 10),
             "ts": NOW - 1000 + i} for i in range(n)]


def test_chat_text_budget(monkeypatch):
    monkeypatch.setattr(live, "MAX_CHAT_CHARS", 5_000)

    async def scenario(client):
        ws = await _hello(client)
        await ws.send_json({"type": "update", "chat_id": "A", "seq": 1, "messages": _messages(4, 1000), "now": NOW})
        assert (await _next(ws))["type"] == "warnings"
        await ws.send_json({"type": "update", "chat_id": "A", "seq": 2, "append": True,
                            "messages": _messages(2, 1000), "now": NOW})
        err = await _next(ws)
        assert err["type"] == "error" and err["code"] == "too_large" and err["chat_id"] == "A" and err["ref"] == 2
        assert err["error"]["details"][0]["field"] == "messages"
        await ws.send_json({"type": "update", "chat_id": "A", "seq": 3, "draft": "Добрый день", "now": NOW})
        assert (await _next(ws))["type"] == "warnings"  # the chat kept its previous state
        await ws.close()
    _in_process(scenario)


def test_connection_text_budget_drops_least_recent_chats(monkeypatch):
    monkeypatch.setattr(live, "MAX_CONNECTION_CHARS", 10_000)

    async def scenario(client):
        ws = await _hello(client)
        for chat in "ABCD":
            await ws.send_json({"type": "update", "chat_id": chat, "messages": _messages(3, 1000), "now": NOW})
            assert (await _next(ws))["type"] == "warnings"
        # ~12,000 characters held: A, the least recently used, was dropped
        await ws.send_json({"type": "update", "chat_id": "A", "append": True, "messages": _messages(1, 10)})
        assert (await _next(ws))["code"] == "unknown_chat"
        await ws.send_json({"type": "update", "chat_id": "D", "append": True, "messages": _messages(1, 10)})
        assert (await _next(ws))["type"] == "warnings"
        await ws.close()
    _in_process(scenario)


def test_connection_count(monkeypatch):
    monkeypatch.setattr(live, "MAX_CONNECTIONS", 2)

    async def scenario(client):
        first, second = await _hello(client), await _hello(client)
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
            await client.ws_connect("/v1/live")
        assert exc.value.status == 503
        await first.close()
        await asyncio.sleep(0.1)
        third = await _hello(client)  # a slot is free again
        await second.close()
        await third.close()
    _in_process(scenario)


# --- the limiter itself -----------------------------------------------------------------------------------
class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_token_bucket():
    clock = Clock()
    bucket = TokenBucket(3, 10, clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.1)
    clock.t += 0.25  # 2.5 frames refilled
    assert bucket.take() == 0.0 and bucket.take() == 0.0 and bucket.take() > 0


def test_frame_limiter_notices_are_throttled_and_abuse_detected():
    clock = Clock()
    limiter = FrameLimiter(2, 1, abuse_drops=5, abuse_window=10, notice_interval=0.5, clock=clock)
    assert limiter.admit()[0] and limiter.admit()[0]
    allowed, wait, notify, abusive = limiter.admit()
    assert not allowed and wait > 0 and notify and not abusive
    assert limiter.admit()[2] is False  # the next drop within 0.5 s says nothing
    clock.t += 1.1
    assert limiter.admit() == (True, 0.0, False, False)  # one frame refilled
    results = [limiter.admit() for _ in range(6)]
    assert results[-1][3] is True  # more than 5 drops in 10 s: abusive
    clock.t += 60
    assert limiter.admit() == (True, 0.0, False, False)
