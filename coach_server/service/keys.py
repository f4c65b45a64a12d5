"""The typed keys under which the service keeps its shared parts in the aiohttp application (the
supervisor token's key is in httpkit, beside the one check that reads it)."""
from __future__ import annotations

from aiohttp import web

from ..engine import Coach
from ..feedback import FeedbackLog
from .rulewatch import RuleWatcher
from .teamwatch import TeamWatcher

COACH: web.AppKey[Coach] = web.AppKey("coach", Coach)
FEEDBACK: web.AppKey[FeedbackLog] = web.AppKey("feedback", FeedbackLog)
RULES: web.AppKey[RuleWatcher] = web.AppKey("rules", RuleWatcher)
TEAM: web.AppKey[TeamWatcher] = web.AppKey("team", TeamWatcher)  # the team's own figures (its verdicts)
# (this process's number, how many) when `coach serve --workers N` runs several processes on one port
WORKER: web.AppKey[tuple[int, int]] = web.AppKey("worker", tuple)
