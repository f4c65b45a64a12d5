"""The coach learns from the floor (issue 20): supervisors judge warnings on their own chats, and the team's
agreed verdicts update the project's measured figure — per rule and trigger, the project's counts the prior and
the team's the evidence, deciding from TEAM_DECIDES verdicts on. A verdict reaches the engine of the node it was
given on at once, other nodes on the team's PostgreSQL by NOTIFY, followers by their long poll; every change of
what operators see is in the history with who and why; verdicts export to the labels `coach quality` reads.

The rest of the suite shows every warning (COACH_MIN_CONFIDENCE=0); these services are started with the floor
at 0.8, as in production."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from coach_server import Coach
from coach_server.rulebook.precision import TEAM_DECIDES, Count, PrecisionTable, TeamCounts, load_precision
from coach_server.store.sqlite import SQLiteStore, connect, migrate
from coach_server.store.verdicts import StoredVerdict
from tests import test_supervisor as sup_api
from tests.conftest import RULES, Server, token_file
from tests.test_supervisor_api import _send

FLOOR = "0.8"
ANNA = "anna-token-0123456789abcdef"
BORIS = "boris-token-0123456789abcdef"
FLOOR_TOKEN = "floor-token-0123456789abcdef"
ASKED = "Здравствуйте, у меня проблема с заказом"
REPLIES = ["Пройдите на сайт и посмотрите условия.", "Напишите номер заказа.", "Отправьте фото чека.",
           "Укажите адрес доставки.", "Подождите минуту, уточню.", "Перезагрузите приложение и зайдите снова.",
           "Проверьте папку со спамом.", "Позвоните на горячую линию.", "Заполните форму на сайте.",
           "Сообщите номер телефона из заказа.", "Пришлите скриншот ошибки.", "Обновите страницу."]
OTHERS = ["ЭТО НЕВОЗМОЖНО СДЕЛАТЬ СЕГОДНЯ.", "Щас гляну, норм всё будет."]
PLEASE = {"draft": "Здравствуйте, меня зовут Анна. Напишите номер заказа.", "messages": [{"role": "client", "text": ASKED}]}


def corpus_lines() -> list[str]:
    """An export of a team's chats (docs/audit.md): twelve replies without «пожалуйста», two of other rules."""
    out = []
    for i, reply in enumerate(REPLIES + OTHERS):
        out.append(json.dumps({"chat_id": f"c{i}", "lang": "ru", "messages": [
            {"role": "client", "text": ASKED, "ts": 1_750_000_000 + i * 100},
            {"role": "operator", "text": f"Здравствуйте, меня зовут Анна. {reply}", "ts": 1_750_000_030 + i * 100}]},
            ensure_ascii=False))
    return out


def call(server, method, path, body=None, token=ANNA, raw=None):
    return sup_api.call(server, method, path, body, token=token, raw=raw)


def upload(server, name: str = "chats.jsonl", token: str = ANNA) -> dict:
    status, corpus = call(server, "POST", f"/supervisor/api/corpora?name={name}", token=token,
                          raw="\n".join(corpus_lines()).encode("utf-8"))
    assert status == 201, corpus
    return corpus


def rules_of(server, request=PLEASE) -> list[str]:
    status, body = server.post("/v1/check", request)
    assert status == 200, body
    return [w["rule"] for w in body["warnings"]]


def judge(server, corpus: dict, item: dict, verdict: str, token: str = ANNA, category: str = "harmless",
          reason: str = "у нас так принято") -> dict:
    body = {"corpus": corpus["id"], "verdict": verdict}
    if verdict == "wrong":
        body.update(category=category, reason=reason)
    status, kept = call(server, "PUT", f"/supervisor/api/judging/verdicts/{item['item']}", body, token=token)
    assert status == 200, kept
    return kept


def queue(server, corpus: dict, token: str = ANNA, per_rule: int = 20) -> dict:
    status, body = call(server, "GET", f"/supervisor/api/judging/queue?corpus={corpus['id']}&per_rule={per_rule}",
                        token=token)
    assert status == 200, body
    return body


def wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def start(tmp: Path, *extra: str, name: str = "node") -> Server:
    home = tmp / name
    home.mkdir(parents=True, exist_ok=True)
    shutil.copytree(RULES, home / "rules")
    tokens = token_file(home / "tokens", f"node-token-0123456789abcdef\nanna: {ANNA}\nboris: {BORIS}\n"
                                         f"floor (operator): {FLOOR_TOKEN}\n")
    return Server(home / "rules", "--token-file", str(tokens), "--min-confidence", FLOOR, *extra)


# --- the figures ------------------------------------------------------------------------------------------------
def test_the_team_agrees_or_is_left_out():
    rows = [("i1", "anna", "caps", "clause", "ru", "wrong"), ("i1", "boris", "caps", "clause", "ru", "wrong"),
            ("i2", "anna", "caps", "clause", "ru", "correct"), ("i2", "boris", "caps", "clause", "ru", "wrong"),
            ("i3", "boris", "caps", "long_run", "en", "correct")]
    team = TeamCounts.of(rows, revision=7)
    assert team.counts == {("caps", "clause"): Count(0, 1), ("caps", "long_run"): Count(1, 0)}
    assert (team.verdicts, team.disagreed, team.revision) == (5, 1, 7)
    back = TeamCounts.from_json(json.loads(json.dumps(team.to_json())))
    assert back.counts == team.counts and back.digest == team.digest
    with pytest.raises(ValueError, match="digest"):
        TeamCounts.from_json({**team.to_json(), "digest": "0" * 16})
    with pytest.raises(ValueError, match=r"rules\.caps\.clause"):
        TeamCounts.from_json({"format": 1, "rules": {"caps": {"clause": [1]}}})


def test_the_project_is_the_prior_and_the_team_decides_from_ten_verdicts():
    project = PrecisionTable(warnings={("missing_please", "main", "ru"): Count(29, 1)})
    nine = project.with_team({("missing_please", "main"): Count(0, TEAM_DECIDES - 1)})
    basis = nine.basis("missing_please", "main", "ru")
    assert basis.level == "rule+trigger+lang" and basis.count == Count(29, 1) and basis.team == Count(0, 9)
    ten = project.with_team({("missing_please", "main"): Count(0, TEAM_DECIDES)})
    basis = ten.basis("missing_please", "main", "ru")
    assert basis.level == "team" and basis.prior == Count(29, 1) and basis.count == Count(29, 11)
    assert round(basis.confidence, 3) == round(Count(29, 11).low, 3) == 0.572  # the Wilson bound of 29 of 40
    # a rule the project never measured: the team's own verdicts are the figure
    alone = project.with_team({("caps", "clause"): Count(12, 0)})
    assert alone.basis("caps", "clause", "ru").count == Count(12, 0) and alone.triggers("caps") == ["clause"]
    assert project.basis("missing_please", "main", "ru").team == Count()  # the table in force is never changed


def test_the_engine_uses_the_teams_figure_and_says_what_moved():
    coach = Coach.load(RULES, min_confidence=0.8)
    assert "missing_please" in [w.rule for w in coach.check(PLEASE).warnings]
    before = coach.precision
    changed = coach.use_team(TeamCounts({("missing_please", "main"): Count(0, TEAM_DECIDES)}))
    assert changed == {"missing_please"}
    result = coach.check({**PLEASE, "include_quiet": True})
    please = next(w for w in result.warnings if w.rule == "missing_please")
    assert please.quiet and please.confidence == 0.572
    moved = coach.status_changes(before, coach.precision, changed)
    assert {(m["rule"], m["trigger"], m["lang"], m["shown"]) for m in moved} == {
        ("missing_please", "main", "ru", False), ("missing_please", "main", "en", False)}
    ru = next(m for m in moved if m["lang"] == "ru")
    assert ru["count"] == [29, 11] and ru["team"] == [0, 10] and ru["prior"] == [29, 1] and ru["floor"] == 0.8
    figures = coach.precision_of("missing_please")
    row = next(t for t in figures["triggers"] if t["trigger"] == "main" and t["lang"] == "ru")
    assert (row["basis"], row["team_labels"], row["prior_labels"], row["shown"]) == ("team", 10, 30, False)
    assert coach.use_team(TeamCounts({("missing_please", "main"): Count(0, TEAM_DECIDES)})) == frozenset()
    coach.use_team(TeamCounts())
    assert "missing_please" in [w.rule for w in coach.check(PLEASE).warnings]  # the project's figure again


