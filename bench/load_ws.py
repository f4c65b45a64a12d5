"""Load test of the live WebSocket: many operators typing at once. Prints figures; not a test.

    .venv/bin/python bench/load_ws.py [--clients 200] [--seconds 60] [--rate 5]

Starts its own `coach serve` on a free loopback port (pinned to core 0 when there are two cores; this
process, the clients, runs on core 1), or uses `--url` — which must be a loopback address. Each client
opens `/v1/live` (offering permessage-deflate, as Chromium does), sends its chat (its own 20 messages), then
types: a draft-only update every 1/rate seconds on average (jittered) — the draft, the caret and when the
draft was begun, the fields the extension sends — the draft growing a character at a time; when it is complete it
is "sent" (appended as the operator's message) and a new one begins. Every update is timed until its
warnings arrive. Bounded: at most 1,000 clients and 600 s, plus a 10 s grace for the last answers.

Reports: update round trip p50/p99/max, updates sent and answered, errors (error frames, failed or
dropped connections, unanswered updates), timer pushes, and the service's RSS before, during and after.
With --profile, py-spy (`pip install -e '.[bench]'`) samples the service through the run and the profile's
top lines are printed (self and inclusive time per function). Then (with a service of its own, unless
--no-capacity) the capacity: more clients, 200 more at a time, each
count against a fresh service for --capacity-seconds, until the keystroke p99 passes 50 ms or errors
appear; it prints the largest count that kept within both.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import EN_DRAFT_TEXT, RU_DRAFT_TEXT, Service, chat, cpu_seconds, fit, percentile, rss_mb

MAX_CLIENTS = 1000
MAX_SECONDS = 600
GRACE_S = 10.0
CAPACITY_P99_MS = 50.0  # the capacity: the most clients whose keystrokes come back within this at p99
CAPACITY_STEP = 200
# Each client offers permessage-deflate, as Chromium does on every WebSocket: what the service then negotiates
# (compression costs CPU and memory per connection) is measured as the extension meets it.
CHROMIUM_DEFLATE = 15


class Stats:
    def __init__(self):
        self.latencies: list[float] = []  # keystrokes: draft-only updates
        self.when: list[float] = []  # when each keystroke's answer came (perf_counter)
        self.full_latencies: list[float] = []  # a chat's full state, or a sent message appended
        self.sent = 0
        self.answered = 0
        self.error_frames: dict[str, int] = {}
        self.connect_failures = 0
        self.deflated = 0  # connections on which the service accepted permessage-deflate
        self.dropped = 0
        self.timer_pushes = 0
        self.rule_pushes = 0
        self.rulesets: list[tuple[int, float, str]] = []  # (client, when, digest): each new rule set a client saw
        self.client_lag: list[tuple[float, float]] = []  # (when, how late): the clients' own event loop
        self.engine_ms: list[float] = []  # each answer's `took_ms`: the engine's own time for that update
        # the service's CPU seconds (user, system) and the updates answered, once typing is under way and at
        # its end: (perf_counter, (user, system), answered) each
        self.cpu_window: list[tuple[float, tuple[float, float], int]] = []
        self.unanswered = 0
        self.started = 0.0


async def client(n: int, url: str, stop_at: float, rate: float, stats: Stats, rng: random.Random) -> None:
    import aiohttp

    lang = "ru" if n % 4 else "en"
    # every operator writes something else: the same words, in another order (no two clients' drafts alike)
    words = (RU_DRAFT_TEXT if lang == "ru" else EN_DRAFT_TEXT).split()
    shift = (n * 7) % len(words)
    template = fit(" ".join(words[shift:] + words[:shift]), 300)
    pending: dict[int, tuple[float, bool]] = {}  # seq → (sent at, is a keystroke)
    ruleset: str | None = None  # the digest of the rules the latest answer came from
    try:
        async with aiohttp.ClientSession() as session:
            try:
                ws = await session.ws_connect(url, heartbeat=None, timeout=aiohttp.ClientWSTimeout(ws_close=5),
                                              compress=CHROMIUM_DEFLATE)
            except (TimeoutError, aiohttp.ClientError, OSError):
                stats.connect_failures += 1
                return
            stats.deflated += bool(ws.compress)
            hello = json.loads((await ws.receive(timeout=30)).data)
            assert hello["type"] == "hello"
            chat_id = f"load-{n}"
            now = time.time()

            async def reader() -> None:
                nonlocal ruleset
                async for msg in ws:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    frame = json.loads(msg.data)
                    kind = frame.get("type")
                    if kind == "warnings":
                        ref = frame.get("ref")
                        if frame.get("reason") == "update" and isinstance(frame.get("took_ms"), (int, float)):
                            stats.engine_ms.append(frame["took_ms"])
                        if frame.get("ruleset") not in (None, ruleset):
                            ruleset = frame["ruleset"]
                            stats.rulesets.append((n, time.perf_counter(), ruleset))
                        if frame.get("reason") == "rules":
                            stats.rule_pushes += 1
                        elif ref is None:
                            stats.timer_pushes += 1
                        else:
                            # the answer to an update also answers the earlier ones it superseded (a busy
                            # service checks a chat's latest state and skips drafts the typist has left)
                            now_ = time.perf_counter()
                            for answered in [q for q in pending if q <= ref]:
                                sent_at, keystroke = pending.pop(answered)
                                if keystroke:
                                    stats.latencies.append(now_ - sent_at)
                                    stats.when.append(now_)
                                else:
                                    stats.full_latencies.append(now_ - sent_at)
                                stats.answered += 1
                    elif kind == "error":
                        code = frame.get("code", "?")
                        stats.error_frames[code] = stats.error_frames.get(code, 0) + 1
                        pending.pop(frame.get("ref"), None)

            read_task = asyncio.ensure_future(reader())
            seq = 0

            async def send(frame: dict) -> None:
                nonlocal seq
                seq += 1
                frame["seq"] = seq
                pending[seq] = (time.perf_counter(), "messages" not in frame)
                stats.sent += 1
                await ws.send_str(json.dumps(frame, ensure_ascii=False))

            await send({"type": "update", "chat_id": chat_id, "draft": "", "now": now, "operator_name": "Анна",
                        "messages": chat(lang, 20, now=now, tag=f" #{n}")})
            typed = 0
            started = time.time()
            sent_messages = 0
            while time.perf_counter() < stop_at and not ws.closed:
                await asyncio.sleep(rng.expovariate(rate))
                typed += 1
                if typed > len(template):  # the draft is done: it is sent, a new one begins
                    sent_messages += 1
                    await send({"type": "update", "chat_id": chat_id, "append": True, "draft": "",
                                "messages": [{"role": "operator", "text": f"{template} ({sent_messages})",
                                              "ts": time.time()}]})
                    typed = 0
                    continue
                draft = template[:typed]
                if typed == 1:
                    started = time.time()
                # what the extension sends on every keystroke (extension/background.js, flushDrafts)
                await send({"type": "update", "chat_id": chat_id, "draft": draft, "caret": len(draft),
                            "draft_started_at": started})
            grace = time.perf_counter() + GRACE_S
            while pending and time.perf_counter() < grace and not ws.closed:
                await asyncio.sleep(0.05)
            if ws.closed and time.perf_counter() < stop_at:
                stats.dropped += 1
            stats.unanswered += len(pending)
            await ws.close()
            read_task.cancel()
    except (TimeoutError, aiohttp.ClientError, OSError, ConnectionError):
        stats.dropped += 1
        stats.unanswered += len(pending)


async def run(url: str | list[str], clients: int, seconds: float, rate: float, sample_rss,
              cpu: Callable[[], tuple[float, float]] | None = None) -> tuple[Stats, list]:
    """`clients` typing operators for `seconds`; with several URLs, client n uses url[n % len(url)]. `cpu`:
    the service's CPU seconds so far (user, system), read once typing is under way and again at its end."""
    urls = url if isinstance(url, list) else [url]
    stats = Stats()
    rss_series: list[tuple[float, float]] = []
    start = stats.started = time.perf_counter()
    stop_at = start + seconds
    tasks = []
    for n in range(clients):  # connect over the first two seconds, as a team logging in would
        tasks.append(asyncio.ensure_future(client(n, urls[n % len(urls)], stop_at, rate, stats, random.Random(n))))
        await asyncio.sleep(2.0 / clients)

    async def sampler() -> None:
        while True:
            rss_series.append((time.perf_counter() - start, sample_rss()))
            await asyncio.sleep(5)

    async def lag() -> None:
        # this process's own event-loop lag: an answer that arrives while the clients' loop is busy is timed
        # late, so a round trip includes it — printed beside the round trips, to tell the two apart
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            after = time.perf_counter()
            stats.client_lag.append((after, after - before - 0.005))

    async def cpu_window(cpu: Callable[[], tuple[float, float]]) -> None:
        # from a third of the run (at most 10 s: every chat sent and checked in full, typing steady) to its end
        for at in (start + min(10.0, seconds / 3), stop_at):
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            stats.cpu_window.append((time.perf_counter(), cpu(), stats.answered))

    sampling = asyncio.ensure_future(sampler())
    lagging = asyncio.ensure_future(lag())
    windowing = asyncio.ensure_future(cpu_window(cpu)) if cpu is not None else None
    await asyncio.wait(tasks, timeout=seconds + GRACE_S + 30)
    sampling.cancel()
    lagging.cancel()
    if windowing is not None:
        windowing.cancel()
    for t in tasks:
        t.cancel()
    return stats, rss_series


