"""Service benchmark: `POST /v1/check` throughput on one core with keep-alive, and the live WebSocket's
update round trip. Prints figures; not a test. Loopback only: it starts its own `coach serve`.

    .venv/bin/python bench/service.py [--seconds 10] [--connections 16] [--updates 500]

The service is pinned to core 0 with `taskset` (when there are two cores or more), the load generator to
core 1: `wrk` (Debian package `wrk`) when installed, else a Python client in a second process. Each wrk
request carries a draft the service has not seen (a counter at its end), so the draft is analysed every
time; the 50-message chat is the same, as it is while an operator types. The WebSocket figure is one
connection sending draft-only updates at typing speed (one every 40 ms), each timed until its warnings
arrive.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import NOW, RU_DRAFT_TEXT, Service, chat, fit, percentile, pin_prefix, typing_variants

TARGET_CHECKS_PER_S = 2000

WRK_SCRIPT = """
local counter = 0
local head = %s
local tail = %s
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, head .. counter .. tail)
end
local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("LAT %%d %%d %%d\\n", latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _body_parts(with_chat: bool) -> tuple[str, str]:
    body = {"draft": "@@", "now": NOW, "operator_name": "Анна", "chat_id": "bench"}
    if with_chat:
        body["messages"] = chat("ru", 50)
    text = json.dumps(body, ensure_ascii=False)
    head, tail = text.split('"@@"')
    draft = fit(RU_DRAFT_TEXT, 300 - 6)
    return head + json.dumps(draft + " ", ensure_ascii=False)[:-1], '"' + tail


def run_wrk(url: str, seconds: int, connections: int, with_chat: bool, cpu: int | None) -> dict:
    head, tail = _body_parts(with_chat)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % (_lua_string(head), _lua_string(tail)))
        script = f.name
    try:
        out = subprocess.run([*pin_prefix(cpu), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script,
                              "--latency", url + "/v1/check"], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    lat = re.search(r"LAT (\d+) (\d+) (\d+)", out)
    return {"tool": "wrk", "requests": requests, "checks_per_s": rps,
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else "none",
            "p50_ms": int(lat.group(1)) / 1000, "p99_ms": int(lat.group(2)) / 1000, "max_ms": int(lat.group(3)) / 1000}


PY_CLIENT = r"""
import asyncio, json, sys, time
import aiohttp
url, seconds, connections, head, tail = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
async def worker(session, deadline, lat, errors, n):
    i = 0
    while time.perf_counter() < deadline:
        i += 1
        body = f"{head}{n}-{i}{tail}".encode()
        t = time.perf_counter()
        async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
            await r.read()
            if r.status != 200:
                errors[0] += 1
        lat.append(time.perf_counter() - t)
async def main():
    lat, errors = [], [0]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as s:
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        await asyncio.gather(*(worker(s, deadline, lat, errors, n) for n in range(connections)))
        took = time.perf_counter() - start
    lat.sort()
    print(json.dumps({"requests": len(lat), "seconds": took, "errors": errors[0],
                      "p50_ms": lat[len(lat) // 2] * 1e3, "p99_ms": lat[int(len(lat) * 0.99)] * 1e3,
                      "max_ms": lat[-1] * 1e3}))
asyncio.run(main())
"""


def run_python_client(url: str, seconds: int, connections: int, with_chat: bool, cpu: int | None) -> dict:
    head, tail = _body_parts(with_chat)
    out = subprocess.run([*pin_prefix(cpu), sys.executable, "-c", PY_CLIENT, url + "/v1/check", str(seconds),
                          str(connections), head, tail], capture_output=True, text=True, check=True).stdout
    r = json.loads(out)
    return {"tool": "python aiohttp client", "requests": r["requests"], "checks_per_s": r["requests"] / r["seconds"],
            "non_2xx": r["errors"], "socket_errors": "none", "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
            "max_ms": r["max_ms"]}


async def ws_round_trip(url: str, updates: int, interval: float) -> dict:
    import aiohttp

    drafts = typing_variants(fit(RU_DRAFT_TEXT, 300), updates + 20)
    samples: list[float] = []
    errors = 0
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url.replace("http", "ws") + "/v1/live")
        await ws.receive(timeout=10)  # hello
        await ws.send_json({"type": "update", "chat_id": "bench", "seq": 0, "draft": "", "now": time.time(),
                            "operator_name": "Анна", "messages": chat("ru", 50, now=time.time())})
        await ws.receive(timeout=10)
        for seq, draft in enumerate(drafts, start=1):
            started = time.perf_counter()
            await ws.send_json({"type": "update", "chat_id": "bench", "seq": seq, "draft": draft,
                                "caret": len(draft)})
            while True:
                frame = json.loads((await ws.receive(timeout=10)).data)
                if frame.get("ref") == seq:
                    break
            elapsed = time.perf_counter() - started
            if frame["type"] != "warnings":
                errors += 1
            if seq > 20:  # the first few warm the words up
                samples.append(elapsed * 1e3)
            await asyncio.sleep(max(0.0, interval - elapsed))
        await ws.close()
    return {"updates": len(samples), "errors": errors, "p50_ms": percentile(samples, 0.5),
            "p99_ms": percentile(samples, 0.99), "max_ms": max(samples)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each HTTP run")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections of the load generator")
    parser.add_argument("--updates", type=int, default=500, help="WebSocket updates to time")
    parser.add_argument("--interval", type=float, default=0.04, help="seconds between WebSocket updates")
    parser.add_argument("--python-client", action="store_true", help="use the Python load generator, not wrk")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    two_cores = (os.cpu_count() or 1) >= 2
    server_cpu, client_cpu = (0, 1) if two_cores else (None, None)
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    service = Service(server_cpu)
    report: dict = {"pinned": bool(service.pinned), "load_generator": "wrk" if use_wrk else "python"}
    try:
        run = run_wrk if use_wrk else run_python_client
        service.post("/v1/check", {"draft": "Здравствуйте", "messages": chat("ru", 50), "now": NOW})  # warm
        run(service.url, 2, args.connections, True, client_cpu)  # warm-up run, not reported
        report["rss_before_mb"] = service.rss()[0]
        report["http_with_chat"] = run(service.url, args.seconds, args.connections, True, client_cpu)
        report["http_draft_only"] = run(service.url, args.seconds, args.connections, False, client_cpu)
        report["ws"] = asyncio.run(ws_round_trip(service.url, args.updates, args.interval))
        report["rss_after_mb"], report["peak_rss_mb"] = service.rss()
    finally:
        service.stop()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"Operator Coach service benchmark: coach serve {'pinned to core 0' if report['pinned'] else 'unpinned'}, "
          f"load from {'wrk' if use_wrk else 'a Python client'}"
          f"{' on core 1' if report['pinned'] else ''}, {args.connections} keep-alive connections, "
          f"{args.seconds} s per run")
    size = lambda with_chat: sum(len(p.encode()) for p in _body_parts(with_chat)) // 1024  # noqa: E731
    for key, label in (("http_with_chat", f"POST /v1/check, 300-char draft + 50-message chat ({size(True)} KB)"),
                       ("http_draft_only", "POST /v1/check, 300-char draft only")):
        r = report[key]
        verdict = "met" if r["checks_per_s"] >= TARGET_CHECKS_PER_S else "MISSED"
        print(f"{label}: {r['checks_per_s']:.0f} checks/s ({r['requests']} requests, {r['non_2xx']} non-2xx, "
              f"socket errors {r['socket_errors']}); latency p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms "
              f"— target ≥ {TARGET_CHECKS_PER_S}/s {verdict}")
    w = report["ws"]
    print(f"WebSocket update round trip (draft-only update → its warnings, one connection, one update every "
          f"{args.interval * 1000:.0f} ms): p50 {w['p50_ms']:.2f} ms, p99 {w['p99_ms']:.2f} ms, max "
          f"{w['max_ms']:.2f} ms over {w['updates']} updates, {w['errors']} errors")
    print(f"service RSS: {report['rss_before_mb']:.0f} MB after warm-up, {report['rss_after_mb']:.0f} MB at the end "
          f"(peak {report['peak_rss_mb']:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
