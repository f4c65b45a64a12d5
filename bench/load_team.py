"""Load test of a team's shape: many operators on several nodes of one PostgreSQL store, while supervisors save
rules. Prints figures; not a test.

    .venv/bin/python bench/load_team.py [--operators 1000] [--seconds 60] [--rate 1] [--nodes 2] [--workers 2]
                                        [--save-every 5]

Starts a throwaway PostgreSQL cluster (as the tests do: tests/pgcluster.py), pushes the project's rules as
version 1, and starts `--nodes` × `coach serve --store postgresql://… --rules-from-store --workers N` on
free loopback ports. The operators are bench/load_ws.py's typing clients (each its own chat and text, a
draft-only update per keystroke, `--rate` keystrokes a second on average), spread over the nodes;
SO_REUSEPORT spreads each node's connections over its workers. From 10 s on (when every operator's chat
has been sent and checked in full), every `--save-every` seconds a supervisor saves a rule on one node and
then on the other (the rule's title: the whole floor's rules change, every connected chat is re-checked).

Reports: keystroke round trip p50/p99/max; errors (error frames, failed or dropped connections, unanswered
updates; target 0); for each save, how long until every connection had an answer made with the new rules
(each `warnings` frame names its rule set: `ruleset`) — p50/p99 over connections and saves, and the
slowest connection per save (target ≤ 1 s p99); the nodes' RSS. Loopback only; bounded: at most 1,000
operators, 600 s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, Service, percentile, rss_mb
from bench.load_ws import MAX_CLIENTS, MAX_SECONDS, run
from tests.pgcluster import start_cluster

TITLE = "Слишком длинное сообщение"


def tree_rss(pid: int) -> float:
    """RSS of a process and its children (a node's parent and its workers), MB."""
    total = rss_mb(pid)[0]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        try:
            total += rss_mb(int(child))[0]
        except OSError:
            pass
    return total


def put(url: str, path: str, body: dict, token: str) -> dict:
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="PUT",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def get(url: str, path: str) -> dict:
    with urllib.request.urlopen(url + path, timeout=30) as r:
        return json.loads(r.read())


SETTLE_S = 10.0  # the first save once every operator's chat has been sent and checked in full (a day's start)


async def saver(nodes: list[Service], every: float, until: float, saves: list[dict]) -> None:
    """A supervisor's save every `every` seconds, alternating nodes; each save's start and its rule set."""
    loop = asyncio.get_running_loop()
    n = 0
    await asyncio.sleep(max(every, SETTLE_S))
    while time.perf_counter() + every / 2 < until:
        node = nodes[n % len(nodes)]
        token = (node.tmp / "token").read_text().strip()
        doc = await loop.run_in_executor(None, get, node.url, "/supervisor/api/rules/too_long")
        edit = {"title": f"{TITLE} ({n + 1})", "base_digest": doc["digest"]}  # every save a new rule set
        started = time.perf_counter()
        try:
            answer = await loop.run_in_executor(None, put, node.url, "/supervisor/api/rules/too_long", edit, token)
            saves.append({"at": started, "took": time.perf_counter() - started, "ruleset": answer["ruleset"],
                          "version": answer["version"], "node": n % len(nodes)})
        except OSError as exc:
            saves.append({"at": started, "error": str(exc)})
        n += 1
        await asyncio.sleep(max(0.0, every - (time.perf_counter() - started)))


def delivery(saves: list[dict], seen: list[tuple[int, float, str]], clients: int) -> tuple[list[float], list[float], int]:
    """Per connection and save: seconds from the save's start to the first answer made with its rules; per
    save: the slowest connection; and how many (connection, save) pairs never saw those rules."""
    first: dict[tuple[int, str], float] = {}
    for client, when, ruleset in seen:
        first.setdefault((client, ruleset), when)
    per_connection: list[float] = []
    slowest: list[float] = []
    missed = 0
    for save in saves:
        if "ruleset" not in save:
            continue
        times = []
        for client in range(clients):
            when = first.get((client, save["ruleset"]))
            if when is None:
                missed += 1
            else:
                times.append(max(0.0, when - save["at"]))
        per_connection += times
        if times:
            slowest.append(max(times))
            ordered = sorted(times)
            save["spread_ms"] = {"first": ordered[0] * 1e3, "p50": percentile(ordered, 0.5) * 1e3,
                                 "p90": percentile(ordered, 0.9) * 1e3, "last": ordered[-1] * 1e3}
    return per_connection, slowest, missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operators", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=1.0, help="keystrokes (updates) per second per operator")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="processes per node")
    parser.add_argument("--save-every", type=float, default=5.0, help="seconds between two rule saves")
    parser.add_argument("--per-save", action="store_true", help="also print each save's spread over the connections")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (1 <= args.operators <= MAX_CLIENTS and 0 < args.seconds <= MAX_SECONDS and 0 < args.rate <= 50
            and 1 <= args.nodes <= 4 and 1 <= args.workers <= 8 and args.save_every >= 1):
        parser.error(f"bounded: 1..{MAX_CLIENTS} operators, up to {MAX_SECONDS} s, rate up to 50/s, 1-4 nodes, "
                     "1-8 workers, a save at most every second")
    cluster, why = start_cluster()
    if cluster is None:
        print(f"load_team: {why}", file=sys.stderr)
        return 2
    nodes: list[Service] = []
    try:
        dsn = cluster.database("load_team")
        pushed = subprocess.run([sys.executable, "-m", "coach_server", "rules", "push", str(ROOT / "rules"),
                                 "--store", dsn, "--author", "load_team"], capture_output=True, text=True, cwd=ROOT)
        if pushed.returncode != 0:
            print(f"load_team: push failed: {pushed.stdout}{pushed.stderr}", file=sys.stderr)
            return 2
        for _ in range(args.nodes):
            nodes.append(Service(None, "--rules-from-store", "--workers", str(args.workers), store=dsn))
        for node in nodes:  # warm every worker up (new connections land on either) as a day's first chats would
            for _ in range(4 * args.workers):
                node.post("/v1/check", {"draft": "Здравствуйте! Пройдите на сайт.", "messages": [
                    {"role": "client", "text": "Сколько стоит доставка?"}]})
        pids = [node.proc.pid for node in nodes]
        rss_before = sum(tree_rss(pid) for pid in pids)
        urls = [node.url.replace("http", "ws", 1) + "/v1/live" for node in nodes]
        saves: list[dict] = []

        async def scenario():
            until = time.perf_counter() + args.seconds
            saving = asyncio.ensure_future(saver(nodes, args.save_every, until, saves))
            result = await run(urls, args.operators, args.seconds, args.rate, lambda: sum(tree_rss(p) for p in pids))
            await saving
            return result

        started = time.perf_counter()
        stats, series = asyncio.run(scenario())
        took = time.perf_counter() - started
        rss_after = sum(tree_rss(pid) for pid in pids)
        versions = [get(node.url, "/healthz")["rules_source"] for node in nodes]
    finally:
        for node in nodes:
            node.stop()
        cluster.close()
    lat_ms = [x * 1e3 for x in stats.latencies]
    per_connection, slowest, missed = delivery(saves, stats.rulesets, args.operators)
    per_ms = [x * 1e3 for x in per_connection]
    slow_ms = [x * 1e3 for x in slowest]
    failed_saves = [s for s in saves if "error" in s]
    errors = sum(stats.error_frames.values()) + stats.connect_failures + stats.dropped + stats.unanswered
    report = {
        "operators": args.operators, "seconds": args.seconds, "rate_per_operator": args.rate, "nodes": args.nodes,
        "workers_per_node": args.workers, "cores": os.cpu_count(),
        "updates_sent": stats.sent, "updates_answered": stats.answered, "updates_per_s": stats.answered / args.seconds,
        "keystroke_p50_ms": percentile(lat_ms, 0.5), "keystroke_p99_ms": percentile(lat_ms, 0.99),
        "keystroke_max_ms": max(lat_ms or [0]),
        "errors": errors, "error_frames": stats.error_frames, "connect_failures": stats.connect_failures,
        "dropped_connections": stats.dropped, "unanswered": stats.unanswered,
        "saves": len(saves), "failed_saves": len(failed_saves),
        "save_request_p50_ms": percentile([s["took"] * 1e3 for s in saves if "took" in s], 0.5),
        "save_to_connection_p50_ms": percentile(per_ms, 0.5), "save_to_connection_p99_ms": percentile(per_ms, 0.99),
        "save_to_all_connections_p50_ms": percentile(slow_ms, 0.5),
        "save_to_all_connections_p99_ms": percentile(slow_ms, 0.99),
        "save_to_all_connections_max_ms": max(slow_ms or [0]), "connections_missing_a_save": missed,
        "rule_pushes": stats.rule_pushes, "timer_pushes": stats.timer_pushes,
        "per_save": [{k: s[k] for k in ("version", "node", "took", "spread_ms") if k in s} for s in saves],
        "final_versions": [v["version"] for v in versions], "converged": len({v["digest"] for v in versions}) == 1,
        "rss_before_mb": rss_before, "rss_after_mb": rss_after,
        "rss_series": [(round(t), round(r)) for t, r in series if r == r], "wall_s": took,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"Team load test: {args.operators} operators typing {args.rate:g} keystrokes/s each for {args.seconds:g} s "
              f"over {args.nodes} nodes × {args.workers} workers on one PostgreSQL store ({os.cpu_count()} cores, "
              "loopback, clients on the same machine)")
        print(f"updates: {stats.sent} sent, {stats.answered} answered ({report['updates_per_s']:.0f}/s)")
        print(f"keystroke round trip: p50 {report['keystroke_p50_ms']:.1f} ms, p99 {report['keystroke_p99_ms']:.1f} ms, "
              f"max {report['keystroke_max_ms']:.0f} ms over {len(lat_ms)}")
        print(f"errors: {errors} (error frames {stats.error_frames or 0}, connect failures {stats.connect_failures}, "
              f"dropped connections {stats.dropped}, unanswered updates {stats.unanswered})")
        print(f"rule saves: {len(saves)} ({len(failed_saves)} failed), the save request itself p50 "
              f"{report['save_request_p50_ms']:.0f} ms")
        print(f"save → an answer with the new rules on a connection: p50 {report['save_to_connection_p50_ms']:.0f} ms, "
              f"p99 {report['save_to_connection_p99_ms']:.0f} ms over {len(per_ms)}; on all {args.operators} "
              f"connections: p50 {report['save_to_all_connections_p50_ms']:.0f} ms, p99 "
              f"{report['save_to_all_connections_p99_ms']:.0f} ms, max {report['save_to_all_connections_max_ms']:.0f} ms; "
              f"never reached: {missed}")
        if args.per_save:
            for save in saves:
                if "spread_ms" in save:
                    spread = save["spread_ms"]
                    print(f"  save → version {save['version']} on node {save['node']}: request {save['took'] * 1e3:.0f} ms; "
                          f"connections reached after {spread['first']:.0f} (first), {spread['p50']:.0f} (p50), "
                          f"{spread['p90']:.0f} (p90), {spread['last']:.0f} ms (last)")
        print(f"nodes at the end: versions {report['final_versions']}, "
              f"{'the same rules' if report['converged'] else 'DIFFERENT RULES'}")
        print(f"nodes' RSS (parents + workers): {rss_before:.0f} MB before, {rss_after:.0f} MB after; every 5 s: "
              + ", ".join(f"{t}s {r}" for t, r in report["rss_series"]))
    ok = errors == 0 and missed == 0 and not failed_saves and report["converged"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
