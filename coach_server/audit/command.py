"""`coach audit FILE.jsonl [--html report.html] [--json]` — check every operator message of exported chats.

Each operator message is checked as if it were being typed at that moment (timers included). Prints counts
per rule and per operator, the worst examples and the throughput; `--html` writes a report with charts,
`--json` prints the whole report as JSON. A bad line is reported with its number and skipped; it never
stops the run. Exit status: 0 done (whatever was found), 2 the file cannot be read or the rules are broken.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import IO

from ..corpus import TYPING_CPS, BadLine, read_lines
from ..engine import Coach
from ..rulebook.loader import default_rules_dir
from .report import render_html, render_json, render_text
from .runner import Audit

MAX_PRINTED_BAD_LINES = 50


class Progress:
    """A one-line progress bar on stderr (a terminal only, or when forced)."""

    def __init__(self, stream: IO[str], total_bytes: int | None, enabled: bool):
        self.stream = stream
        self.total = total_bytes
        self.enabled = enabled
        self.shown = False
        self.last = 0.0
        self.started = time.perf_counter()

    def update(self, chats: int, done_bytes: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        rate = chats / max(now - self.started, 1e-9)
        if self.total:
            share = min(1.0, done_bytes / self.total)
            filled = int(share * 30)
            bar = "█" * filled + "░" * (30 - filled)
            eta = (now - self.started) * (1 - share) / share if share > 0 else 0
            text = f"\r{bar} {share * 100:5.1f}%  {chats} chats  {rate:,.0f}/s  ~{eta:.0f} s left "
        else:
            text = f"\r{chats} chats  {rate:,.0f}/s "
        self.stream.write(text)
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def add_audit_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("audit", help="audit exported chats (JSON Lines): every operator message, as typed",
                       description=__doc__.split("\n")[0])
    p.add_argument("file", help="the chats, one JSON object per line (docs/audit.md); - for stdin")
    p.add_argument("--html", metavar="REPORT.html", help="also write an HTML report with charts")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON (instead of the summary)")
    p.add_argument("--rules", metavar="DIR", help="rules directory (default: $COACH_RULES or ./rules)")
    p.add_argument("--worst", type=int, default=20, metavar="N", help="how many worst examples to keep (default 20)")
    p.add_argument("--ui-lang", choices=["ru", "en"], default="ru",
                   help="the language the warnings are worded in, whatever each chat's (default ru: the reports' "
                        "readers are the supervisors)")
    p.add_argument("--typing-speed", type=float, default=TYPING_CPS, metavar="CPS",
                   help=f"characters per second to estimate when a message was begun, when the export does not "
                        f"say (default {TYPING_CPS:g}; 0: do not estimate)")
    progress = p.add_mutually_exclusive_group()
    progress.add_argument("--progress", action="store_true", help="show the progress bar even when not a terminal")
    progress.add_argument("--no-progress", action="store_true", help="never show the progress bar")
    p.set_defaults(func=cmd_audit)


def _lines(stream: IO[bytes], counter: list[int]) -> Iterator[bytes]:
    for raw in stream:
        counter[0] += len(raw)
        yield raw


def cmd_audit(args: argparse.Namespace) -> int:
    directory = Path(args.rules) if args.rules else default_rules_dir()
    coach = Coach.load(directory)
    for error in coach.errors:
        print(f"rule file error: {error}", file=sys.stderr)
    if not coach.rulebook.rules:
        print(f"coach audit: no rules loaded from {directory}", file=sys.stderr)
        return 2
    total: int | None = None
    try:
        if args.file == "-":
            stream: IO[bytes] = sys.stdin.buffer
        else:
            stream = open(args.file, "rb")  # noqa: SIM115 (closed by the `with` below, after the size is read)
            total = os.fstat(stream.fileno()).st_size
    except OSError as exc:
        print(f"coach audit: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    show = args.progress or (not args.no_progress and sys.stderr.isatty())
    bar = Progress(sys.stderr, total, show)
    consumed = [0]
    audit = Audit(coach, typing_cps=args.typing_speed, worst=args.worst, ui_lang=args.ui_lang)
    printed = 0
    try:
        with stream if args.file != "-" else nullcontext(stream):
            for number, item in read_lines(_lines(stream, consumed)):
                if isinstance(item, BadLine):
                    audit.add_bad_line(item)
                    if printed < MAX_PRINTED_BAD_LINES:
                        bar.clear()
                        print(f"line {item.line}: {item.problem} — skipped", file=sys.stderr)
                        printed += 1
                else:
                    audit.add(item, number)
                bar.update(audit.chats, consumed[0])
    except OSError as exc:
        bar.clear()
        print(f"coach audit: reading {args.file} failed: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        bar.clear()
        print("coach audit: interrupted; the report covers what was read so far", file=sys.stderr)
    bar.update(audit.chats, consumed[0], force=True)
    bar.clear()
    if audit.bad_line_count > printed:
        print(f"… and {audit.bad_line_count - printed} more bad lines skipped", file=sys.stderr)
    report = audit.report()
    if args.html:
        try:
            Path(args.html).write_text(render_html(report, source=args.file), encoding="utf-8")
        except OSError as exc:
            print(f"coach audit: cannot write {args.html}: {exc.strerror}", file=sys.stderr)
            return 2
    if args.json:
        print(render_json(report))
    else:
        print(render_text(report))
        if args.html:
            print(f"HTML report: {args.html}")
    return 0
