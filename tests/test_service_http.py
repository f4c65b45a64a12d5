"""The HTTP API of a real `coach serve`: /healthz, /v1/check, and clear 4xx errors — never a 500."""
from __future__ import annotations

import json
import time
import urllib.request

import pytest

NOW = 1_750_000_000.0


def test_healthz(server):
    status, body = server.get("/healthz")
    assert status == 200
    assert body["status"] == "ok" and body["rules"] == 21 and body["version"]
    assert body["rule_errors"] == []


def test_healthz_says_how_long_the_garbage_collector_held_the_service(server):
    before = server.get("/healthz")[1]["process"]["gc"]
    assert set(before) == {"thresholds", "gen0", "gen1", "gen2"} and len(before["thresholds"]) == 3
    # chats the service has not seen: their analysed messages stay in its caches, so young collections come
    for n in range(60):
        status, _ = server.post("/v1/check", {"draft": f"Здравствуйте! Проверяю заказ {n}.", "now": NOW, "messages": [
            {"role": "client", "text": f"Где мой заказ номер {n}-{k}? Жду уже {k} дней, никто не отвечает.",
             "ts": NOW - 100 + k} for k in range(12)]})
        assert status == 200
    after = server.get("/healthz")[1]["process"]["gc"]
    assert after["gen0"]["collections"] > before["gen0"]["collections"]
    for g in ("gen0", "gen1", "gen2"):
        assert after[g]["collections"] >= before[g]["collections"]
        assert 0 <= after[g]["longest_ms"] <= after[g]["total_ms"] or after[g]["collections"] == 0


def test_check_returns_warnings(server):
    status, body = server.post("/v1/check", {
        "draft": "Пройдите на сайт и посмотрите условия", "now": NOW, "chat_id": "c1", "operator_name": "Анна",
        "messages": [{"role": "client", "text": "Какие у вас карты?", "ts": NOW - 10},
                     {"role": "operator", "text": "Здравствуйте! Меня зовут Анна.", "ts": NOW - 5}]})
    assert status == 200
    assert set(body) == {"warnings", "lang", "took_ms", "quiet"}
    please = next(w for w in body["warnings"] if w["rule"] == "missing_please")
    assert (please["start"], please["end"], please["suggestion"]) == (0, 8, "Пройдите, пожалуйста,")
    assert body["lang"] == "ru" and body["took_ms"] >= 0


@pytest.mark.parametrize("raw, field", [
    (b"{bad json", "(body)"),
    (b"", "(body)"),
    (b"\xff\xfe{}", "(body)"),
    (b"[1, 2, 3]", "(body)"),
    (b'{"draft": "x", "messages": [{"role": "robot", "text": "x"}]}', "messages[0].role"),
    (b'{"draft": "x", "messages": [{"role": "client", "text": "x", "ts": NaN}]}', "messages[0].ts"),
    (b'{"draft": ["nested", ["junk", {"a": [1]}]]}', "draft"),
    (b'{"now": 1750000000, "messages": [{"role": "client", "text": "x", "ts": 1750009999}]}', "messages[0].ts"),
])
def test_bad_input_gets_400_with_the_field(server, raw, field):
    status, body = server.post("/v1/check", raw)
    assert status == 400
    assert body["error"]["message"]
    assert field in [d["field"] for d in body["error"]["details"]]
    assert server.get("/healthz")[0] == 200  # still serving


def test_deeply_nested_junk(server):
    raw = ("[" * 100_000 + "]" * 100_000).encode()
    status, body = server.post("/v1/check", raw)
    assert status == 400 and body["error"]["message"]


def test_body_too_large(server):
    status, body = server.post("/v1/check", json.dumps({"draft": "я" * 700_000}))
    assert status == 413
    assert "larger" in body["error"]["message"]


def test_unknown_route_and_method_are_json(server):
    assert server.get("/nope")[0] == 404
    req = urllib.request.Request(server.url + "/v1/check", method="GET")
    try:
        urllib.request.urlopen(req, timeout=5)
    except urllib.error.HTTPError as e:
        assert e.code == 405 and json.loads(e.read())["error"]["message"]


def test_server_clock_is_the_default(server):
    status, body = server.post("/v1/check", {"messages": [
        {"role": "client", "text": "Здравствуйте, есть кто?", "ts": time.time() - 40}]})
    assert status == 200
    assert [w["rule"] for w in body["warnings"]] == ["slow_reply"]


def test_rules_listing(server):
    status, body = server.get("/v1/rules")
    assert status == 200
    ids = {r["id"] for r in body["rules"]}
    assert {"missing_please", "typo", "slow_reply"} <= ids
    assert all(r["title"] and r["kind"] for r in body["rules"])


def test_broken_rule_edit_keeps_last_good_and_shows_error(server):
    path = server.rules_dir / "slang.toml"
    path.write_text("kind = [broken", encoding="utf-8")
    deadline = time.time() + 10
    while time.time() < deadline:
        body = server.get("/healthz")[1]
        if body["rule_errors"]:
            break
        time.sleep(0.1)
    assert body["rule_errors"][0]["file"] == "slang.toml"
    assert body["rules"] == 21
    _, check = server.post("/v1/check", {"draft": "Спс, щас проверю", "now": NOW})
    assert "slang" in {w["rule"] for w in check["warnings"]}
