"""Rule sources an attacker or a clumsy administrator controls (issue 19, items 2, 3, 5, 7, 11): a team node
that answers 300 MB, an empty set or at once every time; rule files nested 800 deep or with a quantifier no
engine takes, at start and while running; a thousand followers waiting on one node. Real `coach serve`
processes; the hostile team node is a real HTTP server in this process."""
from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from aiohttp import web

from coach_server import Coach
from coach_server.rulebook.ruleset import read_directory
from coach_server.service import rulewatch
from coach_server.service.rulewatch import RuleWatcher, TooManyWaiting
from tests.conftest import RULES, Server, free_port, token_file
from tests.test_team import _rules_copy, source, team, wait_until  # noqa: F401 (team: a fixture used here)

DEEP_TOML = 'kind = "lexicon"\ntitle = "x"\nx = ' + "[" * 800 + "]" * 800 + "\n"
BIG_QUANTIFIER = ('kind = "pattern"\ntitle = "x"\n[ru]\nmessage = "x"\npatterns = ["a{4294967296}"]\n'
                  '[en]\nmessage = "x"\n')
BACKTRACKING = ('kind = "pattern"\ntitle = "Карта"\n[ru]\nmessage = "{match}"\npatterns = [\'(\\w+\\s?)+карт[аыуе]\']\n'
                '[en]\nmessage = "{match}"\n')


class HostileNode:
    """A team node whose answer to `GET /v1/rules/set` the test chooses: `good` (the project's rules, a long
    poll as a node does it), `flood` (300 MB, chunked), `empty` (a set of no files), `eager` (the same set
    at once, whatever `wait` says). Counts the requests it gets."""

    def __init__(self):
        self.mode = "good"
        self.requests = 0
        self.sent = 0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.set = read_directory(RULES)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/v1/rules/set", self._answer)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._runner = runner
        self._ready.set()
        self._loop.run_forever()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        known = request.headers.get("If-None-Match", "").strip('"')
        if self.mode == "flood":
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            chunk = b'{"files": {"a.toml": "' + b"x" * (1 << 20)
            try:
                for _ in range(300):
                    await response.write(chunk)
                    self.sent += len(chunk)
            except (ConnectionError, RuntimeError):
                pass
            return response
        if self.mode == "empty":
            return web.json_response({"format": 1, "files": {}})
        if self.mode == "good" and known == self.set.digest:
            await asyncio.sleep(float(request.query.get("wait", "0")))
            return web.Response(status=304)
        return web.json_response(self.set.to_json())

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


def rule_count(server: Server) -> int:
    return server.get("/healthz")[1]["rules"]


def test_a_hostile_team_node_cannot_bloat_or_empty_a_follower(tmp_path):
    node = HostileNode()
    token = token_file(tmp_path / "token", "floor-token-0123456789abcdef\n")
    follower = None
    try:
        follower = Server(_rules_copy(tmp_path / "op"), "--follow", node.url, "--token-file", str(token),
                          "--follow-interval", "1", "--store", "none")
        assert wait_until(lambda: source(follower)["state"] == "online" and source(follower)["serving"] == "source")
        rules = rule_count(follower)
        assert rules > 0
        # 300 MB, chunked (no Content-Length to refuse it by): cut off at 8 MiB, the last good set stays
        node.mode = "flood"
        assert wait_until(lambda: "larger than 8 MiB" in (source(follower)["last_error"] or ""))
        assert source(follower)["state"] == "offline" and rule_count(follower) == rules
        assert node.sent < 64 << 20 and rss_mb(follower.proc.pid) < 400
        # an empty set is refused, said on /healthz
        node.mode = "empty"
        assert wait_until(lambda: "empty rule set" in (source(follower)["last_error"] or ""))
        assert rule_count(follower) == rules and source(follower)["digest"] == node.set.digest
        # a node that answers at once every time (ignoring `wait`) is asked at most twice a second
        node.mode = "eager"
        assert wait_until(lambda: source(follower)["state"] == "online")
        before = node.requests
        time.sleep(3)
        assert node.requests - before <= 8
        assert "Traceback" not in follower.log.read_text()
    finally:
        if follower is not None:
            follower.stop()
        node.stop()


def test_bad_rule_files_at_start_and_while_running(tmp_path):
    rules = _rules_copy(tmp_path)
    (rules / "deep.toml").write_text(DEEP_TOML, encoding="utf-8")
    server = Server(rules)  # starts, whatever the directory holds
    try:
        errors = {e["file"]: e["problem"] for e in server.get("/healthz")[1]["rule_errors"]}
        assert "nested too deeply" in errors["deep.toml"]
        # added while running: one error for that file; the watcher lives on and loads later edits
        (rules / "quantifier.toml").write_text(BIG_QUANTIFIER, encoding="utf-8")
        assert wait_until(lambda: any(e["file"] == "quantifier.toml" for e in server.get("/healthz")[1]["rule_errors"]))
        (rules / "card.toml").write_text(BACKTRACKING, encoding="utf-8")
        assert wait_until(lambda: server.get("/healthz")[1]["rules"] == 22)
        # the backtracking pattern runs in linear time: a 40-character draft answers at once
        status, result = server.post("/v1/check", {"draft": "оплатил бы всё это сразу но не могу никак"})
        assert status == 200 and not any(w["rule"] == "card" for w in result["warnings"])
        status, result = server.post("/v1/check", {"draft": "Оплатил карту вчера."})
        assert [w["rule"] for w in result["warnings"]].count("card") == 1
        assert "Traceback" not in server.log.read_text()
    finally:
        server.stop()