# --- the store ------------------------------------------------------------------------------------------------
def _verdict(item: str, who: str, verdict: str, **kw) -> StoredVerdict:
    values = dict(item=item, supervisor=who, ts=time.time(), corpus="chats", chat="c1", message=1,
                  rule="missing_please", trigger="main", lang="ru", channel="chat", span="Напишите",
                  quote="Напишите номер карты 4111 1111 1111 1111", client="Мой телефон +7 912 345-67-89",
                  verdict=verdict, category="harmless" if verdict == "wrong" else "", reason="")
    return StoredVerdict(**{**values, **kw})


def test_verdicts_are_kept_masked_versioned_and_taken_back(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    con = connect(path)
    migrate(con, 3)  # a store from before verdicts, with an event in it
    con.execute("INSERT INTO events (ts, action, rule, severity, chat, operator, eid) VALUES (1, 'shown', 'caps', "
                "'info', 'h', 'o', 'e1')")
    con.close()
    store = SQLiteStore(path)

    async def scenario():
        assert await store.verdicts_revision() == 0
        assert await store.put_verdict(_verdict("aaaaaaaaaa", "anna", "wrong")) == 1
        assert await store.put_verdict(_verdict("aaaaaaaaaa", "boris", "wrong")) == 2
        assert await store.put_verdict(_verdict("bbbbbbbbbb", "anna", "correct")) == 3
        assert await store.put_verdict(_verdict("aaaaaaaaaa", "anna", "correct")) == 4  # a change of mind
        team = await store.team_counts()
        assert team.revision == 4 and team.disagreed == 1 and team.counts == {("missing_please", "main"): Count(1, 0)}
        kept = await store.verdicts(supervisor="anna", item="aaaaaaaaaa")
        assert len(kept) == 1 and kept[0].verdict == "correct"
        assert "4111" not in kept[0].quote and "•••• 1111" in kept[0].quote and "345-67" not in kept[0].client
        assert await store.remove_verdict("aaaaaaaaaa", "anna") == 5
        team = await store.team_counts()
        assert team.counts == {("missing_please", "main"): Count(1, 1)} and team.disagreed == 0
        newer = await store.team_newer(team, 0.3)
        assert newer is None  # nothing changed meanwhile
        await store.record_status_changes([{"rule": "caps", "trigger": "clause", "lang": "ru", "shown": False}], "anna")
        [change] = await store.status_changes()
        assert change["author"] == "anna" and change["shown"] is False and change["rule"] == "caps"
        return await store.count_events()

    assert asyncio.run(scenario())["shown"] == 1  # the events before the migration are there
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 4


# --- one node: judging, the floor, undo, the history, the export --------------------------------------------------
@pytest.fixture(scope="module")
def node(tmp_path_factory):
    server = start(tmp_path_factory.mktemp("verdicts"))
    yield server
    server.stop()


def test_a_supervisor_judges_and_the_teams_verdicts_set_what_operators_see(node):
    corpus = upload(node)
    # operators dismiss missing_please most: it heads the queue (dismissals order it, they decide nothing)
    asyncio.run(_send(node, "oleg", "chat-d", [("missing_please", "shown", 6), ("missing_please", "dismissed", 5)]))
    drawn = queue(node, corpus)
    items = drawn["items"]
    assert drawn["supervisor"] == "anna" and drawn["name"] == "chats"
    assert items[0]["rule"] == "missing_please" and items[0]["dismissals"]["dismissed"] == 5
    assert {i["rule"] for i in items} >= {"missing_please", "caps", "slang"}
    assert all(i["mine"] is None and i["context"][-1]["text"] == ASKED for i in items)
    assert rules_of(node) == ["missing_please"]  # shown: the project measured it right
    please = [i for i in items if i["rule"] == "missing_please"]
    assert len(please) == 12 and all(i["trigger"] == "main" and i["shown"] for i in please)
    for n, item in enumerate(please[:TEAM_DECIDES], start=1):
        kept = judge(node, corpus, item, "wrong")
        assert (kept["status_changes"] != []) == (n == TEAM_DECIDES)
    assert rules_of(node) == []  # the team's figure decides: 29 + 0 right of 30 + 10 → 0.572 < 0.8
    status, check = node.post("/v1/check", {**PLEASE, "include_quiet": True})
    quiet = next(w for w in check["warnings"] if w["rule"] == "missing_please")
    assert quiet["quiet"] and quiet["confidence"] == 0.572
    # why, in the open: the rule's figures and the verdicts behind them, the history with who
    status, doc = call(node, "GET", "/supervisor/api/rules/missing_please")
    row = next(t for t in doc["precision"]["triggers"] if t["trigger"] == "main" and t["lang"] == "ru")
    assert (row["basis"], row["team_labels"], row["team_correct"], row["shown"]) == ("team", 10, 0, False)
    status, behind = call(node, "GET", "/supervisor/api/rules/missing_please/verdicts")
    assert status == 200 and len(behind["items"]) == 10
    assert behind["items"][0]["verdicts"][0] == {**behind["items"][0]["verdicts"][0], "supervisor": "anna",
                                                  "verdict": "wrong", "category": "harmless",
                                                  "reason": "у нас так принято"}
    status, history = call(node, "GET", "/supervisor/api/status-changes")
    assert {(c["rule"], c["lang"], c["shown"], c["author"]) for c in history["changes"]} == {
        ("missing_please", "ru", False, "anna"), ("missing_please", "en", False, "anna")}
    # undo: the tenth verdict taken back, the project's figure decides again
    status, undone = call(node, "DELETE", f"/supervisor/api/judging/verdicts/{please[TEAM_DECIDES - 1]['item']}")
    assert status == 200 and undone["removed"]["verdict"] == "wrong" and undone["status_changes"]
    assert rules_of(node) == ["missing_please"]
    status, health = node.get("/healthz")
    assert health["precision"]["team"]["verdicts"] == TEAM_DECIDES - 1
    # a pin is a rule save, with its reason, in the history with who
    edit = {**sup_api.rule_edit(node, "missing_please"), "show": "never", "reason": "на наших чатах мешает"}
    status, saved = call(node, "PUT", "/supervisor/api/rules/missing_please", edit)
    assert status == 200 and saved["saved"], saved
    assert rules_of(node) == []
    status, versions = call(node, "GET", "/supervisor/api/versions")
    assert versions["versions"][0]["reason"] == "на наших чатах мешает" and versions["versions"][0]["author"] == "anna"
    edit = {**sup_api.rule_edit(node, "missing_please"), "show": "auto", "reason": "снова по точности"}
    assert call(node, "PUT", "/supervisor/api/rules/missing_please", edit)[0] == 200
    # the queue is that supervisor's: what she judged is not asked again, what is left is
    again = queue(node, corpus)
    assert all(i["item"] not in {p["item"] for p in please[:TEAM_DECIDES - 1]} for i in again["items"])
    assert again["judged_by_me"] == TEAM_DECIDES - 1


def test_bad_verdicts_are_refused_with_the_field(node):
    corpus = upload(node, "other.jsonl")
    item = queue(node, corpus)["items"][0]
    path = f"/supervisor/api/judging/verdicts/{item['item']}"
    status, body = call(node, "PUT", path, {"corpus": corpus["id"], "verdict": "wrong"})
    assert status == 400 and body["error"]["details"][0]["field"] == "category"
    status, body = call(node, "PUT", path, {"corpus": corpus["id"], "verdict": "maybe"})
    assert status == 400 and body["error"]["details"][0]["field"] == "verdict"
    status, body = call(node, "PUT", path, {"corpus": "nope", "verdict": "correct"})
    assert status == 409
    status, body = call(node, "PUT", "/supervisor/api/judging/verdicts/0123456789", {"corpus": corpus["id"],
                                                                                    "verdict": "correct"})
    assert status == 404
    assert call(node, "PUT", path, {"corpus": corpus["id"], "verdict": "correct"}, token=FLOOR_TOKEN)[0] == 401
    assert call(node, "GET", f"/supervisor/api/judging/queue?corpus={corpus['id']}", token=None)[0] == 401


def test_two_supervisors_are_kept_apart_their_agreement_shown_and_the_export_reads_the_same(tmp_path):
    server = start(tmp_path, name="two")
    try:
        corpus = upload(server)
        anna = queue(server, corpus, ANNA, per_rule=4)
        picked = anna["items"]
        assert len(picked) >= 6
        for n, item in enumerate(picked):
            judge(server, corpus, item, "wrong" if n % 3 == 0 else "correct", ANNA)
        boris = queue(server, corpus, BORIS, per_rule=4)
        assert {i["item"] for i in boris["items"]} == {i["item"] for i in picked}  # the second opinion first
        assert all(i["second_opinion"] and i["mine"] is None for i in boris["items"])  # blind: no verdict of anna's
        for n, item in enumerate(boris["items"]):
            own = next(p for p in picked if p["item"] == item["item"])
            same = picked.index(own) % 3 == 0
            judge(server, corpus, item, "wrong" if same or n == 0 else "correct", BORIS,
                  category="not_words", reason="это артикул")
        status, summary = call(server, "GET", f"/supervisor/api/judging/summary?corpus={corpus['id']}")
        assert status == 200
        [pair] = summary["pairs"]
        assert pair["supervisors"] == ["anna", "boris"] and pair["items"] == len(picked)
        assert pair["agreed"] in (len(picked) - 1, len(picked)) and pair["kappa"] is not None
        # the export: the agreed verdicts as labels; `coach quality report` over the same chats reads the same
        req = f"/supervisor/api/judging/export?corpus={corpus['id']}"
        with urllib.request.urlopen(urllib.request.Request(server.url + req, headers={
                "Authorization": f"Bearer {ANNA}"}), timeout=30) as r:
            exported = r.read().decode("utf-8")
        chats = tmp_path / "chats.jsonl"
        chats.write_text("\n".join(corpus_lines()) + "\n", encoding="utf-8")
        labels = tmp_path / "labels.jsonl"
        labels.write_text(exported, encoding="utf-8")
        assert len(exported.splitlines()) == summary["agreed"]
        report = subprocess.run([sys.executable, "-m", "coach_server", "quality", "report", str(chats), "--labels",
                                 str(labels), "--json"], capture_output=True, text=True, timeout=300,
                                env={**os.environ, "COACH_MIN_CONFIDENCE": FLOOR})
        assert report.returncode == 0, report.stderr
        figures = {(r["rule"], r["lang"]): (r["correct"], r["wrong"]) for r in json.loads(report.stdout)["rules"]
                   if r["correct"] + r["wrong"]}
        page = {(r["rule"], r["lang"]): (r["correct"], r["wrong"]) for r in summary["figures"]}
        assert figures == page and page
        anna_only = [json.loads(line) for line in urllib.request.urlopen(urllib.request.Request(
            server.url + req + "&supervisor=anna", headers={"Authorization": f"Bearer {ANNA}"}), timeout=30)
            .read().decode("utf-8").splitlines()]
        assert len(anna_only) == len(picked)
    finally:
        server.stop()


# --- a team: other nodes at once, followers by their long poll --------------------------------------------------
async def _live_please(server: Server, act, rule: str = "missing_please", gone: bool = True):
    """A live chat on `server` with a draft `rule` flags; `act()` runs; seconds from the start of `act` (the
    supervisor's request, its write included) until `server` pushes a frame without `rule` (`gone`) or with it."""
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(server.url.replace("http", "ws", 1) + "/v1/live",
                                      headers={"Authorization": f"Bearer {FLOOR_TOKEN}"})
        assert json.loads((await ws.receive()).data)["type"] == "hello"
        await ws.send_json({"type": "update", "chat_id": "chat-1", "seq": 1, "draft": PLEASE["draft"],
                            "messages": [{"role": "client", "text": ASKED, "ts": time.time() - 5}]})
        first = json.loads((await ws.receive()).data)
        assert (rule in [w["rule"] for w in first["warnings"]]) == gone, first
        started = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, act)
        while True:
            frame = json.loads((await asyncio.wait_for(ws.receive(), 20)).data)
            if frame["type"] == "warnings" and (rule in [w["rule"] for w in frame["warnings"]]) != gone:
                took = time.monotonic() - started
                await ws.close()
                return took


