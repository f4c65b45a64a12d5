"""Back-testing a rule change on real chats before it is saved.

A corpus (uploaded JSONL of exported chats, the conversations the store recorded, or the trainer's
scenarios) is replayed message by message: each operator message is checked as if it were being typed at
that moment, with the current rules and with the proposed ones. The answer, rule by rule: how many
operator messages each flags now and would flag after the change, and the messages whose warnings change.
Every count is of operator messages: one with three warnings of a rule counts once in that rule's row, and
one flagged by two rules counts in both rows — so `flagged` (a warning of any rule) is not the rows' sum,
while `edited_flagged` (a warning of an edited rule) is exactly the edited rule's row.

The current rules' answers are cached per corpus and rulebook, so moving a threshold back and forth only
re-runs the edited rules. Text analysis is shared between the two runs (each message is analysed once).
"""
from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...corpus import BadLine, Chat, moments
from ...engine import Coach
from ...models import SEVERITIES, RequestError, Severity, Warning, worse
from ...rulebook.loader import Rule, Rulebook
from ...rulebook.precision import PrecisionTable
from .editing import proposed_book

MAX_EXAMPLES = 20
MAX_CORPORA = 8
MAX_KEPT_CHARS = 24_000_000  # message text of every corpus kept together: past it the oldest are forgotten
MAX_BASELINES = 8


@dataclass
class Corpus:
    id: str
    name: str
    source: str  # upload | recorded | scenarios
    chats: list[tuple[int | None, Chat]]
    bad_lines: list[BadLine] = field(default_factory=list)
    created: float = field(default_factory=time.time)

    @property
    def messages(self) -> int:
        return sum(1 for _, chat in self.chats for m in chat.messages if m.role == "operator" and m.text.strip())

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "source": self.source, "chats": len(self.chats),
                "operator_messages": self.messages, "bad_lines": len(self.bad_lines),
                "bad_line_examples": [b.to_json() for b in self.bad_lines[:20]], "created": self.created}


# One warning as the back-test compares it: (message, start, end, suggestion, severity).
Item = tuple[str, int | None, int | None, str | None, Severity]
# rule → (the worst severity, its warnings) for one check result; None: the check refused the request.
Summary = dict[str, tuple[Severity, list[Item]]]


def _summary(warnings: Iterable[Warning]) -> Summary:
    """rule → (worst severity, [(message, start, end, suggestion, severity), …]) for one check result."""
    out: Summary = {}
    for w in warnings:
        entry = out.get(w.rule)
        item = (w.message, w.start, w.end, w.suggestion, w.severity)
        if entry is None:
            out[w.rule] = (w.severity, [item])
        else:
            out[w.rule] = (worse(w.severity, entry[0]), entry[1] + [item])
    return out


def _no_counts() -> dict[str, int]:
    """A rule's tally over a corpus: messages it flagged, by their worst severity, and in all."""
    return {**dict.fromkeys(SEVERITIES, 0), "messages": 0}


def _warnings_json(entry: tuple[Severity, list[Item]] | None) -> list[dict[str, Any]]:
    if entry is None:
        return []
    return [{"message": m, "start": s, "end": e, "suggestion": sug, "severity": sev} for m, s, e, sug, sev in entry[1]]


