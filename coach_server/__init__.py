"""Operator Coach: real-time coaching for live-chat operators.

    from coach_server import Coach
    coach = Coach.load()                      # rules from $COACH_RULES or the project's rules/
    result = coach.check({"draft": "Пройдите на сайт", "messages": [...]})
    for w in result.warnings: print(w.rule, w.message)
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .engine import Coach, Evaluation
from .models import CheckRequest, CheckResult, Message, RequestError, Warning

try:
    __version__ = version("operator-coach")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = [
    "CheckRequest",
    "CheckResult",
    "Coach",
    "Evaluation",
    "Message",
    "RequestError",
    "Warning",
    "__version__",
]
