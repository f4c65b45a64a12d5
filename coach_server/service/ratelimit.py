"""Rates: a token bucket (the live endpoint's frame limit is one), and log lines about client mistakes that
cannot flood the log however many bad requests arrive."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable


class TokenBucket:
    """`capacity` at once, refilled at `rate` per second."""

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float] = time.monotonic):
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.clock = clock
        self.stamp = clock()

    def take(self) -> float:
        """0.0 when one may pass (and takes it), else the seconds until one may."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class LogThrottle:
    """One log line per event, at most `burst` at once and `rate` a second after that. The lines held back
    are counted, and the next line that passes says how many there were: a client repeating a bad request
    in a loop costs the log a line a second, not a line a request."""

    def __init__(self, logger: logging.Logger, burst: float = 20, rate: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self.logger = logger
        self.bucket = TokenBucket(burst, rate, clock)
        self.held_back = 0

    def log(self, level: int, message: str, *args: object, exc_info: bool = False) -> bool:
        """Log the line unless over the rate (then count it); True when it was logged."""
        if not self.logger.isEnabledFor(level):
            return False
        if self.bucket.take() > 0.0:
            self.held_back += 1
            return False
        if self.held_back:
            message += " (%d more lines like these held back)"
            args = (*args, self.held_back)
            self.held_back = 0
        self.logger.log(level, message, *args, exc_info=exc_info)
        return True