def test_a_verdict_on_one_node_reaches_the_others_and_their_followers_at_once(postgres, tmp_path, capsys):
    from tests.test_team import coach as run_coach
    dsn = postgres.database("team_verdicts")
    assert run_coach("rules", "push", str(RULES), "--store", dsn, "--author", "setup").returncode == 0
    nodes: list[Server] = []
    try:
        a = start(tmp_path, "--store", dsn, "--rules-from-store", name="a")
        nodes.append(a)
        b = start(tmp_path, "--store", dsn, "--rules-from-store", name="b")
        nodes.append(b)
        follower_token = token_file(tmp_path / "follower-token", f"{FLOOR_TOKEN}\n")
        home = tmp_path / "follower"
        home.mkdir()
        shutil.copytree(RULES, home / "rules")
        c = Server(home / "rules", "--follow", b.url, "--token-file", str(follower_token), "--store", "none",
                   "--min-confidence", FLOOR, "--follow-interval", "10")
        nodes.append(c)
        corpus = upload(a)
        please = [i for i in queue(a, corpus)["items"] if i["rule"] == "missing_please"]
        for item in please[:TEAM_DECIDES - 1]:
            judge(a, corpus, item, "wrong")
        assert rules_of(b) == rules_of(c) == ["missing_please"]
        # the tenth: B's live chat loses the warning within a second, the follower's check too
        took = asyncio.run(_live_please(b, lambda: judge(a, corpus, please[TEAM_DECIDES - 1], "wrong")))
        followed = wait_until(lambda: rules_of(c) == [], timeout=5)
        assert took < 1.0 and followed, (took, c.get("/healthz")[1]["precision"]["team"])
        health = c.get("/healthz")[1]
        assert health["precision"]["team"]["mode"] == "follow" and health["precision"]["team"]["verdicts"] == 10
        # the follower's page cannot judge: verdicts are the team node's
        assert call(c, "GET", f"/supervisor/api/judging/queue?corpus={corpus['id']}", token=FLOOR_TOKEN)[0] in (401, 409)
        # undo on A: back on B at once
        undo = lambda: call(a, "DELETE", f"/supervisor/api/judging/verdicts/{please[TEAM_DECIDES - 1]['item']}")  # noqa: E731
        back = asyncio.run(_live_please(b, undo, gone=False))
        assert back < 1.0 and wait_until(lambda: rules_of(c) == ["missing_please"], timeout=5)
        with capsys.disabled():
            print(f"\n[team verdicts] the tenth «неверно» on A → B's live chat: {took * 1000:.0f} ms; undo: "
                  f"{back * 1000:.0f} ms")
        # B, restarted, reads the team's figures before its first answer
        judge(a, corpus, please[TEAM_DECIDES - 1], "wrong")
        b.stop()
        b.start()
        assert rules_of(b) == []
    finally:
        for server in nodes:
            server.stop()


def test_the_shipped_table_has_no_team_figures():
    table, error = load_precision()
    assert error is None and table.team == {}
