"""Hostile requests within the documented limits (issue 11): the longest the engine holds the event loop, the
service's RSS over 1,000 distinct maximal messages, 5xx answers and tracebacks from client input. Prints
figures; not a test.

    .venv/bin/python bench/adversarial.py [--messages 1000] [--json]

1. The engine, in process, checked as the service checks (in slices, `service/slices.py`): every class of
   hostile text of issue 11 — one unknown word of 20,000 letters, a word and thousands of «.ru» pieces, «@»
   and 20,000 letters, … — as a draft and as a chat message, and the costliest texts within the limits:
   20,000 characters of words never seen, a 2,000-message chat of them within 1 MiB, twenty 20,000-character
   operator messages beside a 20,000-character draft. For each: the longest slice (how long the event loop
   is held: target ≤ 50 ms), the whole check's engine time, and masking the text for storage.
2. A real `coach serve --store sqlite:… --store-text`: 1,000 distinct maximal messages (20,000 characters
   each, half as /v1/check drafts, half as chats over the live WebSocket, with phones, cards and addresses to
   mask) while its RSS is read (target ≤ 250 MB); then every kind of bad input of case 4 — numbers of 5,000
   digits, lone surrogates, nesting 50,000 deep, wrong types, a body announced and never sent, clients
   leaving mid-upload, bad frames by the hundred — counting 5xx answers (target 0) and, in its log,
   tracebacks and ERROR lines (target 0); last, how long a stop takes with live sockets open.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import NOW, RU_CHAT, RU_DRAFT_TEXT, Service, fit
from coach_server import Coach
from coach_server.server import settle_memory
from coach_server.service.slices import evaluate_in_slices
from coach_server.store.mask import mask_personal

TARGET_MS = 50.0
TARGET_RSS_MB = 250.0
LIMIT = 20_000
LETTERS = "абвгдежзиклмнопрстуфхцчшщыэюя"
MAX_BODY = 1 << 20


def never_seen(seed: int, size: int) -> str:
    """Words no dictionary has: each one costs pymorphy3 a guess (the costliest text to analyse)."""
    rng = random.Random(seed)
    words: list[str] = []
    length = 0
    while length < size:
        word = "".join(rng.choice(LETTERS) for _ in range(rng.randint(4, 9)))
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:size]


def hostile_texts(seed: int) -> dict[str, str]:
    """The classes of issue 11, cases 1 and 2, each at the draft limit (distinct per seed)."""
    n = LIMIT - 8
    tag = f" {seed:07d}"
    return {
        "one unknown word of 20,000 letters": ("ъ" + never_seen(seed, n).replace(" ", ""))[:n] + tag,
        "a word and 6,664 «.ru» pieces": ("слово " + ".ru" * (n // 3))[:n] + tag,
        "a word and «-.ru» pieces": ("слово" + "-.ru" * (n // 4))[:n] + tag,
        "«@» and 20,000 letters": ("@" + "a" * n)[:n] + tag,
        "20,000 letters and «@»": ("a" * (n - 1) + "@") + tag,
        "«a@» 10,000 times": ("a@" * (n // 2))[:n] + tag,
        "«?» and letters": ("?" + "a" * n)[:n] + tag,
        "a backtick and letters": ("`" + "a" * n)[:n] + tag,
        "20,000 digits": "1" * n + tag,
        "digits and spaces": ("1 " * (n // 2))[:n] + tag,
        "a hyphen chain «а-а-а…»": ("а-" * (n // 2))[:n] + tag,
        "mixed scripts «аaаa…»": ("аa" * (n // 2))[:n] + tag,
        "cards glued together": ("4111111111111111" * (n // 16))[:n] + tag,
        "«=» and 20,000 «[»": ("=" + "[" * n)[:n] + tag,
        "3,300 lines of code «a_b=1»": ("a_b=1\n" * (n // 6))[:n] + tag,
        "5,000 quotations «а»": ("«а» " * (n // 4))[:n] + tag,
        "20,000 characters of words never seen": never_seen(seed + 1, n) + tag,
        "20,000 characters of ordinary replies": fit(RU_DRAFT_TEXT, n) + tag,
    }


def big_chats(seed: int) -> dict[str, dict[str, Any]]:
    """Whole requests at the limits: many messages of new words, long operator messages to compare."""
    rng = random.Random(seed)
    many: list[dict[str, Any]] = []
    size = 2
    while len(many) < 2_000:
        text = never_seen(rng.randrange(1 << 30), 230)
        size += len(json.dumps({"role": "client", "text": text, "ts": NOW}, ensure_ascii=False).encode()) + 2
        if size > MAX_BODY - 4_096:
            break
        many.append({"role": "client" if len(many) % 2 else "operator", "text": text,
                     "ts": NOW - 3_600 + len(many)})
    long_ops = [{"role": "operator" if i % 2 else "client", "text": fit(RU_DRAFT_TEXT, LIMIT - 40) + f" {seed} {i}",
                 "ts": NOW - 600 + i} for i in range(20)]
    return {
        f"a chat of {len(many)} messages of new words (≤ 1 MiB)": {"draft": "Здравствуйте! Сейчас проверю.",
                                                                   "messages": many, "now": NOW},
        "20 messages of 20,000 characters, a 20,000-character draft": {
            "draft": fit(RU_DRAFT_TEXT, LIMIT - 40) + f" {seed}", "messages": long_ops, "now": NOW},
    }


def body_size(request: dict[str, Any]) -> int:
    return len(json.dumps(request, ensure_ascii=False).encode())


def timed_check(coach: Coach, request: dict[str, Any]) -> tuple[float, float, int]:
    """(longest slice ms, whole check ms, slices), as the service runs it."""
    evaluation = asyncio.run(evaluate_in_slices(coach, lambda: request))
    return evaluation.longest_slice_ms or 0.0, evaluation.result.took_ms, evaluation.slices


def engine_part() -> list[dict[str, Any]]:
    coach = Coach.load()
    settle_memory(coach)
    rows: list[dict[str, Any]] = []
    as_messages = hostile_texts(2)  # other texts of each class: words the drafts did not bring
    for name, text in hostile_texts(1).items():
        for where, request in (("draft", {"draft": text, "now": NOW}),
                               ("chat message", {"draft": "Сейчас проверю", "now": NOW, "messages": [
                                   {"role": "client", "text": as_messages[name], "ts": NOW - 60}]})):
            longest, total, slices = timed_check(coach, request)
            again, _, _ = timed_check(coach, request)  # the same again: from the caches
            started = time.perf_counter()
            mask_personal(text)
            masking = (time.perf_counter() - started) * 1000
            rows.append({"case": f"{name} ({where})", "longest_ms": longest, "total_ms": total, "slices": slices,
                         "again_ms": again, "mask_ms": masking if where == "draft" else None,
                         "body_bytes": body_size(request)})
            progress(rows[-1])
    for name, request in big_chats(2).items():
        longest, total, slices = timed_check(coach, request)
        again, _, _ = timed_check(coach, {**request, "draft": request["draft"] + " Спасибо"})
        rows.append({"case": name, "longest_ms": longest, "total_ms": total, "slices": slices, "again_ms": again,
                     "mask_ms": None, "body_bytes": body_size(request)})
        progress(rows[-1])
    return rows


def progress(row: dict[str, Any]) -> None:
    print(f"  … {row['case']}: {row['longest_ms']:.1f} ms", file=sys.stderr, flush=True)


# --- the service --------------------------------------------------------------------------------------------
WORDS = " ".join(text for _, text in RU_CHAT).split()


def maximal_message(i: int) -> str:
    """A distinct 20,000-character message of ordinary words, with a phone, a card and an address to mask."""
    rng = random.Random(i)
    parts = [f"Заказ {i:08d}.", f"телефон +7 912 {i % 1000:03d}-{i % 100:02d}-{(i * 7) % 100:02d},",
             "карта 4111 1111 1111 1111,", f"почта user{i}@localhost."]
    length = sum(len(p) + 1 for p in parts)
    while length < LIMIT - 40:
        word = rng.choice(WORDS) if rng.random() > 0.02 else never_seen(rng.randrange(1 << 30), 8)
        parts.append(word)
        length += len(word) + 1
    return " ".join(parts)[:LIMIT]


def http(service: Service, method: str, path: str, body: bytes | None, token: bool = False,
         timeout: float = 60) -> int:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {service.token}"
    request = urllib.request.Request(service.url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code


async def flood(service: Service, count: int, sample: Callable[[], float]) -> dict[str, Any]:
    import aiohttp

    statuses: dict[int, int] = {}
    codes: dict[str, int] = {}
    rss: list[float] = []
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(service.url.replace("http", "ws") + "/v1/live", max_msg_size=8 << 20)
        await ws.receive(timeout=10)
        for i in range(count):
            text = maximal_message(i)
            if i % 2:
                body = json.dumps({"draft": text, "now": NOW, "chat_id": f"h{i}"}, ensure_ascii=False).encode()
                async with session.post(service.url + "/v1/check", data=body,
                                        headers={"Content-Type": "application/json"}) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1
            else:
                await ws.send_json({"type": "update", "chat_id": f"w{i}", "seq": i, "now": NOW,
                                    "draft": maximal_message(i + count)[:LIMIT],
                                    "messages": [{"role": "client", "text": text, "ts": NOW - 30}]})
                while True:
                    frame = json.loads((await ws.receive(timeout=60)).data)
                    if frame.get("ref") == i or frame["type"] == "error":
                        break
                codes[frame.get("code", frame["type"])] = codes.get(frame.get("code", frame["type"]), 0) + 1
                if i % 20 == 0:  # feedback too: stored with the draft (masked)
                    await ws.send_json({"type": "feedback", "chat_id": f"w{i}", "action": "dismissed",
                                        "rule": "too_long", "seq": -i})
                    await ws.receive(timeout=30)
            if i % 25 == 0:
                rss.append(sample())
        await ws.close()
    rss.append(sample())
    return {"statuses": statuses, "frames": codes, "rss_mb": rss}


LONG = "9" * 5_000
SURROGATE = "\\ud800"
BAD_BODIES = [
    ("/v1/check", '{"draft": "x", "now": ' + LONG + "}"),
    ("/v1/check", '{"draft": "x", "caret": -' + LONG + "}"),
    ("/v1/check", '{"draft": "x", "messages": [{"role": "client", "text": "x", "ts": 1' + LONG + "}]}"),
    ("/v1/check", '{"draft": "' + SURROGATE + '"}'),
    ("/v1/check", '{"draft": "x", "chat_id": "' + SURROGATE + '"}'),
    ("/v1/check", '{"draft": "x", "operator_name": "a' + SURROGATE + 'b"}'),
    ("/v1/check", '{"draft": ' + "[" * 50_000 + "]" * 50_000 + "}"),
    ("/v1/check", '{"draft": {"a": [1, {"b": null}]}, "now": "soon", "caret": true}'),
    ("/v1/check", "{" * 10),
    ("/v1/check", '{"draft": "x", "now": 1e999}'),
    ("/supervisor/api/backtest", '{"corpus": {"source": "recorded", "since": "yesterday"}}'),
    ("/supervisor/api/backtest", '{"corpus": {"source": "recorded", "since": [1], "until": {}}}'),
    ("/supervisor/api/backtest", '{"corpus": [1], "rules": {"slang": [1], "nope": 5}}'),
    ("/supervisor/api/rules/slang/check", '{"ru": {"message": "' + SURROGATE + '"}}'),
    ("/supervisor/api/rules/slang/check", '{"params": {"max_warnings": ' + LONG + "}}"),
    ("/supervisor/api/corpora?name=x", '{"messages": [{"role": "client", "text": "x", "ts": ' + LONG + "}]}\n"
     + '{"messages": [{"role": "client", "text": "' + SURROGATE + '"}]}\n' + "[" * 50_000),
]
BAD_FRAMES = [
    '{"type": "update", "chat_id": "' + SURROGATE + '", "draft": "x"}',
    '{"type": "update", "chat_id": "a", "seq": ' + LONG + "}",
    '{"type": "update", "chat_id": "a", "draft": ' + "[" * 50_000 + "]" * 50_000 + "}",
    '{"type": "feedback", "chat_id": "a", "action": "dismissed", "rule": "' + SURROGATE + '"}',
    '{"type": "feedback", "chat_id": "nobody", "action": "dismissed", "rule": "slang"}',
    '{"type": "feedback", "chat_id": "a", "action": "shown", "rule": "+79123456789"}',
    '{"type": "forget", "chat_id": 5}',
    "{not json",
    "[]",
]


def send_headers(service: Service, path: str, length: int, sent: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", service.port), timeout=30)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{service.port}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {length}\r\n\r\n".encode() + sent)
    return sock


async def bad_frames(service: Service, rounds: int) -> dict[str, int]:
    import aiohttp

    codes: dict[str, int] = {}
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(service.url.replace("http", "ws") + "/v1/live")
        await ws.receive(timeout=10)
        await ws.send_json({"type": "update", "chat_id": "a", "draft": "x", "now": NOW})
        await ws.receive(timeout=10)
        for _ in range(rounds):
            for frame in BAD_FRAMES:
                await ws.send_str(frame)
                answer = json.loads((await ws.receive(timeout=30)).data)
                key = answer.get("code", answer["type"])
                codes[key] = codes.get(key, 0) + 1
            await asyncio.sleep(0.35)  # within the frame rate limit
        await ws.close()
    return codes


def bad_input_part(service: Service) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    for _ in range(3):
        for path, body in BAD_BODIES:
            method = "POST"
            status = http(service, method, path, body.encode(), token=True)
            statuses[status] = statuses.get(status, 0) + 1
    for query in ("since=abc", "since=nan", "until=" + LONG, "since=5&until=1"):
        status = http(service, "GET", f"/supervisor/api/stats?{query}", None, token=True)
        statuses[status] = statuses.get(status, 0) + 1
    frames = asyncio.run(bad_frames(service, 10))
    started = time.monotonic()
    sock = send_headers(service, "/v1/check", 1_000, b'{"dr')  # announced, never sent
    answer = b""
    while chunk := sock.recv(65_536):
        answer += chunk
    sock.close()
    slowloris = {"status": answer[9:12].decode(errors="replace"), "closed_after_s": time.monotonic() - started}
    for path in ("/v1/check", "/supervisor/api/corpora?name=x"):  # clients leaving mid-upload
        sock = send_headers(service, path, 100_000, b'{"messages": [')
        time.sleep(0.2)
        sock.close()
    time.sleep(0.5)
    return {"statuses": statuses, "frames": frames, "slowloris": slowloris}


async def stop_with_sockets(service: Service) -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        sockets = [await session.ws_connect(service.url.replace("http", "ws") + "/v1/live") for _ in range(5)]
        for ws in sockets:
            await ws.receive(timeout=10)
        started = time.monotonic()
        service.proc.send_signal(signal.SIGTERM)
        codes = []
        for ws in sockets:
            msg = await ws.receive(timeout=30)
            codes.append(msg.data)
        told = time.monotonic() - started
        await asyncio.to_thread(service.proc.wait, 30)
        return {"close_codes": codes, "told_s": told, "exited_s": time.monotonic() - started}


def service_part(messages: int) -> dict[str, Any]:
    service = Service(None, "--store", "sqlite:///{tmp}/feedback.sqlite3", "--store-text")
    service.token = (service.tmp / "token").read_text().strip()
    try:
        started = service.rss()[0]
        flooded = asyncio.run(flood(service, messages, lambda: service.rss()[0]))
        bad = bad_input_part(service)
        stop = asyncio.run(stop_with_sockets(service))
        log = service.log_text()
    finally:
        service.stop()
    return {"rss_start_mb": started, **flooded, "bad": bad, "stop": stop, "tracebacks": log.count("Traceback"),
            "error_lines": sum(" ERROR " in line for line in log.splitlines())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000, help="distinct maximal messages sent to the service")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--hardening", action="store_true",
                        help="only issue 19's attacks (bench/hardening.py: one service each, an event-loop probe)")
    args = parser.parse_args()
    if args.hardening:
        from bench import hardening

        rows = hardening.cases(None)
        print(json.dumps(rows, indent=2, ensure_ascii=False)) if args.json else hardening.print_rows(rows)
        return 0
    gc.collect()
    rows = engine_part()
    service = service_part(args.messages)
    worst = max(rows, key=lambda r: r["longest_ms"])
    fives = sum(n for status, n in {**service["statuses"], **service["bad"]["statuses"]}.items() if status >= 500)
    internal = service["frames"].get("internal", 0) + service["bad"]["frames"].get("internal", 0)
    peak_rss = max(service["rss_mb"])
    report = {"engine": rows, "service": service, "worst_case": worst["case"], "worst_ms": worst["longest_ms"],
              "peak_rss_mb": peak_rss, "five_xx": fives, "internal_frames": internal}
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print("Hostile requests within the limits — the engine, checked in slices as the service does it")
    print(f"{'case':<66} {'longest':>9} {'whole':>9} {'slices':>6} {'again':>8} {'mask':>8}  body")
    for r in rows:
        mask = f"{r['mask_ms']:.1f}" if r["mask_ms"] is not None else "—"
        print(f"{r['case']:<66} {r['longest_ms']:>7.1f}ms {r['total_ms']:>7.0f}ms {r['slices']:>6} "
              f"{r['again_ms']:>6.1f}ms {mask:>6}ms  {r['body_bytes'] / 1024:.0f} KB")
    verdict = "met" if worst["longest_ms"] <= TARGET_MS else "MISSED"
    print(f"worst in-limit request: {worst['longest_ms']:.1f} ms of engine time at once ({worst['case']}) — "
          f"target ≤ {TARGET_MS:.0f} ms {verdict}")
    print()
    print(f"A real coach serve (--store-text): {args.messages} distinct maximal messages (20,000 characters; half "
          f"/v1/check drafts, half live chats with 20,000-character drafts)")
    print(f"  RSS: {service['rss_start_mb']:.0f} MB at the start, peak {peak_rss:.0f} MB, "
          f"{service['rss_mb'][-1]:.0f} MB at the end — target ≤ {TARGET_RSS_MB:.0f} MB "
          f"{'met' if peak_rss <= TARGET_RSS_MB else 'MISSED'}")
    print(f"  answers: HTTP {service['statuses']}, live {service['frames']}")
    bad = service["bad"]
    print(f"  bad input: HTTP {bad['statuses']}, live {bad['frames']}; a body announced and never sent: "
          f"{bad['slowloris']['status']} after {bad['slowloris']['closed_after_s']:.1f} s, connection closed")
    print(f"  5xx answers: {fives}, internal-error frames: {internal} — target 0 "
          f"{'met' if fives == 0 and internal == 0 else 'MISSED'}")
    print(f"  log: {service['tracebacks']} tracebacks, {service['error_lines']} ERROR lines — target 0 "
          f"{'met' if service['tracebacks'] == 0 and service['error_lines'] == 0 else 'MISSED'}")
    stop = service["stop"]
    print(f"  SIGTERM with 5 live sockets: closed with {sorted(set(stop['close_codes']))} after "
          f"{stop['told_s']:.2f} s, the process gone after {stop['exited_s']:.2f} s (target: 1001, ≤ 3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
