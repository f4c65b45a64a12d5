"""Issue 19's attacks, one real `coach serve` each, with an event-loop probe (`GET /healthz` every 10 ms: the
longest answer is the longest stall), its RSS sampled, its 5xx answers counted, its log read for tracebacks
and ERROR lines, and SIGTERM timed at the end. Run by `bench/adversarial.py --hardening` (or alone:
`.venv/bin/python bench/hardening.py [--case NAME …] [--json]`). Targets: stall ≤ 50 ms, RSS ≤ 250 MB, 0 5xx,
0 tracebacks, acknowledged = stored, SIGTERM ≤ 2 s.

The full-disk case mounts a small tmpfs (root only; skipped otherwise) under the service's store."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.adversarial import big_chats
from bench.common import NOW, ROOT, Service
from tests.test_rule_sources import BACKTRACKING, BIG_QUANTIFIER, DEEP_TOML, HostileNode

TARGET_STALL_MS, TARGET_RSS_MB, TARGET_STOP_S = 50.0, 250.0, 2.0


PROBE = """
import http.client, json, os, sys, time
from urllib.parse import urlsplit
url, pid, stop = sys.argv[1], sys.argv[2], sys.argv[3]
host, port = urlsplit(url).hostname, urlsplit(url).port
con = None
worst = rss = 0.0
answers = 0
slow = []  # (seconds since the probe began, ms) of every answer slower than 50 ms
began = time.monotonic()
while not os.path.exists(stop):
    started = time.perf_counter()
    try:
        if con is None:  # one kept-alive connection: a crowded accept queue is not the event loop
            con = http.client.HTTPConnection(host, port, timeout=30)
        con.request("GET", "/healthz")
        con.getresponse().read()
    except (OSError, http.client.HTTPException):
        con = None
        continue
    took = (time.perf_counter() - started) * 1000
    worst = max(worst, took)
    answers += 1
    if answers == 1:
        open(stop + ".ready", "w").close()  # the attack may begin: the loop is being watched
    if took > 50 and len(slow) < 20:
        slow.append((round(time.monotonic() - began, 2), round(took)))
    try:
        with open(f"/proc/{pid}/status") as f:
            rss = max(rss, next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmRSS:")))
    except (OSError, StopIteration):
        pass
    time.sleep(0.01)
print(json.dumps({"worst_ms": worst, "rss": rss, "slow": slow, "answers": answers}))
"""


class Probe:
    """GET /healthz every 10 ms from a process of its own (the attacker's threads must not slow the probe):
    the slowest answer — the longest the service's event loop was held — and the service's peak RSS."""

    def __init__(self, service: Service):
        self.stop_file = service.tmp / "probe.stop"
        self.proc = subprocess.Popen([sys.executable, "-c", PROBE, service.url, str(service.proc.pid),
                                      str(self.stop_file)], stdout=subprocess.PIPE, text=True)
        self.worst_ms = self.rss = 0.0
        self.five_xx = 0
        self.answers = 0  # probe answers: none means nothing was measured (never "0 ms")
        self.slow: list[list[float]] = []
        ready = Path(f"{self.stop_file}.ready")
        deadline = time.monotonic() + 30
        while not ready.exists() and self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        self.stop_file.touch()
        out, _ = self.proc.communicate(timeout=60)
        figures = json.loads(out)
        self.worst_ms, self.rss, self.slow = figures["worst_ms"], figures["rss"], figures["slow"]
        self.answers = figures["answers"]


def call(service: Service, method: str, path: str, body: bytes | None = None, token: bool = True,
         headers: dict | None = None, timeout: float = 120) -> tuple[int, bytes]:
    h = {"Content-Type": "application/json", **(headers or {})}
    if token and (service.tmp / "token").exists():  # (a service given a --token-file of its own has none here)
        h["Authorization"] = f"Bearer {(service.tmp / 'token').read_text().strip()}"
    try:
        with urllib.request.urlopen(urllib.request.Request(service.url + path, data=body, method=method, headers=h),
                                    timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def rules_copy(service_tmp: Path) -> Path:
    target = service_tmp / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


def run_case(name: str, attack: Callable[[Service], dict[str, Any]], *extra: str, rules: Path | None = None,
             before: Callable[[Path], None] | None = None) -> dict[str, Any]:
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"coach-hardening-{os.getpid()}-{name}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    directory = rules or rules_copy(tmp)
    if before is not None:
        before(directory)
    service = Service(None, "--rules", str(directory), "--reload-interval", "0.5", *extra)
    for draft in ("Здравствуйте! Сейчас проверю ваш заказ.", "Hello! Let me check your order."):  # warm, as a
        call(service, "POST", "/v1/check", json.dumps({"draft": draft, "now": NOW}).encode(), token=False)  # day
    probe = Probe(service)
    fives = 0
    try:
        figures = attack(service)
        fives = figures.pop("five_xx", 0)
    finally:
        probe.stop()
        started = time.monotonic()
        service.proc.send_signal(signal.SIGTERM)
        try:
            service.proc.wait(30)
        except subprocess.TimeoutExpired:
            service.proc.kill()
        stop_s = time.monotonic() - started
        log = service.log_text()
        service.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    row = {"case": name, "stall_ms": probe.worst_ms, "rss_mb": probe.rss, "probe_answers": probe.answers,
           "five_xx": fives + probe.five_xx, "tracebacks": log.count("Traceback"),
           "error_lines": sum(" ERROR " in ln for ln in log.splitlines()),
           "sigterm_s": stop_s, **figures, "slowest_answers": sorted(probe.slow, key=lambda s: -s[1])[:4]}
    print(f"  … {name}: {row['stall_ms']:.0f} ms, {row['rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    return row


# --- the attacks ---------------------------------------------------------------------------------------------
def typing(service: Service, seconds: float, drafts: list[str]) -> int:
    """Drafts posted one after another for `seconds`; the number of 5xx answers."""
    fives, deadline, i = 0, time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        status, _ = call(service, "POST", "/v1/check", json.dumps({"draft": drafts[i % len(drafts)],
                                                                    "now": NOW}).encode(), token=False)
        fives += status >= 500
        i += 1
    return fives


def backtracking_pattern(service: Service) -> dict[str, Any]:
    drafts = ["оплатил бы всё это сразу но не могу никак"[:n] for n in range(20, 41)]
    return {"five_xx": typing(service, 5, drafts)}


def bad_rule_files(service: Service) -> dict[str, Any]:
    rules = Path(json.loads(call(service, "GET", "/healthz")[1])["rules_dir"])
    (rules / "quantifier.toml").write_text(BIG_QUANTIFIER, encoding="utf-8")
    (rules / "deep2.toml").write_text(DEEP_TOML, encoding="utf-8")
    time.sleep(2)
    (rules / "card.toml").write_text(BACKTRACKING, encoding="utf-8")  # a later edit still loads
    time.sleep(2)
    health = json.loads(call(service, "GET", "/healthz")[1])
    return {"rule_errors": len(health["rule_errors"]), "later_edit_loaded": health["rules"] == 22}


def follower_flood(node: HostileNode) -> Callable[[Service], dict[str, Any]]:
    def attack(service: Service) -> dict[str, Any]:
        node.mode = "flood"
        time.sleep(8)
        health = json.loads(call(service, "GET", "/healthz")[1])
        return {"rules": health["rules"], "last_error": (health["rules_source"]["last_error"] or "")[:80],
                "node_sent_mb": node.sent / 2**20}
    return attack


def full_disk(service: Service, store_dir: Path) -> dict[str, Any]:
    import aiohttp

    filler = store_dir / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)  # until the disk is full

    async def feedback() -> int:
        durable = 0
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(service.url.replace("http", "ws") + "/v1/live")
            await ws.receive(timeout=10)
            await ws.send_json({"type": "update", "chat_id": "c", "draft": "Спс", "now": NOW})
            for n in range(60):
                await ws.send_json({"type": "feedback", "chat_id": "c", "action": "dismissed", "rule": "slang",
                                    "seq": n, "text": "x" * 2000})
                while True:
                    frame = json.loads((await ws.receive(timeout=30)).data)
                    if frame["type"] == "feedback_ack":
                        durable += frame["durable"]
                        break
                if n % 10 == 9:  # a little room, now and then: lines fit, or are cut short
                    with filler.open("r+b") as f:
                        f.truncate(max(0, filler.stat().st_size - 3000))
            await ws.close()
        return durable

    durable = asyncio.run(feedback())
    return {"acknowledged_durable": durable, "spool_bytes": sum(p.stat().st_size for p in store_dir.glob("*.spool"))}


def waiting_followers(service: Service) -> dict[str, Any]:
    import aiohttp

    rules = Path(json.loads(call(service, "GET", "/healthz")[1])["rules_dir"])
    digest = json.loads(call(service, "GET", "/v1/rules/set")[1])["digest"]

    changed_at: list[float] = []
    began = time.monotonic()

    async def wait_all() -> dict[int, int]:
        statuses: dict[int, int] = {}
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            async def one() -> None:
                try:
                    async with session.get(service.url + "/v1/rules/set?wait=60",
                                           headers={"If-None-Match": f'"{digest}"'}) as r:
                        await r.read()
                        statuses[r.status] = statuses.get(r.status, 0) + 1
                except aiohttp.ClientError:
                    statuses[0] = statuses.get(0, 0) + 1
            tasks = []
            for _ in range(30):  # followers arrive as a floor's do (each asks every 15 s): 300 a second
                tasks += [asyncio.ensure_future(one()) for _ in range(100)]
                await asyncio.sleep(1 / 3)
            await asyncio.sleep(2)
            changed_at.append(time.monotonic())
            path = rules / "too_long.toml"
            path.write_text(path.read_text(encoding="utf-8").replace('severity = "warning"', 'severity = "info"', 1),
                            encoding="utf-8")
            await asyncio.gather(*tasks)
        return statuses

    statuses = asyncio.run(wait_all())
    return {"answers": statuses, "change_at_s": round(changed_at[0] - began, 1),
            "five_xx": sum(n for s, n in statuses.items() if s >= 500)}


def maximal_uploads(service: Service) -> dict[str, Any]:
    line = json.dumps({"messages": [{"role": "operator", "text": "Здравствуйте, заказ в пути. " * 700}]},
                      ensure_ascii=False).encode() + b"\n"
    body = line * ((63 << 20) // len(line))
    statuses: dict[int, int] = {}

    def upload(i: int) -> None:
        status, _ = call(service, "POST", f"/supervisor/api/corpora?name=u{i}.jsonl", body)
        statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"answers": statuses, "five_xx": sum(n for s, n in statuses.items() if s >= 500)}


def big_rule_set(service: Service) -> dict[str, Any]:
    rules = Path(json.loads(call(service, "GET", "/healthz")[1])["rules_dir"])
    words = [f"слово{i:06d}" for i in range(100_000)]
    text = ('kind = "lexicon"\ntitle = "Большой список"\n[ru]\nmessage = "«{match}»"\nwords = ['
            + ", ".join(f'"{w}"' for w in words) + ']\n[en]\nmessage = "{match}"\n')
    done = threading.Event()
    fives = [0]

    def typist() -> None:
        while not done.is_set():
            fives[0] += typing(service, 1, ["Здравствуйте! Сейчас проверю ваш заказ", "Доставка завтра"])

    thread = threading.Thread(target=typist)
    thread.start()
    time.sleep(1)
    started = time.monotonic()
    (rules / "big_list.toml").write_text(text, encoding="utf-8")
    while json.loads(call(service, "GET", "/healthz")[1])["rules"] < 22 and time.monotonic() - started < 120:
        time.sleep(0.2)
    in_force = time.monotonic() - started
    time.sleep(1)
    done.set()
    thread.join()
    return {"rule_file_mb": round(len(text.encode()) / 2**20, 2), "in_force_after_s": round(in_force, 1),
            "rules": json.loads(call(service, "GET", "/healthz")[1])["rules"], "five_xx": fives[0]}


def malformed_headers(service: Service) -> dict[str, Any]:
    answers = 0
    for i in range(2_000):
        with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\x01{i}\r\n\r\n".encode())
            answers += sock.recv(100).startswith((b"HTTP/1.0 400", b"HTTP/1.1 400"))
    return {"answered_400": answers}


def supervisor_fuzz(service: Service) -> dict[str, Any]:
    rng = random.Random(19)
    values: list[Any] = [None, "²", "٣", [None], [[None]], {"a": None}, 1e308, -1, "x" * 5000, [1, "a", None],
                         {"": []}, True, "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")]
    fields = ["title", "severity", "enabled", "description", "params", "ru", "en", "base_digest"]
    statuses: dict[int, int] = {}
    for _ in range(600):
        edit = {rng.choice(fields): rng.choice(values) for _ in range(rng.randint(1, 3))}
        if rng.random() < 0.5:
            edit = {"ru": {rng.choice(["words", "lemmas", "swap", "message"]): rng.choice(values)}}
        path = rng.choice(["/supervisor/api/rules/slang/check", "/supervisor/api/rules/slang/description"])
        status, _ = call(service, "POST", path, json.dumps(edit).encode())
        statuses[status] = statuses.get(status, 0) + 1
    for query in ("/supervisor/api/stats?since=%C2%B2", "/supervisor/api/versions?limit=%D9%A3",
                  "/v1/rules/set?wait=%D9%A3", "/supervisor/api/versions/99999999999999999999/rollback"):
        status, _ = call(service, "GET" if "rollback" not in query else "POST", query, b"{}" if "rollback" in query
                         else None)
        statuses[status] = statuses.get(status, 0) + 1
    return {"answers": statuses, "five_xx": sum(n for s, n in statuses.items() if s >= 500)}


def request_781kb(service: Service) -> dict[str, Any]:
    request = list(big_chats(2).values())[1]
    body = json.dumps(request, ensure_ascii=False).encode()
    fives = 0
    for i in range(5):
        request["draft"] = request["draft"][:-8] + f" {i:07d}"
        status, _ = call(service, "POST", "/v1/check", json.dumps(request, ensure_ascii=False).encode(), token=False)
        fives += status >= 500
    return {"body_kb": len(body) / 1024, "five_xx": fives}


def full_disk_case() -> dict[str, Any] | None:
    """The spool on a 4 MB tmpfs: acknowledged as durable = stored after a restart with room again."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return None
    mount = Path(f"/tmp/coach-full-disk-{os.getpid()}")
    mount.mkdir(exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)]).returncode != 0:
        return None
    try:
        (mount / "store").mkdir()
        row = run_case("a full disk under the spool", lambda service: full_disk(service, mount / "store"),
                       "--store", f"sqlite:///{mount}/store/feedback.sqlite3")
        (mount / "store" / "filler").unlink(missing_ok=True)
        stored = count_stored(mount / "store" / "feedback.sqlite3")
        row["stored_after_restart"] = stored
        row["acknowledged_equals_stored"] = stored >= row["acknowledged_durable"]
        return row
    finally:
        subprocess.run(["umount", "-l", str(mount)])
        shutil.rmtree(mount, ignore_errors=True)