class BackTester:
    """Corpora in memory and the cached answers of the current rules on them."""

    def __init__(self) -> None:
        self.corpora: OrderedDict[str, Corpus] = OrderedDict()
        self._baselines: OrderedDict[tuple[str, str, int], list[Summary | None]] = OrderedDict()
        self._coaches: dict[str, Coach] = {}

    def add(self, name: str, source: str, chats: Sequence[tuple[int | None, Chat]], bad_lines: list[BadLine] | None = None,
            corpus_id: str | None = None) -> Corpus:
        corpus = Corpus(corpus_id or secrets.token_hex(6), name, source, list(chats), bad_lines or [])
        if corpus.id in self.corpora:
            self.forget(corpus.id)
        self.corpora[corpus.id] = corpus
        while len(self.corpora) > MAX_CORPORA or (len(self.corpora) > 1 and self._kept_chars() > MAX_KEPT_CHARS):
            oldest = next(iter(self.corpora))
            self.forget(oldest)
        return corpus

    def _kept_chars(self) -> int:
        return sum(len(m.text or "") for c in self.corpora.values() for _, chat in c.chats for m in chat.messages)

    def forget(self, corpus_id: str) -> None:
        self.corpora.pop(corpus_id, None)
        for key in [k for k in self._baselines if k[0] == corpus_id]:
            del self._baselines[key]

    def _coach_for(self, book: Rulebook, precision: PrecisionTable | None) -> Coach:
        """A Coach of its own for back-tests (the live one's caches stay the operators'), with the figures in
        force (the team's verdicts included: what operators would see)."""
        coach = self._coaches.get(book.digest)
        if coach is None or coach.rulebook is not book:
            self._coaches = {book.digest: _counting(Coach(book, precision=precision))}
            coach = self._coaches[book.digest]
        if precision is not None:
            coach.precision = precision
        return coach

    def run(self, book: Rulebook, corpus: Corpus, proposals: dict[str, Rule],
            precision: PrecisionTable | None = None) -> dict[str, Any]:
        """Current vs proposed, rule by rule, over every operator message of `corpus` (CPU-bound: call it in a
        worker thread). `precision`: the figures in force (default: the project's)."""
        started = time.perf_counter()
        current = self._coach_for(book, precision)
        proposed = _counting(Coach(proposed_book(book, proposals), share_analysis_with=current))  # each text once
        edited = set(proposals)
        team = tuple(sorted(current.precision.team.items()))  # the team's figures change what is shown
        key = (corpus.id, book.digest, hash(team))
        cached = self._baselines.get(key)
        fresh = cached is None
        baseline: list[Summary | None] = [] if cached is None else cached
        counts_now: dict[str, dict[str, int]] = {}
        counts_new: dict[str, dict[str, int]] = {}
        changes: dict[str, dict[str, list[dict[str, Any]]]] = {rid: {"newly_flagged": [], "no_longer_flagged": [], "changed": []}
                                               for rid in edited}
        change_counts: dict[str, dict[str, int]] = {rid: {"newly_flagged": 0, "no_longer_flagged": 0, "changed": 0}
                                                    for rid in edited}
        flagged_now = flagged_new = 0  # messages with a warning of any rule
        edited_now = edited_new = 0  # messages with a warning of an edited rule: what the rows of those rules count
        messages = skipped = 0
        i = 0
        for line, chat in corpus.chats:
            for moment in moments(chat):
                if fresh:
                    try:
                        now_summary = _summary(current.check(moment.request).warnings)
                    except RequestError:
                        now_summary = None
                    baseline.append(now_summary)
                else:
                    now_summary = baseline[i]
                i += 1
                if now_summary is None:
                    skipped += 1
                    continue
                messages += 1
                new_summary = dict(now_summary)
                if edited:
                    for rid in edited:
                        new_summary.pop(rid, None)
                    new_summary.update(_summary(proposed.check(moment.request, only=edited).warnings))
                for rid, (severity, _) in now_summary.items():
                    c = counts_now.setdefault(rid, _no_counts())
                    c[severity] += 1
                    c["messages"] += 1
                for rid, (severity, _) in new_summary.items():
                    c = counts_new.setdefault(rid, _no_counts())
                    c[severity] += 1
                    c["messages"] += 1
                flagged_now += bool(now_summary)
                flagged_new += bool(new_summary)
                edited_now += any(rid in now_summary for rid in edited)
                edited_new += any(rid in new_summary for rid in edited)
                for rid in edited:
                    before, after = now_summary.get(rid), new_summary.get(rid)
                    if before is None and after is None:
                        continue
                    if before is None:
                        kind = "newly_flagged"
                    elif after is None:
                        kind = "no_longer_flagged"
                    elif before[0] != after[0] or [w[:4] for w in before[1]] != [w[:4] for w in after[1]]:
                        kind = "changed"
                    else:
                        continue
                    change_counts[rid][kind] += 1
                    if len(changes[rid][kind]) < MAX_EXAMPLES:
                        changes[rid][kind].append({
                            "line": line, "chat_id": chat.chat_id, "message": moment.index,
                            "operator": moment.operator, "draft": moment.request.draft,
                            "context": [{"role": m.role, "text": m.text} for m in moment.request.messages[-2:]],
                            "before": _warnings_json(before), "after": _warnings_json(after)})
        if fresh:
            self._baselines[key] = baseline
            while len(self._baselines) > MAX_BASELINES:
                self._baselines.popitem(last=False)
        took = time.perf_counter() - started
        rules: list[dict[str, Any]] = []
        for rid in sorted(set(proposed.rulebook.rules) | set(counts_now) | set(counts_new)):
            now_c = counts_now.get(rid) or _no_counts()
            new_c = counts_new.get(rid) or _no_counts()
            entry = {"rule": rid, "title": proposed.rulebook.title(rid), "edited": rid in edited,
                     "current": now_c["messages"], "proposed": new_c["messages"],
                     "delta": new_c["messages"] - now_c["messages"],
                     "current_by_severity": {k: now_c[k] for k in SEVERITIES},
                     "proposed_by_severity": {k: new_c[k] for k in SEVERITIES}}
            if rid in edited:
                entry["changes"] = change_counts[rid]
                entry["examples"] = changes[rid]
            rules.append(entry)
        rules.sort(key=lambda r: (not r["edited"], -max(r["current"], r["proposed"]), r["rule"]))
        return {
            "corpus": corpus.summary(), "chats": len(corpus.chats), "messages": messages, "skipped": skipped,
            "flagged": {"current": flagged_now, "proposed": flagged_new},
            "edited_flagged": {"current": edited_now, "proposed": edited_new},
            "rules": rules, "edited": sorted(edited), "cached_baseline": not fresh,
            "took_s": round(took, 3), "messages_per_s": round(messages / took, 1) if took > 0 else None,
            "chats_per_s": round(len(corpus.chats) / took, 1) if took > 0 else None,
        }


def _counting(coach: Coach) -> Coach:
    """A coach for counting remarks: the fixes it would offer are not checked (fixes.py, step 2)."""
    coach.verify_fixes = False
    return coach