def _by_10_s(started: float, timed: Iterable[tuple[float, float]]) -> dict[int, list[float]]:
    """(when, value) pairs by the 10-second window of the run they fall in (its first second → the values)."""
    windows: dict[int, list[float]] = {}
    for at, value in timed:
        windows.setdefault(int((at - started) // 10) * 10, []).append(value)
    return windows


def _cpu_per_update(stats: Stats) -> dict | None:
    """The service's CPU time per update answered while typing was steady (µs, user and system), and how
    busy that kept its core (1.0: all of it)."""
    if len(stats.cpu_window) < 2:
        return None
    (t0, (u0, s0), n0), (t1, (u1, s1), n1) = stats.cpu_window[0], stats.cpu_window[-1]
    if n1 <= n0 or t1 <= t0:
        return None
    return {"user_us": round((u1 - u0) / (n1 - n0) * 1e6), "system_us": round((s1 - s0) / (n1 - n0) * 1e6),
            "busy": round((u1 - u0 + s1 - s0) / (t1 - t0), 2), "updates": n1 - n0, "seconds": round(t1 - t0, 1)}


def _gc_pauses(base: str) -> dict | None:
    """The service's garbage-collector record (`/healthz` process.gc), or None from a service without one."""
    import urllib.request

    try:
        with urllib.request.urlopen(base + "/healthz", timeout=30) as r:
            return json.loads(r.read()).get("process", {}).get("gc")
    except (OSError, ValueError):
        return None


def _gc_during(before: dict | None, after: dict | None) -> dict | None:
    """Collections per generation between two records: how many, their time in all, and the longest of the
    whole life so far (a pause is not split by the reading)."""
    if not before or not after:
        return None
    return {"thresholds": after.get("thresholds"),
            **{g: {"collections": after[g]["collections"] - before[g]["collections"],
                   "total_ms": round(after[g]["total_ms"] - before[g]["total_ms"], 1),
                   "longest_ms": after[g]["longest_ms"]} for g in ("gen0", "gen1", "gen2")}}


def _post(url: str, body: dict) -> dict | None:
    import urllib.request

    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())
    except OSError:
        return None


def measure(clients: int, seconds: float, rate: float, url: str | None, pid: int | None,
            profile: bool = False) -> dict:
    """One run: `clients` typing for `seconds` against the service at `url` (None: a fresh `coach serve` of
    its own, on core 0, the clients on core 1). The report's figures, as a dict; with `profile`, py-spy's
    samples of the service too (`profile`: the top functions by own and by inclusive time)."""
    service = None
    if url is None:
        two_cores = (os.cpu_count() or 1) >= 2
        service = Service(0 if two_cores else None)
        base = service.url
        pid = service.proc.pid
        if two_cores and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {1})  # the clients on the other core
    else:
        base = url.rstrip("/")
    sample_rss = (lambda: rss_mb(pid)[0]) if pid else (lambda: float("nan"))
    try:
        if service is not None:  # warm the service up as a day's first chats would, then take its size
            service.post("/v1/check", {"draft": fit(RU_DRAFT_TEXT, 300), "messages": chat("ru", 20)})
            service.post("/v1/check", {"draft": fit(EN_DRAFT_TEXT, 300), "messages": chat("en", 20)})
        rss_before = sample_rss()
        gc_before = _gc_pauses(base)
        ws_url = base.replace("http", "ws", 1) + "/v1/live"
        spy = _py_spy(pid, seconds) if profile and pid else None
        started = time.perf_counter()
        stats, series = asyncio.run(run(ws_url, clients, seconds, rate, sample_rss,
                                        (lambda: cpu_seconds(pid)) if pid else None))
        took = time.perf_counter() - started
        gc_run = _gc_during(gc_before, _gc_pauses(base))
        samples = spy.finish() if spy is not None else None
        time.sleep(2)
        rss_after = sample_rss()
        peak = rss_mb(pid)[1] if pid else float("nan")
        healthy = _post(base + "/v1/check", {"draft": "Здравствуйте"})
    finally:
        if service is not None:
            service.stop()
    lat_ms = [x * 1e3 for x in stats.latencies]
    full_ms = [x * 1e3 for x in stats.full_latencies]
    windows = _by_10_s(stats.started, zip(stats.when, lat_ms))
    lag_ms = [late * 1e3 for _, late in stats.client_lag]
    lag_windows = _by_10_s(stats.started, ((at, late * 1e3) for at, late in stats.client_lag))
    errors = sum(stats.error_frames.values()) + stats.connect_failures + stats.dropped + stats.unanswered
    return {
        "clients": clients, "seconds": seconds, "rate_per_client": rate, "pinned": pid is not None and url is None,
        "updates_sent": stats.sent, "updates_answered": stats.answered,
        "updates_per_s": stats.answered / seconds, "keystrokes": len(lat_ms),
        "p50_ms": percentile(lat_ms, 0.5), "p99_ms": percentile(lat_ms, 0.99), "max_ms": max(lat_ms or [0]),
        "full_state_updates": len(full_ms), "full_p50_ms": percentile(full_ms, 0.5),
        "full_p99_ms": percentile(full_ms, 0.99), "all_p99_ms": percentile(lat_ms + full_ms, 0.99),
        "errors": errors, "error_frames": stats.error_frames, "connect_failures": stats.connect_failures,
        "dropped_connections": stats.dropped, "unanswered": stats.unanswered, "timer_pushes": stats.timer_pushes,
        "deflated_connections": stats.deflated,
        "rss_before_mb": rss_before, "rss_after_mb": rss_after, "peak_rss_mb": peak,
        "rss_series": [(round(t), round(r)) for t, r in series if r == r], "wall_s": took,
        "keystroke_windows": {f"{w}-{w + 10}s": {"n": len(v), "p50_ms": round(percentile(v, 0.5), 2),
                                                 "p99_ms": round(percentile(v, 0.99), 1)}
                              for w, v in sorted(windows.items())},
        "client_lag_p99_ms": round(percentile(lag_ms, 0.99), 1), "client_lag_max_ms": round(max(lag_ms or [0]), 1),
        "client_lag_windows": {f"{w}-{w + 10}s": round(percentile(v, 0.99), 1) for w, v in sorted(lag_windows.items())},
        "still_serving": healthy is not None and "warnings" in healthy,
        "service_gc": gc_run,
        "service_cpu": _cpu_per_update(stats),
        "engine_ms_per_update": {"mean": round(sum(stats.engine_ms) / len(stats.engine_ms), 3),
                                 "p50": round(percentile(stats.engine_ms, 0.5), 3)} if stats.engine_ms else None,
        **({"profile": samples} if samples is not None else {}),
    }


