"""Which character ranges contain a position: asked for every word of a text, against as many ranges as
the text has lines or quotations — so answered by binary search over the ranges sorted by their start with
the furthest end so far (ranges may nest or overlap), not by trying each range (quadratic on a 20,000-char
text of a few thousand quotations)."""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate


class SpanIndex:
    def __init__(self, spans: Iterable[tuple[int, int]]):
        ordered = sorted(spans)
        self._starts = [a for a, _ in ordered]
        self._reach = list(accumulate((b for _, b in ordered), max))  # the furthest end among the first k

    def _furthest(self, start: int) -> int | None:
        """The furthest end of the ranges that begin at or before `start`."""
        k = bisect_right(self._starts, start)
        return self._reach[k - 1] if k else None

    def holds(self, position: int) -> bool:
        """Some range has a <= position < b."""
        reach = self._furthest(position)
        return reach is not None and position < reach

    def covers(self, start: int, end: int) -> bool:
        """Some range has a <= start and end <= b."""
        reach = self._furthest(start)
        return reach is not None and end <= reach
