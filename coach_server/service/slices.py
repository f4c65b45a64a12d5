"""Checks in slices: how the service keeps one long new text from holding the event loop.

A check analyses what it has not seen before — its texts' tokens, its words' morphology — and that is what
can take long: 20,000 characters of words never seen cost half a second to analyse at once. The service
therefore checks within a budget (`AnalysisBudget`: ~100 new word forms, 5,000 tokens of a long text, new
texts up to 20,000 characters — some 20 ms); a check that needs more stops, keeps what it analysed, lets
the other connections run, and goes on from there; after a long analysis the rules get a slice of their
own. The answer is the same as in one go; only the time is shared out.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..chatmemory import ChatMemory
from ..engine import Coach, Evaluation, RulesProgress
from ..models import CheckRequest
from ..text.analysis import AnalysisBudget, AnalysisPending, RulesPending

SLICE_TARGET_MS = 20.0


class _Pace:
    """How much of the default budget a slice gets: the budgets are counts (forms, tokens, characters) sized
    for a quiet machine; on a slower or busier one the same counts take longer. After each slice the share
    follows the time it took — down at once when a slice overran the target, back up slowly — so a slice
    stays near SLICE_TARGET_MS on any machine (issue 19: 60–100 ms slices on a loaded one)."""

    def __init__(self) -> None:
        self.share = 0.5  # until the first slices tell how fast this machine is

    def budget(self, rules_may_wait: bool) -> AnalysisBudget:
        share = self.share
        return AnalysisBudget(forms=max(10, int(100 * share)), tokens=max(500, int(5_000 * share)),
                              chars=max(2_000, int(20_000 * share)), corrections=max(2, int(10 * share)),
                              rules_may_wait=rules_may_wait)

    def took(self, ms: float) -> None:
        if ms > SLICE_TARGET_MS:
            self.share = max(0.1, self.share * SLICE_TARGET_MS / ms)
        elif ms < SLICE_TARGET_MS / 2:
            self.share = min(1.0, self.share * 1.25)


_pace = _Pace()  # one per process: every check on this event loop runs on the same machine

# Loop iterations a pause between slices lets run: a small request needs a few to be answered (accepted, read,
# handled and written, one each), and with one per slice it would wait out a slice at each step.
BETWEEN_SLICES = 4


async def let_others_run() -> None:
    """A few turns of the event loop (each costs microseconds when nothing else is ready)."""
    for _ in range(BETWEEN_SLICES):
        await asyncio.sleep(0)


async def evaluate_in_slices(coach: Coach, request: Callable[[], CheckRequest | dict[str, Any]], *,
                             only: Iterable[str] | None = None, memory: ChatMemory | None = None) -> Evaluation:
    """`coach.evaluate` in slices, yielding to the event loop between them. `request` is asked again for
    each slice (a live chat may have moved on meanwhile). The result's `took_ms` is the engine time of all
    slices; `Evaluation.longest_slice_ms` the longest the loop was held. `only`, `memory`: as in
    `coach.evaluate`."""
    spent = longest = 0.0
    slices = 0
    progress = RulesProgress()
    rules_may_wait = True
    stalled = 0
    while True:
        started = time.perf_counter()
        slices += 1
        done = progress.done
        try:
            evaluation = coach.evaluate(request(), only=only, budget=_pace.budget(rules_may_wait), progress=progress,
                                        memory=memory)
        except AnalysisPending as pending:
            if isinstance(pending, RulesPending):
                # the rules may wait while they get on; a text too large for its cache is analysed again in
                # every slice, and would make them wait for ever: then they run in one
                stalled = stalled + 1 if progress.done <= done else 0
                rules_may_wait = stalled < 2
            took = (time.perf_counter() - started) * 1000
            _pace.took(took)
            spent += took
            longest = max(longest, took)
            await let_others_run()
            continue
        last = evaluation.result.took_ms
        evaluation.result.took_ms = round(spent + last, 3)
        evaluation.slices = slices
        evaluation.longest_slice_ms = round(max(longest, last), 3)
        return evaluation