class _py_spy:
    """py-spy sampling a process for `seconds` (100 samples a second), summarised by function."""

    def __init__(self, pid: int, seconds: float):
        import shutil
        import subprocess
        import tempfile

        exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        self.out = Path(tempfile.mkdtemp(prefix="coach-spy-")) / "samples.txt"
        self.proc = subprocess.Popen([exe, "record", "-p", str(pid), "-r", "100", "-d", str(int(seconds)),
                                      "-f", "raw", "-o", str(self.out)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def finish(self, top: int = 40) -> dict:
        self.proc.wait(timeout=60)
        own: dict[str, int] = {}
        inclusive: dict[str, int] = {}
        total = 0
        for line in self.out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            n = int(count)
            total += n
            names = []
            for frame in stack.split(";"):
                name, _, where = frame.strip().partition(" (")
                names.append(f"{name} ({where.split(':')[0].split('/')[-1]})")
            own[names[-1]] = own.get(names[-1], 0) + n
            for name in set(names):
                inclusive[name] = inclusive.get(name, 0) + n
        share = lambda counts: [(round(100 * v / total, 1), k) for k, v in  # noqa: E731
                                sorted(counts.items(), key=lambda kv: -kv[1])[:top]]
        return {"samples": total, "own": share(own), "inclusive": share(inclusive)}


def capacity(first: int, seconds: float, rate: float, known: dict) -> dict:
    """The most clients (from `first` up, CAPACITY_STEP more at a time, each against a fresh service) whose
    keystroke p99 stays within CAPACITY_P99_MS with no error. `known`: the run at `first`, already made."""
    steps = [known]
    clients = first
    while steps[-1]["errors"] == 0 and steps[-1]["p99_ms"] <= CAPACITY_P99_MS and clients < MAX_CLIENTS:
        clients = min(MAX_CLIENTS, clients + CAPACITY_STEP)
        steps.append(measure(clients, seconds, rate, None, None))
    good = [s["clients"] for s in steps if s["errors"] == 0 and s["p99_ms"] <= CAPACITY_P99_MS]
    return {"p99_limit_ms": CAPACITY_P99_MS, "largest_clients": max(good) if good else None,
            "reached_the_bench_limit": bool(good) and max(good) == MAX_CLIENTS, "step_seconds": seconds,
            "steps": [{k: s[k] for k in ("clients", "updates_per_s", "p50_ms", "p99_ms", "errors", "peak_rss_mb")}
                      for s in steps]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=5.0, help="keystrokes (updates) per second per client")
    parser.add_argument("--url", help="an already running service on a loopback address (default: start one)")
    parser.add_argument("--service-pid", type=int, help="with --url: the service's pid, to read its RSS")
    parser.add_argument("--no-capacity", action="store_true", help="skip the search for the largest client count")
    parser.add_argument("--profile", action="store_true", help="sample the service with py-spy; print the top")
    parser.add_argument("--capacity-seconds", type=float, default=20, help="how long each larger count types")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS or not 0 < args.rate <= 50:
        parser.error(f"bounded: 1..{MAX_CLIENTS} clients, up to {MAX_SECONDS} s, rate up to 50/s")
    if args.url:
        host = urlparse(args.url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--url must be a loopback address: this load test never leaves the machine")
    report = measure(args.clients, args.seconds, args.rate, args.url, args.service_pid, args.profile)
    if not args.url and not args.no_capacity:
        report["capacity"] = capacity(args.clients, min(args.capacity_seconds, MAX_SECONDS), args.rate, report)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    r = report
    print(f"Live load test: {args.clients} WebSocket clients typing {args.rate:g} keystrokes/s each for "
          f"{args.seconds:g} s (loopback{', service on core 0, clients on core 1' if r['pinned'] else ''})")
    print(f"updates: {r['updates_sent']} sent, {r['updates_answered']} answered ({r['updates_per_s']:.0f}/s)")
    print(f"keystroke (draft-only) round trip: p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
          f"max {r['max_ms']:.1f} ms over {r['keystrokes']}")
    print("keystroke round trip per 10 s: " + "; ".join(
        f"{w} p50 {v['p50_ms']} p99 {v['p99_ms']}" for w, v in r["keystroke_windows"].items()))
    print(f"the clients' own event-loop lag (included in the round trips above): p99 {r['client_lag_p99_ms']} ms, "
          f"max {r['client_lag_max_ms']} ms; p99 per 10 s: "
          + "; ".join(f"{w} {v}" for w, v in r["client_lag_windows"].items()))
    if r.get("service_gc"):
        g = r["service_gc"]
        print("the service's garbage collector during the run (it holds the event loop; thresholds "
              f"{tuple(g['thresholds'] or ())}): " + "; ".join(
                  f"{k} {g[k]['collections']} collections, {g[k]['total_ms']} ms in all, longest {g[k]['longest_ms']} ms"
                  for k in ("gen0", "gen1", "gen2")))
    if r.get("service_cpu"):
        c = r["service_cpu"]
        engine = r.get("engine_ms_per_update")
        print(f"the service's CPU per update answered while typing ({c['seconds']:g} s, {c['updates']} updates): "
              f"{c['user_us'] + c['system_us']} µs ({c['user_us']} user, {c['system_us']} system), its core "
              f"{c['busy']:.0%} busy"
              + (f"; of which the engine (each answer's took_ms) mean {engine['mean'] * 1000:.0f} µs, median "
                 f"{engine['p50'] * 1000:.0f} µs" if engine else ""))
    print(f"full-state / sent-message updates: p50 {r['full_p50_ms']:.2f} ms, p99 {r['full_p99_ms']:.2f} ms "
          f"over {r['full_state_updates']}; all updates p99 {r['all_p99_ms']:.2f} ms")
    print(f"errors: {r['errors']} (error frames {r['error_frames'] or 0}, connect failures {r['connect_failures']}, "
          f"dropped connections {r['dropped_connections']}, unanswered updates {r['unanswered']}); timer pushes "
          f"{r['timer_pushes']}")
    print(f"permessage-deflate (offered by every client, as Chromium does): accepted on {r['deflated_connections']} "
          f"of {args.clients} connections")
    print(f"service RSS: {r['rss_before_mb']:.0f} MB before, {r['rss_after_mb']:.0f} MB after (peak "
          f"{r['peak_rss_mb']:.0f} MB); every 5 s: " + ", ".join(f"{t}s {m}" for t, m in r["rss_series"]))
    print(f"service still serving afterwards: {'yes' if r['still_serving'] else 'NO'}")
    if "profile" in r:
        p = r["profile"]
        print(f"profile of the service (py-spy, {p['samples']} samples): own time — "
              + "; ".join(f"{pct}% {name}" for pct, name in p["own"][:15]))
        print("inclusive (below the event loop's own frames) — " + "; ".join(
            f"{pct}% {name}" for pct, name in p["inclusive"] if pct < 95))
    if "capacity" in r:
        c = r["capacity"]
        print(f"capacity (a fresh service per count, {c['step_seconds']:g} s each beyond the first): " + "; ".join(
            f"{s['clients']} clients {s['updates_per_s']:.0f}/s p50 {s['p50_ms']:.1f} p99 {s['p99_ms']:.1f} ms "
            f"errors {s['errors']} peak RSS {s['peak_rss_mb']:.0f} MB" for s in c["steps"]))
        largest = c["largest_clients"]
        print(f"largest client count with keystroke p99 ≤ {c['p99_limit_ms']:g} ms and no error: "
              + (f"{largest}{' (the most this bench runs)' if c['reached_the_bench_limit'] else ''}"
                 if largest is not None else f"none (not even {args.clients})"))
    return 0 if r["errors"] == 0 and r["still_serving"] else 1


if __name__ == "__main__":
    sys.exit(main())
