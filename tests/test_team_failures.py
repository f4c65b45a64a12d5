"""Failures of a team's parts, with real processes: two `coach serve` nodes on one PostgreSQL cluster (each
standing for a machine). A node is killed (SIGKILL) while the rules change and comes back on the newest
version; the database is killed (SIGKILL to every PostgreSQL process) while operators keep typing and giving
feedback: the nodes keep serving their last good version and say so on /healthz, a node restarted meanwhile
serves that version from its snapshot (not its own stock rules), and when the database is back every
acknowledged feedback event is stored and every node converges on the same, newest version."""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from tests import test_supervisor as sup_api
from tests.pgcluster import started_cluster
from tests.test_team import DEADLINE_S, RULES, Team, coach, flagged, one_sentence_edit, source, wait_until


@pytest.fixture
def cluster():
    """A cluster of its own: these tests kill it."""
    server = started_cluster()
    yield server
    server.close()


async def _feedback(server, count: int) -> int:
    """`count` feedback events over the live connection; how many were acknowledged."""
    acked = 0
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(server.url.replace("http", "ws", 1) + "/v1/live")
        await ws.receive()
        for n in range(3):  # a connection gives feedback on its own chats only
            await ws.send_json({"type": "update", "chat_id": f"chat-{n}", "draft": "Спс", "messages": []})
        for n in range(count):
            await ws.send_json({"type": "feedback", "chat_id": f"chat-{n % 3}", "action": "dismissed",
                                "rule": "slang", "severity": "warning", "seq": n})
        deadline = time.monotonic() + DEADLINE_S
        while acked < count and time.monotonic() < deadline:
            frame = json.loads((await asyncio.wait_for(ws.receive(), DEADLINE_S)).data)
            acked += frame["type"] == "feedback_ack"
        await ws.close()
    return acked


def dismissed(server) -> int:
    status, stats = sup_api.call(server, "GET", f"/supervisor/api/stats?since={time.time() - 3600}", token=server.token)
    if status != 200:
        return -1
    return next((r["dismissed"] for r in stats["rules"] if r["rule"] == "slang"), 0)


def test_nodes_and_the_database_die_and_come_back(cluster, tmp_path):
    team = Team(cluster.database("floor"), tmp_path)
    assert coach("rules", "push", str(RULES), "--store", team.dsn, "--author", "setup").returncode == 0
    try:
        a, b = team.node(name="a"), team.node(name="b")
        # 1. node B dies; a rule is saved on A meanwhile; B comes back on the newest version
        b.proc.kill()
        b.proc.wait(10)
        assert sup_api.call(a, "PUT", "/supervisor/api/rules/too_long", one_sentence_edit(a), token=a.token)[0] == 200
        b.start()
        assert source(b)["version"] == 2 and "too_long" in flagged(b)
        # 2. the database dies while operators work
        assert asyncio.run(_feedback(a, 5)) == 5 and asyncio.run(_feedback(b, 5)) == 5
        assert wait_until(lambda: dismissed(a) == 10)
        cluster.kill()
        assert wait_until(lambda: source(a)["state"] == "offline" and source(b)["state"] == "offline")
        for node in (a, b):
            status = source(node)
            assert status["version"] == 2 and status["last_error"] and status["offline_since"]
            assert "too_long" in flagged(node)  # the last good version stays in force
        assert sup_api.call(a, "PUT", "/supervisor/api/rules/too_long", one_sentence_edit(a, 5),
                            token=a.token)[0] == 503  # nothing can be saved: said, not lost silently
        # B restarts while the database is still down: the team's version from its snapshot, not its stock rules
        b.stop()
        b.start()
        restarted = source(b)
        assert restarted["serving"] == "snapshot" and restarted["version"] == 2 and restarted["state"] == "offline"
        assert "too_long" in flagged(b)
        assert asyncio.run(_feedback(a, 7)) == 7 and asyncio.run(_feedback(b, 6)) == 6  # acknowledged, queued
        # 3. the database comes back: both nodes reconnect, nothing acknowledged is lost
        cluster.start()
        assert wait_until(lambda: source(a)["state"] == "online" and source(b)["state"] == "online", timeout=60)
        assert wait_until(lambda: dismissed(a) == 10 + 7 + 6, timeout=60), dismissed(a)
        assert dismissed(b) == dismissed(a)
        # 4. a save on B reaches A; every node on the same, newest version
        assert sup_api.call(b, "PUT", "/supervisor/api/rules/too_long", one_sentence_edit(b, 2), token=b.token)[0] == 200
        assert wait_until(lambda: source(a)["version"] == source(b)["version"] == 3)
        assert source(a)["digest"] == source(b)["digest"]
        history = sup_api.call(a, "GET", "/supervisor/api/versions")[1]["versions"]
        assert [v["version"] for v in history] == [3, 2, 1]
        # 5. the database restarts between two saves: the first save after it is not refused
        cluster.stop()
        cluster.start()
        assert sup_api.call(b, "PUT", "/supervisor/api/rules/too_long", one_sentence_edit(b, 4), token=b.token)[0] == 200
        assert wait_until(lambda: source(a)["version"] == source(b)["version"] == 4, timeout=60)
    finally:
        team.stop()

