"""Engine benchmark: how long a check takes, warm and cold, how long loading takes, how much memory — and
proselint on the same drafts in the same run, as a ratio. Prints figures; not a test.

    .venv/bin/python bench/engine.py [--checks 3000] [--json]

Warm figures are per check after warm-up, with the 50-message chat already seen (as on every keystroke).
"keystrokes": new replies typed a character at a time (the live pattern: each draft is new to the engine,
the half-typed word under the caret). "typos": a draft with one or two of its words cut short somewhere in
the middle — a fresh misspelling in every draft, the worst case (each costs a spelling suggestion).
"repeat" sends the very same request again (the draft's analysis cached; all rules still run). `check(dict)`
is the public API, validation of the request included (what `POST /v1/check` pays); `evaluate(prevalidated)`
a request validated once; "keystrokes, live" is what the live WebSocket pays per keystroke: the same
keystrokes as a live chat sends them, its state validated as it arrived and checked with the chat's own
memory (`ChatMemory`: its conversation analysed once, each draft from the previous one).
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import EN_DRAFT_TEXT, NOW, ROOT, RU_DRAFT_TEXT, chat, fit, percentile, rss_mb, typing_variants

# Targets for ru-300 (a 300-character draft, a 50-message chat): issue 5's for a repeated check (the floor),
# issue 9's for a keystroke (each draft new: what the live service pays), whatever models the rules add.
TARGET_REPEAT_MS = (0.3, 2.0)  # median, p99
TARGET_KEYSTROKE_MS = (0.5, 3.0)
TARGET_LIVE_KEYSTROKE_MS = 0.2  # median, the live path (issue 22)
TARGET_LOAD_MS = 1500.0  # Coach.load (issue 9)
TARGET_RSS_MB = 150

CASES = {  # name: (lang, draft size, chat size)
    "ru-300": ("ru", 300, 50),
    "en-300": ("en", 300, 50),
    "ru-3000": ("ru", 3000, 50),
}


def _draft(lang: str, size: int) -> str:
    return fit(RU_DRAFT_TEXT if lang == "ru" else EN_DRAFT_TEXT, size)


def _stats(samples_ns: list[int]) -> dict:
    ms = [s / 1e6 for s in samples_ns]
    return {"n": len(ms), "median_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99), "max_ms": max(ms)}


def _timed(call, requests: list) -> dict:
    """Time `call(request)` for each request (garbage collected first); the stats of the samples."""
    gc.collect()
    samples: list[int] = []
    for request in requests:
        t = time.perf_counter_ns()
        call(request)
        samples.append(time.perf_counter_ns() - t)
    return _stats(samples)


def cold() -> dict:
    """Run in a fresh process: import, load, first check — what starting the service costs."""
    t0 = time.perf_counter()
    from coach_server import Coach

    t1 = time.perf_counter()
    coach = Coach.load(ROOT / "rules")
    t2 = time.perf_counter()
    rss_loaded = rss_mb()[0]
    request = {"draft": _draft("ru", 300), "messages": chat("ru"), "now": NOW, "operator_name": "Анна"}
    t3 = time.perf_counter()
    coach.check(request)
    t4 = time.perf_counter()
    request_en = {"draft": _draft("en", 300), "messages": chat("en"), "now": NOW, "operator_name": "Anna"}
    t5 = time.perf_counter()
    coach.check(request_en)
    t6 = time.perf_counter()
    return {"import_ms": (t1 - t0) * 1e3, "load_ms": (t2 - t1) * 1e3, "first_check_ms": (t4 - t3) * 1e3,
            "first_en_check_ms": (t6 - t5) * 1e3, "rss_after_load_mb": rss_loaded,
            "rss_after_first_check_mb": rss_mb()[0]}


def bench_engine(checks: int) -> dict:
    from coach_server import Coach
    from coach_server.chatmemory import ChatMemory
    from coach_server.models import parse_request

    logging.getLogger("coach.engine").setLevel(logging.CRITICAL)  # a crashing rule is counted below instead
    coach = Coach.load(ROOT / "rules")
    out: dict = {}
    for name, (lang, size, chat_size) in CASES.items():
        base = _draft(lang, size)
        n = checks if size <= 300 else max(200, checks // 5)
        messages = chat(lang, chat_size)
        warm_drafts = typing_variants(base, 200)
        drafts = typing_variants(base, n, skip=200)
        assert not set(warm_drafts) & set(drafts)
        operator = "Анна" if lang == "ru" else "Anna"
        for d in warm_drafts:  # warm-up: morphology of the words, the chat, the rules' lazy parts
            coach.check({"draft": d, "messages": messages, "now": NOW, "operator_name": operator})
        failures_before = sum(coach.rule_failures.values())

        def typed(d: str, caret: int | None = None, messages: list = messages, operator: str = operator) -> dict:
            return {"draft": d, "messages": messages, "now": NOW, "operator_name": operator,
                    "caret": len(d) if caret is None else caret}

        typing_dict = _timed(coach.check, [typed(d) for d in drafts])
        # keystrokes — the live pattern: new replies typed a character at a time, caret at the end; the drafts
        # from two thirds of the length to the full length are timed (each is new to the engine)
        replies = typing_variants(base, max(4, n // max(1, len(base) // 3)), skip=200 + n)
        strokes = [r[:i] for r in replies for i in range(2 * len(r) // 3, len(r) + 1)][:n]
        keystrokes = _timed(coach.check, [typed(d) for d in strokes])
        # the same keystrokes as the live service checks them: a chat's state validated as it arrived (the
        # chat once), each keystroke checked with the chat's memory — warmed with the replies before
        memory = ChatMemory()
        validated = [parse_request(typed(d), coach.chats) for d in strokes]
        for r in typing_variants(base, 3, skip=100 + n):
            for i in range(2 * len(r) // 3, len(r) + 1):
                coach.evaluate(parse_request(typed(r[:i]), coach.chats), memory=memory)
        live = _timed(lambda r, memory=memory: coach.evaluate(r, memory=memory), validated)
        # the same with every rule run: what a supervisor's view (include_quiet) pays, or a team that pins
        # every rule on — by default a rule that can show nothing at the floor does not run
        every = ChatMemory()
        for r in typing_variants(base, 3, skip=100 + n):
            for i in range(2 * len(r) // 3, len(r) + 1):
                coach.evaluate(parse_request({**typed(r[:i]), "include_quiet": True}, coach.chats), memory=every)
        live_every = _timed(lambda r, memory=every: coach.evaluate(r, memory=memory),
                            [r.model_copy(update={"include_quiet": True}) for r in validated])
        # the live path: the chat validated once, each keystroke a prevalidated request
        typing_pre = _timed(coach.evaluate, [parse_request(typed(d + " ", len(d))) for d in drafts])
        same = {"draft": base, "messages": messages, "now": NOW, "operator_name": operator}
        repeat = _timed(coach.check, [same] * min(n, 1000))
        result = coach.check(same)
        out[name] = {"draft_chars": len(base), "chat_messages": chat_size, "keystrokes_check_dict": keystrokes,
                     "keystrokes_live": live, "keystrokes_live_every_rule": live_every,
                     "rules_run": len(coach.rules_run(lang)),
                     "rules_active": len(coach.rulebook.active),
                     "typing_check_dict": typing_dict,
                     "typing_evaluate_prevalidated": typing_pre, "repeat_check_dict": repeat,
                     "warnings": [w.rule for w in result.warnings],
                     "rule_failures": sum(coach.rule_failures.values()) - failures_before}
    out["rss_mb"], out["peak_rss_mb"] = rss_mb()
    out["rule_failures_by_rule"] = dict(coach.rule_failures)
    return out


def bench_proselint(checks: int) -> dict | None:
    try:
        from proselint.checks import __register__
        from proselint.registry import CheckRegistry
        from proselint.tools import LintFile
        from proselint.version import __version__ as proselint_version
    except ImportError:
        return None
    CheckRegistry().register_many(__register__)
    out: dict = {"version": proselint_version}
    for name, (lang, size, _) in CASES.items():
        base = _draft(lang, size)
        n = checks if size <= 300 else max(200, checks // 5)
        for d in typing_variants(base, 50):
            LintFile("<draft>", d).lint()
        samples = []
        results = 0
        for d in typing_variants(base, n, skip=200):
            t = time.perf_counter_ns()
            results = len(LintFile("<draft>", d).lint())
            samples.append(time.perf_counter_ns() - t)
        out[name] = {**_stats(samples), "findings": results}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=3000, help="timed checks per 300-character case")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.cold:
        print(json.dumps(cold()))
        return 0
    colds = [json.loads(subprocess.run([sys.executable, __file__, "--cold"], capture_output=True, text=True,
                                       check=True).stdout) for _ in range(3)]
    cold_figures = {k: sorted(c[k] for c in colds)[1] for k in colds[0]}  # the median of three fresh processes
    engine = bench_engine(args.checks)
    peer = bench_proselint(args.checks)
    report = {"machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
              "cold": cold_figures, "engine": engine, "proselint": peer}
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0

    print(f"Operator Coach engine benchmark (Python {platform.python_version()}, {platform.machine()})")
    c = cold_figures
    print(f"cold (median of 3 fresh processes): import {c['import_ms']:.0f} ms, Coach.load {c['load_ms']:.0f} ms, "
          f"first check {c['first_check_ms']:.1f} ms (first English one {c['first_en_check_ms']:.1f} ms); "
          f"RSS after load {c['rss_after_load_mb']:.0f} MB")
    print()
    print(f"{'case':<9} {'what':<30} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} {'n':>6}")
    for name in CASES:
        e = engine[name]
        for key, label in (("keystrokes_live", "keystrokes, live (chat memory)"),
                           ("keystrokes_live_every_rule", "  …every rule run (quiet too)"),
                           ("keystrokes_check_dict", "keystrokes, check(dict)"),
                           ("typing_check_dict", "typos, check(dict)"),
                           ("typing_evaluate_prevalidated", "typos, evaluate(prevalidated)"),
                           ("repeat_check_dict", "repeat, check(dict)")):
            s = e[key]
            print(f"{name:<9} {label:<30} {s['median_ms']:>10.3f} {s['p99_ms']:>8.3f} {s['max_ms']:>8.2f} {s['n']:>6}")
    print(f"RSS after the warm runs: {engine['rss_mb']:.0f} MB (peak {engine['peak_rss_mb']:.0f} MB)")
    print("rules run by default (the others can show nothing at the floor; include_quiet runs them): "
          + ", ".join(f"{name} {engine[name]['rules_run']} of {engine[name]['rules_active']}" for name in CASES))
    if engine["rule_failures_by_rule"]:
        print(f"NOTE: rules crashed during the run (skipped by the engine, so those checks did less): "
              f"{engine['rule_failures_by_rule']}")
    print()
    ok = lambda good: "met" if good else "MISSED"  # noqa: E731
    print("targets for ru-300 + 50 messages:")
    for key, label, (median, p99) in (
            ("repeat_check_dict", "same request again (issue 5)", TARGET_REPEAT_MS),
            ("keystrokes_check_dict", "while typing, each draft new (issue 9)", TARGET_KEYSTROKE_MS)):
        ru = engine["ru-300"][key]
        print(f"  {label:<40} median {ru['median_ms']:.3f} ms ≤ {median} {ok(ru['median_ms'] <= median):<6} "
              f"p99 {ru['p99_ms']:.3f} ms ≤ {p99} {ok(ru['p99_ms'] <= p99)}")
    live = engine["ru-300"]["keystrokes_live"]
    print(f"  {'while typing, the live path (issue 22)':<40} median {live['median_ms']:.3f} ms ≤ "
          f"{TARGET_LIVE_KEYSTROKE_MS} {ok(live['median_ms'] <= TARGET_LIVE_KEYSTROKE_MS):<6} "
          f"p99 {live['p99_ms']:.3f} ms")
    typo = engine["ru-300"]["typing_check_dict"]
    print(f"  {'a fresh typo in every draft (no target)':<40} median {typo['median_ms']:.3f} ms, "
          f"p99 {typo['p99_ms']:.3f} ms")
    print(f"  Coach.load {c['load_ms']:.0f} ms ≤ {TARGET_LOAD_MS:.0f} ms {ok(c['load_ms'] <= TARGET_LOAD_MS)}")
    print(f"  RSS {engine['peak_rss_mb']:.0f} MB ≤ {TARGET_RSS_MB} MB {ok(engine['peak_rss_mb'] <= TARGET_RSS_MB)}")
    print()
    if peer is None:
        print("proselint is not installed: .venv/bin/pip install -e '.[bench]' to compare")
        return 0
    print(f"side by side with proselint {peer['version']} (same drafts, same process; it runs ~100 English "
          f"style checks and no chat context; it finds nothing useful in Russian):")
    print(f"{'case':<9} {'proselint median':>17} {'p99':>8} {'coach median':>13} {'p99':>8} {'proselint/coach':>16}")
    for name in CASES:
        p, e = peer[name], engine[name]["typing_check_dict"]
        print(f"{name:<9} {p['median_ms']:>14.3f} ms {p['p99_ms']:>8.3f} {e['median_ms']:>10.3f} ms "
              f"{e['p99_ms']:>8.3f} {p['median_ms'] / e['median_ms']:>15.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
