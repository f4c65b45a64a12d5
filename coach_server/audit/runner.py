"""The audit: every operator message of every exported chat, checked as if it were being typed then.

Counts per rule and per operator, the worst examples (by the severity of what they got), examples per rule,
how long clients waited for a first reply, bad lines with their numbers — and how fast it all ran.
"""
from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..corpus import TYPING_CPS, BadLine, Chat, Moment, first_reply_seconds, moments, read_lines
from ..engine import Coach
from ..models import SEVERITIES, Lang, RequestError, Severity, Warning, worse

# how much a message's worst warning per rule weighs when the worst examples are picked: error 3 … info 1
SEVERITY_WEIGHT = {s: len(SEVERITIES) - rank for rank, s in enumerate(SEVERITIES)}
# first-reply time buckets: (upper bound in seconds, label, the label in the HTML report)
REPLY_BUCKETS: list[tuple[float, str, str]] = [
    (30, "< 30 s", "до 30 с"), (60, "30–60 s", "30–60 с"), (120, "1–2 min", "1–2 мин"), (300, "2–5 min", "2–5 мин"),
    (900, "5–15 min", "5–15 мин"), (float("inf"), "> 15 min", "больше 15 мин"),
]
MAX_LISTED_PROBLEMS = 200


@dataclass
class RuleTally:
    messages: int = 0  # operator messages this rule flagged (once per message)
    warnings: int = 0
    by_severity: Counter[str] = field(default_factory=Counter)  # the message's worst severity for this rule
    operators: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)
    quiet: int = 0  # warnings under the confidence floor: not shown to operators, counted apart


@dataclass
class OperatorTally:
    messages: int = 0
    flagged: int = 0
    warnings: int = 0
    chats: int = 0
    rules: Counter[str] = field(default_factory=Counter)


