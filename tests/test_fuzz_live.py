"""Property tests over the live protocol of a real `coach serve`: any sequence of frames — plausible updates,
feedback, forgets, pings, wrong fields, arbitrary JSON, text and bytes — gets documented answers, one per
frame that asks for one, in order, and the connection stays open and serving."""
from __future__ import annotations

import asyncio
import json
import shutil

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach_server.models import SEVERITY_RANK

from .conftest import ROOT, Server
from .strategies import FUZZ, NOW, chat_text, json_values, messages, unexpected_errors

ERROR_CODES = {"bad_json", "bad_message", "bad_update", "bad_feedback", "unknown_chat", "too_large", "rate_limited",
               "internal"}
CHATS = st.sampled_from(["A", "B", "jivo-1", "чат"])


@st.composite
def updates(draw):
    frame = {"type": "update", "chat_id": draw(CHATS)}
    fields = {
        "draft": st.one_of(chat_text, st.none()),
        "messages": messages(max_size=5),
        "append": st.booleans(),
        "caret": st.one_of(st.none(), st.integers(0, 40)),
        "operator_name": st.one_of(st.none(), st.sampled_from(["Анна", "Ivan"])),
        "lang": st.one_of(st.none(), st.sampled_from(["ru", "en"])),
        "now": st.just(NOW),
        "draft_started_at": st.one_of(st.none(), st.floats(NOW - 600, NOW)),
    }
    for name, strategy in fields.items():
        if draw(st.booleans()):
            frame[name] = draw(strategy)
    if draw(st.integers(0, 4)) == 0:  # a wrong field
        frame[draw(st.sampled_from([*fields, "seq", "chat_id", "type", "junk"]))] = draw(json_values)
    return frame


@st.composite
def feedbacks(draw):
    frame = {"type": "feedback", "chat_id": draw(CHATS),
             "action": draw(st.sampled_from(["shown", "dismissed", "applied"])),
             "rule": draw(st.sampled_from(["slang", "missing_please", "slow_reply", "no_such_rule"]))}
    if draw(st.booleans()):
        frame["text"] = draw(chat_text)
    if draw(st.booleans()):
        frame["severity"] = draw(st.sampled_from(["info", "warning", "error"]))
    if draw(st.integers(0, 4)) == 0:
        frame[draw(st.sampled_from(["action", "rule", "severity", "chat_id", "extra"]))] = draw(json_values)
    return frame


frames = st.one_of(
    updates(), updates(), feedbacks(),
    st.builds(lambda c: {"type": "forget", "chat_id": c}, CHATS),
    st.just({"type": "ping"}),
    json_values,
    st.text(max_size=50),
    st.binary(max_size=50),
)


def _check_warnings(frame: dict) -> None:
    assert set(frame) >= {"chat_id", "seq", "ref", "reason", "warnings", "lang", "took_ms", "timers", "next_check_at"}
    assert frame["reason"] in ("update", "timer", "rules", "feedback")
    ranks = [SEVERITY_RANK[w["severity"]] for w in frame["warnings"]]
    assert ranks == sorted(ranks)
    for w in frame["warnings"]:
        assert w["rule"] and w["message"]
        assert (w["start"] is None) == (w["end"] is None)


def _is_ping(frame) -> bool:
    if isinstance(frame, str):
        try:
            frame = json.loads(frame)
        except ValueError:
            return False
    return isinstance(frame, dict) and frame.get("type") == "ping"


async def _exchange(url: str, sequence: list) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url)
        hello = json.loads((await ws.receive(timeout=5)).data)
        assert hello["type"] == "hello"
        expected: list[tuple[int, str, object]] = []  # (seq, frame type, chat id)
        for seq, frame in enumerate(sequence, start=1):
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
                continue
            if isinstance(frame, dict) and frame.get("type") in ("update", "feedback") and "seq" not in frame:
                frame = {**frame, "seq": seq}
                expected.append((seq, frame["type"], frame.get("chat_id")))
            await ws.send_str(frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False))
        await ws.send_json({"type": "ping"})  # its pong comes after every answer owed for the frames above
        pongs_due = 1 + sum(map(_is_ping, sequence))
        exact: set[int] = set()  # refs answered one to one: errors and feedback acks
        refs_by_chat: dict[str, list[int]] = {}  # refs of warnings frames, per chat
        seq_by_chat: dict[str, int] = {}
        while pongs_due:
            msg = await ws.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            frame = json.loads(msg.data)
            kind = frame["type"]
            if kind == "pong":
                pongs_due -= 1
                continue
            if kind == "warnings":
                _check_warnings(frame)
                forgotten = {"type": "forget", "chat_id": frame["chat_id"]} in sequence  # starts again at 1
                assert frame["seq"] > seq_by_chat.get(frame["chat_id"], 0) or (forgotten and frame["seq"] == 1)
                seq_by_chat[frame["chat_id"]] = frame["seq"]
            elif kind == "error":
                assert frame["code"] in ERROR_CODES and frame["code"] != "internal", frame
                assert frame["error"]["message"]
            else:
                assert kind == "feedback_ack", frame
            if frame.get("ref") is not None:
                if kind == "warnings":
                    refs = refs_by_chat.setdefault(frame["chat_id"], [])
                    assert not refs or frame["ref"] > refs[-1], "answers come in the order of the updates"
                    refs.append(frame["ref"])
                else:
                    exact.add(frame["ref"])
        for seq, kind, chat_id in expected:
            # an update is answered by its chat's warnings for it or a later update (a busy service skips
            # drafts the typist has left), or by an error; a feedback by its ack or an error
            answered = seq in exact or (kind == "update" and any(
                ref >= seq for ref in refs_by_chat.get(chat_id, []) if isinstance(chat_id, str)))
            assert answered, f"{kind} {seq} for {chat_id!r} got no answer"
        await ws.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    rules = tmp_path_factory.mktemp("fuzz-live") / "rules"
    shutil.copytree(ROOT / "rules", rules)
    server = Server(rules)
    yield server
    server.stop()


@settings(FUZZ, max_examples=250)
@given(sequence=st.lists(frames, min_size=1, max_size=8))
def test_any_frames_get_documented_answers(live_server, sequence):
    asyncio.run(_exchange(live_server.url.replace("http", "ws") + "/v1/live", sequence))


def test_live_service_still_serves(live_server):
    assert live_server.get("/healthz")[0] == 200
    log = live_server.log.read_text(encoding="utf-8")
    assert not unexpected_errors(log), log[-3000:]