def test_rules_check_prints_one_error_per_bad_file(tmp_path):
    from tests.test_team import coach

    rules = _rules_copy(tmp_path)
    (rules / "deep.toml").write_text(DEEP_TOML, encoding="utf-8")
    (rules / "quantifier.toml").write_text(BIG_QUANTIFIER, encoding="utf-8")
    done = coach("rules", "check", str(rules))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "deep.toml: (syntax): nested too deeply" in done.stdout + done.stderr
    assert "quantifier.toml: ru.patterns[0]" in done.stdout + done.stderr


def test_followers_waiting_are_bounded_and_answered_from_one_body(monkeypatch):
    monkeypatch.setattr(rulewatch, "MAX_WAITERS", 3)

    async def scenario():
        watcher = RuleWatcher(Coach.load(RULES), 0)
        digest, body = await watcher.files_body()
        waiting = [asyncio.ensure_future(watcher.changed_from(digest, 30)) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert watcher.waiting == 3
        with pytest.raises(TooManyWaiting):
            await watcher.changed_from(digest, 30)
        await watcher.closing(None)
        await asyncio.gather(*waiting)
        assert watcher.waiting == 0
        assert (await watcher.files_body())[1] is body  # made once for the version, not once per follower
        assert json.loads(body)["digest"] == digest

    asyncio.run(scenario())


def test_a_new_rule_book_is_built_off_the_event_loop(tmp_path):
    rules = _rules_copy(tmp_path)

    async def scenario():
        watcher = RuleWatcher(Coach.load(rules), 0)
        loop_thread = threading.get_ident()
        built_in = []
        original = rulewatch.load_rulebook

        def spy(directory, previous=None):
            built_in.append(threading.get_ident())
            return original(directory, previous=previous)

        rulewatch.load_rulebook = spy
        try:
            (rules / "card.toml").write_text(BACKTRACKING, encoding="utf-8")
            update = await watcher.reload()
        finally:
            rulewatch.load_rulebook = original
        assert update.changed == {"card"} and "card" in watcher.coach.rulebook.rules
        assert built_in and loop_thread not in built_in

    asyncio.run(scenario())


def test_versions_and_limits_are_ascii_numbers():
    from coach_server.service.httpkit import HttpError
    from coach_server.web.supervisor.routes import _int_param

    assert _int_param("12", "version", None) == 12
    for bad in ("²", "٣", "0", "-1", "1e3", "9" * 20):
        with pytest.raises(HttpError) as refused:
            _int_param(bad, "version", None)
        assert refused.value.status == 400


def test_saving_while_the_rules_directory_is_missing_is_409(tmp_path):
    from tests import test_supervisor as sup_api
    from tests.test_team import one_sentence_edit

    rules = _rules_copy(tmp_path)
    server = Server(rules)
    try:
        edit = one_sentence_edit(server)
        rules.rename(tmp_path / "moved-away")
        status, body = sup_api.call(server, "PUT", "/supervisor/api/rules/too_long", edit, token=server.token)
        assert status in (404, 409), body  # the file is gone (404) or cannot be written (409); never a 500
        assert "Traceback" not in server.log.read_text()
    finally:
        server.stop()


def test_rollback_and_pull_refuse_what_no_store_holds(team, tmp_path):  # noqa: F811 (the fixture)
    from coach_server.store.rulesets import RuleSetStore
    from tests.test_team import coach

    rolled = coach("rules", "rollback", "9" * 20, "--store", team.dsn)
    assert rolled.returncode == 1 and "no rule set version" in rolled.stderr, rolled.stderr
    pulled = coach("rules", "pull", str(tmp_path / "p"), "--store", team.dsn, "--version", "0")
    assert pulled.returncode == 1 and "there is no version 0" in pulled.stderr, pulled.stderr
    # a version a newer Operator Coach wrote (a kind this one does not know) is not restored by a rollback
    files = dict(read_directory(RULES).files)
    files["future.toml"] = b'kind = "telepathy"\ntitle = "x"\n'

    async def commit():
        store = RuleSetStore(team.dsn)
        try:
            return await store.commit(files, author="newer coach")
        finally:
            await store.close()

    assert asyncio.run(commit()).version == 2
    assert coach("rules", "push", str(RULES), "--store", team.dsn).returncode == 0  # version 3: the good set
    refused = coach("rules", "rollback", "2", "--store", team.dsn)
    assert refused.returncode == 1 and "cannot be restored" in refused.stdout, refused.stdout
    assert "error   future.toml: " in refused.stdout
    history = json.loads(coach("rules", "history", "--store", team.dsn, "--json").stdout)
    assert history[0]["version"] == 3  # nothing was written