class Audit:
    """Accumulates the audit of chats one by one (`add`); `report()` gives the result as plain data."""

    def __init__(self, coach: Coach, *, typing_cps: float = TYPING_CPS, worst: int = 20, examples_per_rule: int = 3,
                 context: int = 3, ui_lang: Lang | None = None):
        self.coach = coach
        coach.verify_fixes = False  # the audit counts remarks; it offers no fix (fixes.py, step 2)
        self.ui_lang = ui_lang  # the language of the report's reader: the warnings are worded in it
        self.typing_cps = typing_cps
        self.worst_n = worst
        self.examples_per_rule = examples_per_rule
        self.context = context
        self.rules: dict[str, RuleTally] = {}
        self.operators: dict[str, OperatorTally] = {}
        self.chats = 0
        self.messages = 0
        self.flagged = 0
        self.warnings = 0
        self.quiet = 0  # warnings under the confidence floor, not shown to operators (not in `warnings`)
        self.unanswered_chats = 0
        self.reply_buckets: Counter[str] = Counter()
        self.bad_lines: list[dict[str, Any]] = []
        self.bad_line_count = 0
        self.skipped: list[dict[str, Any]] = []
        self.skipped_count = 0
        self._worst: list[tuple[int, int, int, dict[str, Any]]] = []  # min-heap of (score, warnings, -serial, example)
        self._serial = 0
        self.started = time.perf_counter()
        self.elapsed = 0.0

    # --- feeding -------------------------------------------------------------------------------------
    def add_bad_line(self, bad: BadLine) -> None:
        self.bad_line_count += 1
        if len(self.bad_lines) < MAX_LISTED_PROBLEMS:
            self.bad_lines.append(bad.to_json())

    def add(self, chat: Chat, line: int | None = None) -> None:
        self.chats += 1
        reply = first_reply_seconds(chat)
        if reply is None:
            if any(m.role == "client" for m in chat.messages) and not any(m.role == "operator" for m in chat.messages):
                self.unanswered_chats += 1
        else:
            for bound, label, _ in REPLY_BUCKETS:
                if reply < bound:
                    self.reply_buckets[label] += 1
                    break
        seen_operators: set[str] = set()
        for moment in moments(chat, self.typing_cps):
            moment.request.include_quiet = True  # counted apart: what operators would not see
            try:
                request = moment.request
                if self.ui_lang is not None:
                    request = request.model_copy(update={"ui_lang": self.ui_lang})
                result = self.coach.check(request)
            except RequestError as exc:
                self.skipped_count += 1
                if len(self.skipped) < MAX_LISTED_PROBLEMS:
                    detail = "; ".join(f"{d.field}: {d.problem}" for d in exc.details[:2]) or exc.message
                    self.skipped.append({"line": line, "message": moment.index, "problem": detail})
                continue
            self.messages += 1
            name = moment.operator or "—"
            op = self.operators.get(name)
            if op is None:
                op = self.operators[name] = OperatorTally()
            if name not in seen_operators:
                seen_operators.add(name)
                op.chats += 1
            op.messages += 1
            for w in result.warnings:
                if w.quiet:
                    self.quiet += 1
                    tally = self.rules.get(w.rule)
                    if tally is None:
                        tally = self.rules[w.rule] = RuleTally()
                    tally.quiet += 1
            warnings = [w for w in result.warnings if not w.quiet]
            if not warnings:
                continue
            self.flagged += 1
            op.flagged += 1
            self.warnings += len(warnings)
            op.warnings += len(warnings)
            worst_by_rule: dict[str, Severity] = {}
            for w in warnings:
                current = worst_by_rule.get(w.rule)
                worst_by_rule[w.rule] = w.severity if current is None else worse(w.severity, current)
            example = None
            for rule, severity in worst_by_rule.items():
                tally = self.rules.get(rule)
                if tally is None:
                    tally = self.rules[rule] = RuleTally()
                tally.messages += 1
                tally.by_severity[severity] += 1
                tally.operators[name] += 1
                op.rules[rule] += 1
                if len(tally.examples) < self.examples_per_rule or (
                        severity == "error" and any(e["severity"] != "error" for e in tally.examples)):
                    example = example or self._example(chat, line, moment, warnings)
                    entry = {**example, "severity": severity, "rule": rule}
                    if len(tally.examples) < self.examples_per_rule:
                        tally.examples.append(entry)
                    else:  # an error example replaces a milder one
                        i = next(i for i, e in enumerate(tally.examples) if e["severity"] != "error")
                        tally.examples[i] = entry
            for w in warnings:
                self.rules[w.rule].warnings += 1
            score = sum(SEVERITY_WEIGHT[s] for s in worst_by_rule.values())
            self._serial += 1
            key = (score, len(warnings), -self._serial)
            if len(self._worst) < self.worst_n or key > self._worst[0][:3]:
                example = example or self._example(chat, line, moment, warnings)
                item = (*key, {**example, "score": score})
                if len(self._worst) < self.worst_n:
                    heapq.heappush(self._worst, item)
                else:
                    heapq.heapreplace(self._worst, item)

    def _example(self, chat: Chat, line: int | None, moment: Moment, warnings: list[Warning]) -> dict[str, Any]:
        request = moment.request
        context = [{"role": m.role, "text": m.text, "ts": m.ts} for m in request.messages[-self.context:]]
        return {
            "line": line, "chat_id": chat.chat_id, "message": moment.index, "operator": moment.operator,
            "ts": request.now, "draft": request.draft, "context": context,
            "warnings": [w.model_dump() for w in warnings],
        }

    # --- result --------------------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        self.elapsed = time.perf_counter() - self.started
        elapsed = max(self.elapsed, 1e-9)
        rules = []
        for rule, t in sorted(self.rules.items(), key=lambda kv: (-kv[1].messages, kv[0])):
            if not t.messages and not t.warnings:
                continue  # quiet only: counted in `quiet`
            rules.append({
                "rule": rule, "title": self.coach.rulebook.title(rule), "messages": t.messages, "warnings": t.warnings,
                "share": round(t.messages / self.messages, 4) if self.messages else 0.0,
                "by_severity": {s: t.by_severity.get(s, 0) for s in SEVERITIES},
                "top_operators": [{"operator": o, "messages": n} for o, n in t.operators.most_common(5)],
                "examples": t.examples,
            })
        operators = []
        for name, o in sorted(self.operators.items(), key=lambda kv: (-kv[1].messages, kv[0])):
            operators.append({
                "operator": name, "chats": o.chats, "messages": o.messages, "flagged": o.flagged,
                "warnings": o.warnings, "flagged_share": round(o.flagged / o.messages, 4) if o.messages else 0.0,
                "rules": dict(o.rules.most_common()),
            })
        worst = [item[3] for item in sorted(self._worst, reverse=True)]
        return {
            "summary": {
                "chats": self.chats, "messages": self.messages, "flagged": self.flagged, "warnings": self.warnings,
                "flagged_share": round(self.flagged / self.messages, 4) if self.messages else 0.0,
                "quiet": self.quiet,
                "quiet_by_rule": {r: t.quiet for r, t in sorted(self.rules.items()) if t.quiet},
                "unanswered_chats": self.unanswered_chats, "bad_lines": self.bad_line_count,
                "skipped_messages": self.skipped_count,
                "elapsed_s": round(self.elapsed, 3), "chats_per_s": round(self.chats / elapsed, 1),
                "messages_per_s": round(self.messages / elapsed, 1),
            },
            "rules": rules,
            "operators": operators,
            "worst": worst,
            "first_reply": [{"bucket": label, "label_ru": ru, "chats": self.reply_buckets.get(label, 0)}
                            for _, label, ru in REPLY_BUCKETS],
            "bad_lines": self.bad_lines,
            "skipped": self.skipped,
        }


def audit_lines(lines: Iterable[str | bytes], coach: Coach, *, progress: Callable[[Audit, int], None] | None = None,
                **options: Any) -> dict[str, Any]:
    """Audit a JSONL stream; `progress(audit, line_number)` is called after every line."""
    audit = Audit(coach, **options)
    for number, item in read_lines(lines):
        if isinstance(item, BadLine):
            audit.add_bad_line(item)
        else:
            audit.add(item, number)
        if progress is not None:
            progress(audit, number)
    return audit.report()
