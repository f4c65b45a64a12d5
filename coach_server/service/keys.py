"""The typed keys under which the service keeps its shared parts in the aiohttp application."""
from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

COACH_REF: web.AppKey[Any] = web.AppKey("coach_ref")  # live.CoachRef: the current Coach
LIVE_HUB: web.AppKey[Any] = web.AppKey("live_hub")  # live.LiveHub
FEEDBACK: web.AppKey[Any] = web.AppKey("feedback")  # feedback.FeedbackLog
STORE: web.AppKey[Any] = web.AppKey("store")  # store.FeedbackStore or None
STORE_RECORDER: web.AppKey[Any] = web.AppKey("store_recorder")
GUARD: web.AppKey[Any] = web.AppKey("guard")  # guard.GuardConfig
SUPERVISOR_TOKEN: web.AppKey[str | None] = web.AppKey("supervisor_token", str)
RELOAD_INTERVAL: web.AppKey[float] = web.AppKey("reload_interval", float)
WS_MAX_FRAME: web.AppKey[int] = web.AppKey("ws_max_frame", int)
RULE_WATCHER: web.AppKey[asyncio.Future] = web.AppKey("rule_watcher", asyncio.Future)
SUPERVISOR_BACKTESTER: web.AppKey[Any] = web.AppKey("supervisor_backtester")
SUPERVISOR_SAVE_LOCK: web.AppKey[asyncio.Lock] = web.AppKey("supervisor_save_lock", asyncio.Lock)
SUPERVISOR_BACKTEST_LOCK: web.AppKey[asyncio.Lock] = web.AppKey("supervisor_backtest_lock", asyncio.Lock)
