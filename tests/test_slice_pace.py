"""The slices' budget follows the machine (issue 19, item 10): a slice that overran the 20 ms target makes the
next ones smaller at once, quick ones let it grow back slowly, within bounds — so a loaded machine does not
hold the event loop 60–100 ms per slice with budgets sized for a quiet one."""
from __future__ import annotations

import asyncio

from coach_server.service.slices import SLICE_TARGET_MS, _Pace, let_others_run


def test_the_budget_shrinks_after_an_overrun_and_grows_back_slowly():
    pace = _Pace()
    pace.share = 1.0
    full = pace.budget(True)
    pace.took(SLICE_TARGET_MS * 4)  # a slice four times too long: a quarter of the budget next
    assert abs(pace.share - 0.25) < 1e-9
    smaller = pace.budget(True)
    assert smaller.tokens < full.tokens and smaller.forms < full.forms and smaller.chars < full.chars
    pace.took(SLICE_TARGET_MS * 0.75)  # near the target: unchanged
    assert abs(pace.share - 0.25) < 1e-9
    for _ in range(3):
        pace.took(1.0)
    assert 0.25 < pace.share < 1.0
    for _ in range(50):
        pace.took(1.0)
    assert pace.share == 1.0
    for _ in range(50):
        pace.took(10_000.0)
    assert pace.share == 0.1 and pace.budget(False).tokens >= 500 and pace.budget(False).rules_may_wait is False


def test_a_small_request_gets_through_in_one_pause_between_slices():
    """Between two slices of a long check, a small request (accepted, read, handled, written: a loop turn
    each) is answered in one pause, not one step per slice (the 781 KB request held /healthz ~75 ms)."""
    steps: list[int] = []

    async def small_request() -> None:
        for step in range(3):  # three turns of the loop after the one that started it
            steps.append(step)
            await asyncio.sleep(0)

    async def long_check() -> bool:
        task = asyncio.ensure_future(small_request())
        await let_others_run()  # the pause after one slice
        done_after_one_pause = task.done()
        await task
        return done_after_one_pause

    assert asyncio.run(long_check()) and steps == [0, 1, 2]