def count_stored(db: Path) -> int:
    """Start the service again on the store (its spool is written first), then count the events."""
    import sqlite3

    service = Service(None, "--store", f"sqlite:///{db}")
    try:
        time.sleep(3)
    finally:
        service.stop()
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT COUNT(*) FROM events WHERE action = 'dismissed'").fetchone()[0])


def cases(selected: set[str] | None) -> list[dict[str, Any]]:
    def want(key: str) -> bool:
        return selected is None or key in selected

    rows: list[dict[str, Any]] = []
    if want("idle"):  # the floor under every figure below: the same probe against a service doing nothing
        rows.append(run_case("(baseline: an idle service, 6 s)", lambda service: time.sleep(6) or {}))
    if want("pattern"):
        rows.append(run_case("a backtracking pattern rule, typing", backtracking_pattern,
                             before=lambda d: (d / "card.toml").write_text(BACKTRACKING, encoding="utf-8")))
    if want("follower"):
        node = HostileNode()
        token = Path(f"/tmp/coach-hardening-token-{os.getpid()}")
        token.write_text("floor-token-0123456789abcdef\n")
        token.chmod(0o600)
        try:
            rows.append(run_case("a chunked 300 MB answer to a follower", follower_flood(node), "--follow", node.url,
                                 "--token-file", str(token), "--follow-interval", "1", "--store", "none"))
        finally:
            node.stop()
            token.unlink()
    if want("rulefiles"):
        rows.append(run_case("a bad quantifier and deep TOML (at start, then added)", bad_rule_files,
                             before=lambda d: (d / "deep.toml").write_text(DEEP_TOML, encoding="utf-8")))
    if want("disk"):
        row = full_disk_case()
        rows.append(row or {"case": "a full disk under the spool", "skipped": "needs root and mount"})
    if want("waiters"):
        rows.append(run_case("3,000 waiting followers, then a change", waiting_followers))
    if want("uploads"):
        rows.append(run_case("eight maximal (63 MiB) uploads at once", maximal_uploads))
    if want("bigrules"):
        rows.append(run_case("a 2 MB rule set installed under typing", big_rule_set))
    if want("headers"):
        rows.append(run_case("2,000 malformed headers", malformed_headers))
    if want("fuzz"):
        rows.append(run_case("the supervisor API fuzzed", supervisor_fuzz))
    if want("request"):
        rows.append(run_case("the 781 KB request (20 × 20,000 characters)", request_781kb))
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    print("Issue 19's attacks — one coach serve each, an event-loop probe every 10 ms")
    print(f"{'case':<56} {'stall':>8} {'RSS':>7} {'5xx':>4} {'tb':>3} {'ERR':>4} {'TERM':>6}  details")
    for r in rows:
        if "skipped" in r:
            print(f"{r['case']:<56} skipped: {r['skipped']}")
            continue
        details = {k: v for k, v in r.items() if k not in ("case", "stall_ms", "rss_mb", "five_xx", "tracebacks",
                                                           "error_lines", "sigterm_s", "probe_answers")}
        if not r["probe_answers"]:
            details["probe"] = "no answer: stall and RSS not measured"
        print(f"{r['case']:<56} {r['stall_ms']:>6.0f}ms {r['rss_mb']:>5.0f}MB {r['five_xx']:>4} {r['tracebacks']:>3} "
              f"{r['error_lines']:>4} {r['sigterm_s']:>5.2f}s  {json.dumps(details, ensure_ascii=False)}")
    measured = [r for r in rows if "skipped" not in r]
    met = all(r["probe_answers"] and r["stall_ms"] <= TARGET_STALL_MS and r["rss_mb"] <= TARGET_RSS_MB
              and r["five_xx"] == 0 and r["tracebacks"] == 0 and r["sigterm_s"] <= TARGET_STOP_S for r in measured)
    print(f"targets (stall ≤ {TARGET_STALL_MS:.0f} ms, RSS ≤ {TARGET_RSS_MB:.0f} MB, 0 5xx, 0 tracebacks, "
          f"SIGTERM ≤ {TARGET_STOP_S:.0f} s): {'met' if met else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=["idle", "pattern", "follower", "rulefiles", "disk", "waiters",
                                                           "uploads", "bigrules", "headers", "fuzz", "request"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = cases(set(args.case) if args.case else None)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print_rows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
