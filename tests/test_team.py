"""One rule set for the whole floor (docs/team.md), with real parts: a throwaway PostgreSQL cluster, the
`coach` command line, and several `coach serve` processes on loopback ports standing for machines.

- `coach rules push|history|rollback|pull` against the store, validated as `coach rules check` validates;
- a rule saved on node A is enforced by node B's `/v1/check` and pushed to B's live connections (NOTIFY);
- concurrent saves from two nodes with the same base: one 200, one 409;
- history and rollback from the supervisor API, with the token holder's name as the author;
- feedback stats add up across nodes; `--workers` shares the port and follows the same version;
- an operator's service following a team node over HTTPS with an operator's token, offline → last good.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from coach_server.rulebook.ruleset import RuleSet, read_directory
from coach_server.store.rulesets import RuleSetStore
from tests import test_supervisor as sup_api
from tests.conftest import RULES, Server, free_port, token_file
from tests.pgcluster import started_cluster
from tests.test_security import _own_non_loopback_address

TWO_SENTENCES = sup_api.TWO_SENTENCES
DEADLINE_S = 20.0  # generous: these machines are shared; the benchmark measures the real figures


@pytest.fixture
def team(postgres, tmp_path, request):
    """A fresh database with the project's rules pushed as version 1; nodes started here are stopped after."""
    name = "team_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[-40:].lower()
    t = Team(postgres.database(name), tmp_path)
    assert coach("rules", "push", str(RULES), "--store", t.dsn, "--author", "setup").returncode == 0
    yield t
    t.stop()


@contextmanager
def throwaway_team(base: Path, name: str):
    """A cluster of its own with one database, the project's rules pushed as version 1; stopped after."""
    cluster = started_cluster()
    team = Team(cluster.database(name), base)
    try:
        assert coach("rules", "push", str(RULES), "--store", team.dsn, "--author", "setup").returncode == 0
        team.cluster = cluster
        yield team
    finally:
        team.stop()
        cluster.close()


class Team:
    def __init__(self, dsn: str, tmp: Path):
        self.dsn = dsn
        self.tmp = tmp
        self.nodes: list[Server] = []

    def node(self, *extra: str, name: str | None = None, **kwargs) -> Server:
        """A `coach serve` on the team's store, with a rules directory of its own (the stock rules)."""
        home = self.tmp / (name or f"node{len(self.nodes)}")
        if not (home / "rules").exists():
            home.mkdir(parents=True, exist_ok=True)
            shutil.copytree(RULES, home / "rules")
        server = Server(home / "rules", "--store", self.dsn, "--rules-from-store", *extra, **kwargs)
        self.nodes.append(server)
        return server

    def stop(self) -> None:
        for server in self.nodes:
            server.stop()


def coach(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach_server", *args], capture_output=True, text=True,
                          timeout=timeout)


def source(server: Server) -> dict:
    status, health = server.get("/healthz")
    assert status == 200, health
    return health["rules_source"]


