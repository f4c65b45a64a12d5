"""The service's own record of garbage-collector pauses (service/gcpauses.py, `/healthz` process.gc)."""
from __future__ import annotations

import gc

from coach_server.service.gcpauses import GcPauses


def test_each_collection_is_counted_and_timed_in_its_generation():
    pauses = GcPauses()
    pauses.watch()
    pauses.watch()  # watching twice counts once
    try:
        junk = []
        for _ in range(2000):
            cycle: list = []
            cycle.append(cycle)  # garbage only a collection frees
            junk.append(cycle)
        del junk
        gc.collect(0)
        gc.collect(1)
        gc.collect()
    finally:
        pauses.stop()
    summary = pauses.summary()
    assert [summary[f"gen{g}"]["collections"] >= 1 for g in range(3)] == [True, True, True]
    for g in range(3):
        assert 0 < pauses.longest_s[g] <= pauses.total_s[g]
        assert summary[f"gen{g}"]["longest_ms"] == round(pauses.longest_s[g] * 1e3, 1)
    assert summary["thresholds"] == list(gc.get_threshold())
    counted = pauses.count[:]
    gc.collect()
    assert pauses.count == counted  # stopped: no longer counted
