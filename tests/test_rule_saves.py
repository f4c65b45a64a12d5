"""Saving rules on one machine (the rules directory, no team store), through a real `coach serve`:
concurrent saves with the same base give one 200 and one 409 — in one process and across `--workers`
processes (the digest is compared under the lock that writes, on the directory: no lock file lands in it); the
rule set as followers fetch it (`GET /v1/rules/set`, a long poll); and the versions a directory keeps without
the team's store — history and rollback for a single site."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests import test_supervisor as sup_api
from tests.conftest import Server
from tests.test_team import at_once, one_sentence_edit, source, wait_until


@pytest.fixture
def workers(rules_copy):
    server = Server(rules_copy, "--workers", "2", "--store", "none")
    yield server
    server.stop()


def _lost_update_rounds(server: Server, rounds: int) -> None:
    path = server.rules_dir / "too_long.toml"
    for n in range(rounds):
        # two supervisors opened the same version of the rule and change it differently
        first = one_sentence_edit(server, 10 + n)
        second = json.loads(json.dumps(first))
        second["params"]["max"]["sentences"] = 20 + n
        answers = at_once([(server, first), (server, second)])
        assert sorted(status for status, _ in answers) == [200, 409], answers
        winner = 10 + n if answers[0][0] == 200 else 20 + n
        assert f"sentences = {winner}," in path.read_text(encoding="utf-8")  # the loser overwrote nothing
        assert wait_until(lambda w=winner: sup_api.call(server, "GET", "/supervisor/api/rules/too_long")[1][
            "values"]["params"]["max"]["sentences"] == w)


def test_concurrent_saves_with_the_same_base_one_wins(server):
    _lost_update_rounds(server, 3)


def test_concurrent_saves_across_worker_processes_one_wins(workers):
    _lost_update_rounds(workers, 4)


def test_after_a_save_every_worker_shows_the_saved_rule(workers):
    """Either worker may answer the page that opens the rule next: none answers from the rules before the
    save, not even while its watcher is still reloading them (a stale base would refuse the next save)."""
    for n in range(3):
        edit = one_sentence_edit(workers, 30 + n)
        assert sup_api.call(workers, "PUT", "/supervisor/api/rules/too_long", edit, token=workers.token)[0] == 200
        seen = {sup_api.call(workers, "GET", "/supervisor/api/rules/too_long")[1]["values"]["params"]["max"][
            "sentences"] for _ in range(40)}
        assert seen == {30 + n}


def test_a_stale_base_is_refused_even_when_the_edit_changes_nothing_new(server):
    edit = one_sentence_edit(server)
    assert sup_api.call(server, "PUT", "/supervisor/api/rules/too_long", edit, token=server.token)[0] == 200
    status, body = sup_api.call(server, "PUT", "/supervisor/api/rules/too_long", edit, token=server.token)
    assert status == 409 and body["error"]["details"][0]["field"] == "base_digest"
    status, body = sup_api.call(server, "PUT", "/supervisor/api/rules/too_long", dict(edit, base_digest=5),
                                token=server.token)
    assert status == 400 and body["error"]["details"][0]["field"] == "base_digest"


def test_a_file_changed_on_disk_since_it_was_opened_is_not_overwritten(server):
    path = server.rules_dir / "too_long.toml"
    edit = one_sentence_edit(server)
    path.write_text(path.read_text(encoding="utf-8").replace("chars = 400", "chars = 500"), encoding="utf-8")
    # whether or not the watcher has reloaded it yet, the save made from the old file is refused
    status, _ = sup_api.call(server, "PUT", "/supervisor/api/rules/too_long", edit, token=server.token)
    assert status == 409
    assert "chars = 500" in path.read_text(encoding="utf-8") and "sentences = 3" in path.read_text(encoding="utf-8")


def test_without_the_team_store_the_rules_directory_keeps_its_versions(server):
    state = sup_api.call(server, "GET", "/supervisor/api/state")[1]
    assert state["versioned"] is True and state["versions_kind"] == "files"
    assert state["rules_source"]["mode"] == "files"
    status = source(server)
    assert status["state"] == "online" and status["serving"] == "files" and status["location"] == str(server.rules_dir)
    path = server.rules_dir / "too_long.toml"
    original = path.read_bytes()
    # the directory as found is version 1
    versions = sup_api.call(server, "GET", "/supervisor/api/versions")[1]["versions"]
    assert [v["version"] for v in versions] == [1] and versions[0]["files"] == 21
    # a save from the page: version 2, by the token's holder, with its diff
    assert sup_api.call(server, "PUT", "/supervisor/api/rules/too_long", one_sentence_edit(server),
                        token=server.token)[0] == 200
    # an edit by hand in the files, then another save: the hand edit is a version of its own
    slang = server.rules_dir / "slang.toml"
    slang.write_text(slang.read_text(encoding="utf-8").replace('severity = "warning"', 'severity = "info"', 1),
                     encoding="utf-8")
    assert wait_until(lambda: sup_api.call(server, "GET", "/supervisor/api/rules/slang")[1]["severity"] == "info")
    assert sup_api.call(server, "PUT", "/supervisor/api/rules/too_long", one_sentence_edit(server, 2),
                        token=server.token)[0] == 200
    versions = sup_api.call(server, "GET", "/supervisor/api/versions")[1]["versions"]
    assert [(v["version"], v["author"], v["summary"]) for v in versions] == [
        (4, "supervisor", "too_long.toml modified"), (3, None, "changed in the files"),
        (2, "supervisor", "too_long.toml modified"), (1, None, "21 files added")]
    assert versions[0]["changes"][0]["file"] == "too_long.toml"
    assert "+max = { sentences = 2, chars = 400 }" in versions[0]["changes"][0]["diff"]
    assert versions[1]["changes"][0]["file"] == "slang.toml"
    # the save's lock is on the directory: nothing but rule files in it
    assert sorted(p.name for p in server.rules_dir.iterdir() if not p.name.endswith(".toml")) == []
    # undo: back to version 1 — a new version, the files as they were, the rules in force at once
    assert sup_api.call(server, "POST", "/supervisor/api/versions/1/rollback", {})[0] == 401
    assert sup_api.call(server, "POST", "/supervisor/api/versions/9/rollback", {}, token=server.token)[0] == 404
    status, rolled = sup_api.call(server, "POST", "/supervisor/api/versions/1/rollback", {}, token=server.token)
    assert status == 200 and rolled["rolled_back_to"] == 1 and rolled["version"] == 5, rolled
    assert path.read_bytes() == original and 'severity = "warning"' in slang.read_text(encoding="utf-8")
    assert sup_api.call(server, "GET", "/supervisor/api/rules/too_long")[1]["values"]["params"]["max"]["sentences"] == 3
    newest = sup_api.call(server, "GET", "/supervisor/api/versions?limit=1")[1]["versions"]
    assert [(v["version"], v["restores"], v["summary"]) for v in newest] == [(5, 1, "rollback to version 1")]
    # the versions live in the service's data directory, and survive a restart
    server.stop()
    server.start()
    assert [v["version"] for v in sup_api.call(server, "GET", "/supervisor/api/versions")[1]["versions"]] == \
        [5, 4, 3, 2, 1]


def _rule_set(server: Server, etag: str | None = None, wait: float | None = None):
    url = server.url + "/v1/rules/set" + (f"?wait={wait}" if wait is not None else "")
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers["ETag"], json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("ETag"), e.read()


def test_the_rule_set_for_followers_is_a_long_poll(server):
    status, etag, body = _rule_set(server)
    assert status == 200 and etag == f'"{body["digest"]}"' and body["version"] is None
    assert len(body["files"]) == 21 and body["files"]["too_long.toml"].startswith("kind = ")
    assert body["digest"] == source(server)["digest"]
    started = time.monotonic()
    assert _rule_set(server, etag)[0] == 304  # unchanged, no wait
    assert _rule_set(server, etag, wait=0.5)[0] == 304
    assert time.monotonic() - started >= 0.5
    # a change while a follower waits: answered as soon as it is in force, not at the end of the wait
    edit = one_sentence_edit(server)
    timer = threading.Timer(0.5, lambda: sup_api.call(server, "PUT", "/supervisor/api/rules/too_long", edit,
                                                      token=server.token))
    timer.start()
    started = time.monotonic()
    status, new_etag, changed = _rule_set(server, etag, wait=30)
    timer.join()
    assert status == 200 and new_etag != etag and "sentences = 1," in changed["files"]["too_long.toml"]
    assert time.monotonic() - started < 25
    assert _rule_set(server, etag, wait=99)[0] == 400
    assert _rule_set(server, etag, wait="nan")[0] == 400


def _worker_pids(server: Server) -> set[int]:
    pids: set[int] = set()

    def both() -> bool:
        with urllib.request.urlopen(server.url + "/healthz", timeout=10) as r:
            pids.add(json.loads(r.read())["process"]["pid"])
        return len(pids) == 2

    assert wait_until(both, step=0.01), pids
    return pids


def _alive(pid: int) -> bool:
    # (reaped between the two looks: /proc has no entry any more)
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
    except (ProcessLookupError, FileNotFoundError):
        return False


def test_a_worker_that_dies_is_started_again_and_none_outlives_the_parent(workers):
    first = _worker_pids(workers)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: not _alive(victim))
    again: set[int] = set()

    def replaced() -> bool:
        with urllib.request.urlopen(workers.url + "/healthz", timeout=10) as r:
            again.add(json.loads(r.read())["process"]["pid"])
        return len(again - first) >= 1 and len(again) >= 2

    assert wait_until(replaced, step=0.01), again
    assert "worker 0 exited" in workers.log.read_text() or "worker 1 exited" in workers.log.read_text()
    # the parent dies without a word (SIGKILL): its workers stop too, none keeps the port alone
    children = {pid for pid in again if pid != workers.proc.pid and _alive(pid)}
    workers.proc.kill()
    workers.proc.wait(10)
    assert wait_until(lambda: not any(_alive(pid) for pid in children)), children