def wait_until(predicate, timeout: float = DEADLINE_S, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def flagged(server: Server, draft: str = TWO_SENTENCES) -> list[str]:
    status, body = server.post("/v1/check", {"draft": draft, "now": sup_api.NOW})
    assert status == 200, body
    return [w["rule"] for w in body["warnings"]]


def one_sentence_edit(server: Server, sentences: int = 1) -> dict:
    return sup_api.rule_edit(server, "too_long", **{"params.max.sentences": sentences})


# --- the command line ----------------------------------------------------------------------------------------
def test_push_history_rollback_pull(team, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(RULES, work)
    again = coach("rules", "push", str(work), "--store", team.dsn)
    assert again.returncode == 0 and "nothing to push" in again.stdout
    path = work / "too_long.toml"  # a change its own examples still pass (push refuses a set that fails them)
    path.write_text(path.read_text(encoding="utf-8").replace('severity = "warning"', 'severity = "info"', 1),
                    encoding="utf-8")
    # a stale --base is refused: the newest version is 1
    assert coach("rules", "push", str(work), "--store", team.dsn, "--base", "7").returncode == 1
    pushed = coach("rules", "push", str(work), "--store", team.dsn, "--author", "dev", "--message", "two sentences",
                   "--base", "1")
    assert pushed.returncode == 0 and "version 2 pushed by dev" in pushed.stdout, pushed.stdout + pushed.stderr
    rolled = coach("rules", "rollback", "1", "--store", team.dsn, "--author", "lead")
    assert rolled.returncode == 0 and "version 3" in rolled.stdout
    assert coach("rules", "rollback", "99", "--store", team.dsn).returncode == 1
    history = json.loads(coach("rules", "history", "--store", team.dsn, "--json").stdout)
    assert [(v["version"], v["author"], v["restores"]) for v in history] == [(3, "lead", 1), (2, "dev", None),
                                                                            (1, "setup", None)]
    assert history[1]["summary"] == "two sentences" and history[0]["summary"] == "rollback to version 1"
    assert history[2]["summary"] == "21 files added" and history[2]["files"] == 21
    change = history[1]["changes"]
    assert [(c["file"], c["change"]) for c in change] == [("too_long.toml", "modified")]
    assert '-severity = "warning"' in change[0]["diff"] and '+severity = "info"' in change[0]["diff"]
    text = coach("rules", "history", "--store", team.dsn, "--diff").stdout
    assert "    2  " in text and "dev  two sentences" in text and '+severity = "info"' in text
    pulled = tmp_path / "pulled"
    assert coach("rules", "pull", str(pulled), "--store", team.dsn, "--version", "2").returncode == 0
    assert read_directory(pulled).digest == read_directory(work).digest
    assert coach("rules", "pull", str(pulled), "--store", team.dsn).returncode == 0  # the newest: version 3 = 1
    assert read_directory(pulled).digest == read_directory(RULES).digest


def test_push_refuses_a_broken_set_with_the_errors_of_rules_check(team, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(RULES, work)
    path = work / "slow_reply.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('severity = "error"', 'severity = "fatal"', 1),
                    encoding="utf-8")
    check = coach("rules", "check", str(work))
    push = coach("rules", "push", str(work), "--store", team.dsn)
    assert check.returncode == 1 and push.returncode == 1
    errors = [line for line in check.stdout.splitlines() if line.startswith(("error", "example"))]
    assert errors and all(line in push.stdout for line in errors)
    assert "refused" in push.stdout and "nothing was pushed" in push.stdout
    history = json.loads(coach("rules", "history", "--store", team.dsn, "--json").stdout)
    assert [v["version"] for v in history] == [1]
    bad_store = coach("rules", "push", str(RULES), "--store", "sqlite:///tmp/x.sqlite3")
    assert bad_store.returncode == 2 and "PostgreSQL" in bad_store.stderr


def test_a_waiting_node_is_woken_by_the_commit(team):
    """LISTEN/NOTIFY, not the periodic check: a node waiting up to 60 s hears of a new version at once."""
    async def scenario():
        follower, writer = RuleSetStore(team.dsn), RuleSetStore(team.dsn)
        current = await follower.fetch()
        assert current is not None and current.version == 1
        waiting = asyncio.ensure_future(follower.newer(current, wait=60))
        await asyncio.sleep(0.5)  # listening
        files = dict(current.files)
        files["too_long.toml"] = files["too_long.toml"].replace(b"sentences = 3", b"sentences = 1")
        started = time.monotonic()
        made = await writer.commit(files, author="test")
        newer = await asyncio.wait_for(waiting, 30)
        took = time.monotonic() - started
        await follower.close()
        await writer.close()
        return made, newer, took

    made, newer, took = asyncio.run(scenario())
    assert made is not None and made.version == 2
    assert isinstance(newer, RuleSet) and newer.version == 2 and newer.digest == made.digest
    assert took < 30  # well under the 60 s it would otherwise wait


# --- nodes ----------------------------------------------------------------------------------------------
async def _watch_rules_push(server: Server, save):
    """A live connection on `server` with a two-sentence draft; `save()` runs; the `rules` push it then gets."""
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(server.url.replace("http", "ws", 1) + "/v1/live")
        assert json.loads((await ws.receive()).data)["type"] == "hello"
        await ws.send_json({"type": "update", "chat_id": "chat-1", "seq": 1, "draft": TWO_SENTENCES,
                            "messages": [{"role": "client", "text": "Сколько идёт доставка?", "ts": time.time() - 5}]})
        first = json.loads((await ws.receive()).data)
        started = time.monotonic()
        result = await asyncio.get_running_loop().run_in_executor(None, save)
        pushed = None
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            frame = json.loads((await asyncio.wait_for(ws.receive(), DEADLINE_S)).data)
            if frame["type"] == "warnings" and frame["reason"] == "rules":
                pushed = frame
                break
        took = time.monotonic() - started
        await ws.close()
        return first, result, pushed, took


def test_a_rule_saved_on_node_a_is_enforced_and_pushed_on_node_b(team, capsys):
    a, b = team.node(), team.node()
    assert source(a)["version"] == source(b)["version"] == 1
    assert "too_long" not in flagged(b)
    edit = one_sentence_edit(a)
    first, (status, saved), pushed, took = asyncio.run(_watch_rules_push(
        b, lambda: sup_api.call(a, "PUT", "/supervisor/api/rules/too_long", edit, token=a.token)))
    assert status == 200 and saved["saved"] and saved["version"] == 2, saved
    assert "too_long" not in [w["rule"] for w in first["warnings"]]
    assert pushed is not None and "too_long" in [w["rule"] for w in pushed["warnings"]]
    assert "too_long" in flagged(b)  # B's /v1/check enforces it
    assert source(b)["version"] == 2 and source(b)["digest"] == source(a)["digest"]
    with capsys.disabled():
        print(f"\n[team] save on A → push on B's live connection: {took * 1000:.0f} ms (incl. the save itself)")
    # the store's history says who and what; the file on disk of either node was not touched
    status, history = sup_api.call(b, "GET", "/supervisor/api/versions")
    assert status == 200 and history["versions"][0]["author"] == "supervisor"
    assert history["versions"][0]["changes"][0]["file"] == "too_long.toml"
    assert "sentences = 3" in (a.rules_dir / "too_long.toml").read_text(encoding="utf-8")


def test_concurrent_saves_from_two_nodes_with_the_same_base_one_wins(team):
    a, b = team.node(), team.node()
    for sentences in (1, 2, 4):
        wait_until(lambda: source(a)["digest"] == source(b)["digest"])
        edit_a, edit_b = one_sentence_edit(a, sentences), one_sentence_edit(b, sentences + 10)
        assert edit_a["base_digest"] == edit_b["base_digest"]
        statuses = at_once([(a, edit_a), (b, edit_b)])
        codes = sorted(s for s, _ in statuses)
        assert codes == [200, 409], statuses
        loser = next(body for s, body in statuses if s == 409)
        assert loser["error"]["details"] == [{"field": "base_digest", "problem": "stale"}]
    history = sup_api.call(a, "GET", "/supervisor/api/versions")[1]["versions"]
    assert [v["version"] for v in history] == [4, 3, 2, 1]  # one version per round: no lost update


def at_once(saves: list[tuple[Server, dict]], rule: str = "too_long") -> list[tuple[int, dict]]:
    """PUT each edit to its server, all released at the same moment; the answers in order."""
    answers: list = [None] * len(saves)
    gate = threading.Barrier(len(saves))

    def save(i: int, server: Server, edit: dict) -> None:
        gate.wait()
        answers[i] = sup_api.call(server, "PUT", f"/supervisor/api/rules/{rule}", edit, token=server.token)

    threads = [threading.Thread(target=save, args=(i, server, edit)) for i, (server, edit) in enumerate(saves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


def test_history_and_rollback_from_the_supervisor_page(team, tmp_path):
    tokens = token_file(tmp_path / "tokens", "first-token-0123456789abcdef\nanna: anna-token-0123456789abcdef\n"
                                             "floor (operator): floor-token-0123456789abcdef\n")
    a = team.node("--token-file", str(tokens))
    state = sup_api.call(a, "GET", "/supervisor/api/state", token="anna-token-0123456789abcdef")[1]
    assert state["versioned"] is True and state["token_holder"] == "anna" and state["rules_source"]["version"] == 1
    assert sup_api.call(a, "GET", "/supervisor/api/state", token="floor-token-0123456789abcdef")[1]["token_ok"] is False
    edit = one_sentence_edit(a)
    # an operator's token may not change the rules
    assert sup_api.call(a, "PUT", "/supervisor/api/rules/too_long", edit, token="floor-token-0123456789abcdef")[0] == 401
    status, saved = sup_api.call(a, "PUT", "/supervisor/api/rules/too_long", edit, token="anna-token-0123456789abcdef")
    assert status == 200 and saved["version"] == 2
    versions = sup_api.call(a, "GET", "/supervisor/api/versions")[1]["versions"]
    assert [(v["version"], v["author"]) for v in versions] == [(2, "anna"), (1, "setup")]
    assert "too_long" in flagged(a)
    assert sup_api.call(a, "POST", "/supervisor/api/versions/1/rollback", {})[0] == 401
    assert sup_api.call(a, "POST", "/supervisor/api/versions/9/rollback", {}, token="first-token-0123456789abcdef")[0] == 404
    status, rolled = sup_api.call(a, "POST", "/supervisor/api/versions/1/rollback", {}, token="first-token-0123456789abcdef")
    assert status == 200 and rolled == {"rolled_back_to": 1, "changed": True, "version": 3, "rule_errors": []}
    assert "too_long" not in flagged(a)
    versions = sup_api.call(a, "GET", "/supervisor/api/versions?limit=1")[1]["versions"]
    assert [(v["version"], v["author"], v["restores"]) for v in versions] == [(3, "supervisor", 1)]
    assert sup_api.call(a, "GET", "/supervisor/api/versions?limit=x")[0] == 400


def test_feedback_stats_add_up_across_nodes(team):
    a, b = team.node(), team.node()
    shown = {"type": "feedback", "chat_id": "room-1", "action": "shown", "rule": "slang", "severity": "warning"}
    asyncio.run(sup_api._feedback_session(a, [shown] * 3))
    asyncio.run(sup_api._feedback_session(b, [shown] * 4))

    def slang_shown(server):
        stats = sup_api.call(server, "GET", f"/supervisor/api/stats?since={time.time() - 3600}", token=server.token)[1]
        return next((r["shown"] for r in stats["rules"] if r["rule"] == "slang"), 0)

    assert wait_until(lambda: slang_shown(a) == 7 and slang_shown(b) == 7)


def test_workers_share_the_port_and_follow_the_same_version(team, capsys):
    node = team.node("--workers", "2")
    pids = set()

    def both_workers():
        pids.add(source_and_pid(node)[1])
        return len(pids) == 2

    assert wait_until(both_workers, step=0.01), pids
    # a timer push per connection, and a save reaching every connection whichever worker holds it
    async def scenario():
        async with aiohttp.ClientSession() as session:
            sockets = []
            for n in range(6):
                ws = await session.ws_connect(node.url.replace("http", "ws", 1) + "/v1/live")
                await ws.receive()
                await ws.send_json({"type": "update", "chat_id": f"c{n}", "draft": TWO_SENTENCES, "messages": [
                    {"role": "client", "text": "Здравствуйте, сколько стоит доставка?", "ts": time.time() - 25}]})
                sockets.append(ws)
            firsts = [json.loads((await ws.receive()).data) for ws in sockets]
            timers = [json.loads((await asyncio.wait_for(ws.receive(), DEADLINE_S)).data) for ws in sockets]
            edit = one_sentence_edit(node)
            status = await asyncio.get_running_loop().run_in_executor(
                None, lambda: sup_api.call(node, "PUT", "/supervisor/api/rules/too_long", edit, token=node.token)[0])
            pushes = []
            for ws in sockets:
                while True:
                    frame = json.loads((await asyncio.wait_for(ws.receive(), DEADLINE_S)).data)
                    if frame.get("reason") == "rules":
                        pushes.append(frame)
                        break
            for ws in sockets:
                await ws.close()
            return firsts, timers, status, pushes

    firsts, timers, status, pushes = asyncio.run(scenario())
    assert all(f["reason"] == "update" and "slow_reply" not in [w["rule"] for w in f["warnings"]] for f in firsts)
    assert all(t["reason"] == "timer" and "slow_reply" in [w["rule"] for w in t["warnings"]] for t in timers)
    assert status == 200 and len(pushes) == 6
    assert all("too_long" in [w["rule"] for w in p["warnings"]] for p in pushes)
    seen: dict[int, int] = {}

    def every_worker_on_version_2():
        version, pid = source_and_pid(node)
        seen[pid] = version
        return len(seen) == 2 and set(seen.values()) == {2}

    assert wait_until(every_worker_on_version_2, step=0.01), seen


def source_and_pid(server: Server) -> tuple[int, int]:
    """One new connection's answer (SO_REUSEPORT picks the worker per connection): version and pid."""
    with urllib.request.urlopen(server.url + "/healthz", timeout=10) as r:
        health = json.loads(r.read())
    assert health["process"]["workers"] == 2
    return health["rules_source"]["version"], health["process"]["pid"]


# --- an operator's service following a team node -------------------------------------------------------------
def _certificate(tmp: Path, address: str) -> tuple[Path, Path]:
    cert, key = tmp / "team.pem", tmp / "team.key"
    names = "IP:127.0.0.1" + (f",IP:{address}" if address != "127.0.0.1" else "")
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                           str(cert), "-days", "2", "-subj", "/CN=team-node", "-addext", f"subjectAltName={names}"],
                          capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        pytest.skip(f"openssl cannot make a certificate here: {made.stderr[-300:]}")
    return cert, key


def test_an_operators_service_follows_a_team_node(team, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make the team node's certificate")
    address = _own_non_loopback_address() or "127.0.0.1"  # another machine, as far as the team node can tell
    cert, key = _certificate(tmp_path, address)
    team_tokens = token_file(tmp_path / "team-tokens", "lead: lead-token-0123456789abcdef\n"
                                                       "floor (operator): floor-token-0123456789abcdef\n")
    operator_token = token_file(tmp_path / "operator-token", "floor-token-0123456789abcdef\n")
    context = ssl.create_default_context(cafile=str(cert))
    port = free_port()
    lead = team.node("--host", "0.0.0.0", "--token-file", str(team_tokens), "--tls-cert", str(cert),
                     "--tls-key", str(key), port=port, ssl_context=context, name="team-node")
    follower = Server(_rules_copy(tmp_path / "op"), "--follow", f"https://{address}:{port}", "--follow-ca", str(cert), "--token-file",
                      str(operator_token), "--follow-interval", "3", "--store", "none")
    team.nodes.append(follower)
    assert wait_until(lambda: source(follower)["state"] == "online")
    status = source(follower)
    assert status["mode"] == "follow" and status["version"] == 1 and status["digest"] == source(lead)["digest"]
    # a supervisor saves on the team node: the follower enforces it at once (long poll), well within its interval
    edit = one_sentence_edit(lead)
    assert sup_api.call(lead, "PUT", "/supervisor/api/rules/too_long", edit, token="lead-token-0123456789abcdef")[0] == 200
    assert wait_until(lambda: "too_long" in flagged(follower))
    assert source(follower)["version"] == 2 and source(follower)["digest"] == source(lead)["digest"]
    # the follower's own page cannot change the team's rules
    status, body = sup_api.call(follower, "PUT", "/supervisor/api/rules/too_long", one_sentence_edit(follower, 5),
                                token=operator_token.read_text().strip())
    assert status == 409 and "follows the team node" in body["error"]["message"]
    # the team node goes away: the follower keeps version 2 and says so
    lead.stop()
    assert wait_until(lambda: source(follower)["state"] == "offline")
    offline = source(follower)
    assert offline["version"] == 2 and offline["last_error"] and offline["offline_since"]
    assert "too_long" in flagged(follower)
    # …even after a restart of the operator's machine (the last good version was kept on disk)
    follower.stop()
    follower.start()
    restarted = source(follower)
    assert restarted["serving"] == "snapshot" and restarted["version"] == 2 and restarted["state"] == "offline"
    assert "too_long" in flagged(follower)
    # the team node is back, a rollback there reaches the follower
    lead.start()
    assert wait_until(lambda: source(follower)["state"] == "online")
    status, _ = sup_api.call(lead, "POST", "/supervisor/api/versions/1/rollback", {}, token="lead-token-0123456789abcdef")
    assert status == 200
    assert wait_until(lambda: "too_long" not in flagged(follower))
    assert source(follower)["version"] == 3 and source(follower)["serving"] == "source"


def test_a_wrong_token_is_refused_by_the_team_node(team, tmp_path):
    address = _own_non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback address on this machine to call the team node from")
    team_tokens = token_file(tmp_path / "team-tokens", "lead-token-0123456789abcdef\n")
    wrong = token_file(tmp_path / "wrong-token", "not-the-teams-token-0123456789\n")
    port = free_port()
    team.node("--host", "0.0.0.0", "--token-file", str(team_tokens), port=port, name="team-node")
    follower = Server(_rules_copy(tmp_path / "op"), "--follow", f"http://{address}:{port}", "--token-file", str(wrong),
                      "--store", "none")
    team.nodes.append(follower)
    assert wait_until(lambda: (source(follower)["last_error"] or "").find("refused this service's token") >= 0)
    assert source(follower)["serving"] == "local" and source(follower)["state"] == "offline"
    assert "unencrypted" in follower.log.read_text()


def _rules_copy(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copytree(RULES, home / "rules")
    return home / "rules"
