"""What the supervisor page reads, from a real `coach serve`: stats of real `feedback` frames that add up, the
description an edit would show (its thresholds filled in, also on /v1/rules and in the trainer), a back-test
whose headline counts what its rows count, and what the token the page sent is."""
from __future__ import annotations

import asyncio
import json
import shutil
import time

import aiohttp
import pytest

from tests.conftest import RULES, Server, token_file
from tests.test_supervisor import call, rule_edit

T = 1_750_000_000
ANNA = "anna-token-0123456789abcdef"  # a supervisor's
FLOOR = "floor-token-0123456789abcdef"  # an operators' service's
KEYS = ("shown", "dismissed", "applied", "left", "shown_unrecorded")


def _chat(chat_id: str, client: str, operator: str) -> dict:
    return {"chat_id": chat_id, "operator": "Анна", "lang": "ru", "messages": [
        {"role": "client", "text": client, "ts": T}, {"role": "operator", "text": operator, "ts": T + 20}]}


# Four answers whose sentences too_long counts (greetings, the name and short sentences are formulas, not
# counted): 2, 4, 1, 2.
# With its limit of 3 sentences it flags one of them; with a limit of 1, three.
KNOWN = [
    _chat("two", "Здравствуйте! Сколько стоит доставка в Казань и сколько она идёт?",
          "Здравствуйте! Меня зовут Анна. Доставка в Казань стоит 300 рублей. Посылка идёт до города два-три "
          "рабочих дня."),
    _chat("four", "Здравствуйте! Сколько идёт доставка в Казань и как оплатить?",
          "Здравствуйте! Меня зовут Анна. Доставка в Казань занимает 2–3 дня. Стоимость 300 рублей. "
          "Оплатить можно картой или наличными. Также у нас есть самовывоз из пункта выдачи."),
    _chat("one", "Здравствуйте! Есть ли доставка в Тверь?", "Здравствуйте! Меня зовут Анна. Да, доставляем в Тверь за два дня."),
    _chat("slang", "Здравствуйте! Доставка платная?", "Здравствуйте! Меня зовут Анна. Спс за ваш вопрос о доставке заказа. Доставка по городу у нас бесплатная."),
]
KNOWN_JSONL = "\n".join(json.dumps(c, ensure_ascii=False) for c in KNOWN).encode("utf-8")


@pytest.fixture(scope="module")
def sup(tmp_path_factory):
    base = tmp_path_factory.mktemp("sup-api")
    shutil.copytree(RULES, base / "rules")
    tokens = token_file(base / "tokens", f"anna: {ANNA}\nfloor (operator): {FLOOR}\n")
    server = Server(base / "rules", "--store", f"sqlite:///{base}/feedback.sqlite3", "--token-file", str(tokens))
    yield server
    server.stop()


async def _send(server, operator: str, chat_id: str, plan: list[tuple[str, str, int]]) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(server.url.replace("http", "ws") + "/v1/live")
        await ws.receive()
        await ws.send_json({"type": "update", "chat_id": chat_id, "draft": "Спс", "operator_name": operator,
                            "messages": [{"role": "client", "text": "Где заказ?", "ts": time.time() - 5}]})
        await ws.receive()
        acks = 0
        for rule, action, n in plan:
            for _ in range(n):
                await ws.send_json({"type": "feedback", "chat_id": chat_id, "action": action, "rule": rule,
                                    "severity": "warning"})
        while acks < sum(n for _, _, n in plan):  # every event acknowledged: recorded
            frame = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
            acks += frame["type"] == "feedback_ack"
        await ws.close()


def test_stats_of_live_feedback_add_up(sup):
    asyncio.run(_send(sup, "Анна", "room-a", [("slang", "shown", 10), ("slang", "dismissed", 6), ("slang", "applied", 2),
                                              ("typo", "shown", 4), ("typo", "applied", 3)]))
    # an extension from before "shown" was sent: only its dismissals arrive
    asyncio.run(_send(sup, "Олег", "room-o", [("slang", "dismissed", 2), ("slang", "shown", 1)]))
    status, stats = call(sup, "GET", f"/supervisor/api/stats?since={time.time() - 3600}&until={time.time() + 60}",
                         token=ANNA)
    assert status == 200
    rules = {r["rule"]: r for r in stats["rules"]}
    slang, typo = rules["slang"], rules["typo"]
    assert {k: slang[k] for k in KEYS} == {"shown": 12, "dismissed": 8, "applied": 2, "left": 2, "shown_unrecorded": 1}
    assert slang["dismiss_rate"] == round(8 / 12, 4) and slang["often_dismissed"] is True
    by_operator = {o["operator"]: o for o in slang["operators"]}
    assert (by_operator["Анна"]["shown"], by_operator["Анна"]["left"], by_operator["Анна"]["dismiss_rate"]) == (10, 2, 0.6)
    assert (by_operator["Олег"]["shown"], by_operator["Олег"]["shown_unrecorded"]) == (2, 1)
    assert {k: typo[k] for k in KEYS} == {"shown": 4, "dismissed": 0, "applied": 3, "left": 1, "shown_unrecorded": 0}
    assert typo["dismiss_rate"] == 0.0 and typo["often_dismissed"] is False
    totals = stats["totals"]
    for key in KEYS:
        assert totals[key] == sum(r[key] for r in stats["rules"]) == sum(d[key] for d in stats["days"])
    assert totals["dismiss_rate"] == round(totals["dismissed"] / totals["shown"], 4)
    # a period without events: nothing shown, no share
    status, empty = call(sup, "GET", f"/supervisor/api/stats?since={T - 86400}&until={T}", token=ANNA)
    assert status == 200 and empty["rules"] == [] and empty["totals"]["shown"] == 0
    assert empty["totals"]["dismiss_rate"] is None


def test_the_stores_counter_counts_what_it_holds_across_a_restart(sup):
    """The page's event counter: what the store holds in all, by what it is — not what this process wrote."""
    asyncio.run(_send(sup, "Анна", "room-r", [("caps", "shown", 3), ("caps", "dismissed", 1)]))
    stored = call(sup, "GET", "/supervisor/api/stats", token=ANNA)[1]["stored"]
    assert stored["total"] == stored["shown"] + stored["dismissed"] + stored["applied"] >= 4
    assert stored["shown"] >= 3 and stored["since"] is not None
    sup.stop()
    sup.start()
    status, again = call(sup, "GET", "/supervisor/api/stats", token=ANNA)
    assert status == 200 and again["stored"] == stored  # a restart changes nothing of it…
    assert again["store"]["written"] == 0  # …while what this process wrote starts again


def test_the_description_names_the_thresholds_an_edit_would_give(sup):
    status, doc = call(sup, "GET", "/supervisor/api/rules/slow_reply")
    assert "{steps[0].after}" in doc["description"]  # the form edits what the file holds
    assert doc["description_text"].startswith("Клиент ждёт ответа дольше 1 мин, а первого ответа в чате — дольше 30 с.")
    assert doc["hints"]["params"]["steps"].startswith("через сколько секунд")
    edit = rule_edit(sup, "slow_reply", **{"params.steps[0].after": 90, "params.first_reply_steps[0].after": 45})
    status, described = call(sup, "POST", "/supervisor/api/rules/slow_reply/description", edit)
    assert status == 200 and described["errors"] == []
    assert described["text"].startswith("Клиент ждёт ответа дольше 1 мин 30 с, а первого ответа в чате — дольше 45 с.")
    # a placeholder that names nothing: the error the file would get, on its field
    status, described = call(sup, "POST", "/supervisor/api/rules/slow_reply/description",
                             dict(edit, description="Ждёт дольше {steps[0].seconds}"))
    assert described["text"] is None
    assert described["errors"] == [{"file": "slow_reply.toml", "field": "description",
                                    "problem": "{steps[0].seconds}: params.steps[0] has no 'seconds'; it has: after, severity",
                                    "problem_ru": "{steps[0].seconds}: в настройках нет «seconds» (есть: after, severity)"}]
    status, refused = call(sup, "PUT", "/supervisor/api/rules/slow_reply",
                           dict(edit, description="Ждёт дольше {steps[0].seconds}"), token=ANNA)
    assert status == 422 and refused["errors"][0]["field"] == "description"
    # saved: the description everyone reads names the new threshold
    status, saved = call(sup, "PUT", "/supervisor/api/rules/slow_reply", edit, token=ANNA)
    assert status == 200 and saved["rule"]["description_text"].startswith("Клиент ждёт ответа дольше 1 мин 30 с")
    rules = {r["id"]: r for r in sup.get("/v1/rules")[1]["rules"]}
    assert rules["slow_reply"]["description"].startswith("Клиент ждёт ответа дольше 1 мин 30 с, а первого ответа")
    scenario = sup.get("/trainer/api/scenarios/car_dealer_bad")[1]
    assert scenario["rules"]["slow_reply"]["description"].startswith("Клиент ждёт ответа дольше 1 мин 30 с")


def test_the_backtest_headline_counts_what_the_rows_count(sup):
    status, corpus = call(sup, "POST", "/supervisor/api/corpora?name=known.jsonl", raw=KNOWN_JSONL,
                          content_type="application/x-ndjson")
    assert status == 201 and corpus["operator_messages"] == 4
    edit = rule_edit(sup, "too_long", **{"params.max.sentences": 1})
    del edit["base_digest"]
    status, result = call(sup, "POST", "/supervisor/api/backtest", {"corpus": corpus["id"], "rules": {"too_long": edit}})
    assert status == 200, result
    row = next(r for r in result["rules"] if r["rule"] == "too_long")
    assert (row["current"], row["proposed"], row["delta"]) == (1, 3, 2)
    # the four-sentence answer stays flagged, its highlight now from the second sentence on
    assert row["changes"] == {"newly_flagged": 2, "no_longer_flagged": 0, "changed": 1}
    assert result["edited_flagged"] == {"current": 1, "proposed": 3}
    assert result["messages"] == 4
    # a warning of any rule: the slang answer was flagged before the change too, so this moves less
    assert result["flagged"]["current"] >= 2 and result["flagged"]["proposed"] == result["flagged"]["current"] + 1


def test_the_state_says_what_the_token_is(sup):
    def seen(token):
        state = call(sup, "GET", "/supervisor/api/state", token=token)[1]
        return state["token_ok"], state["token_holder"], state["token_status"]

    assert seen(None) == (False, None, "none")
    assert seen("wrong-token-0123456789") == (False, None, "wrong")
    assert seen(FLOOR) == (False, None, "operator")  # an operators' token changes no rule
    assert seen(ANNA) == (True, "anna", "supervisor")
