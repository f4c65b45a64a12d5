"""The composition root: the one place that wires the parts into the service `coach serve` runs.

    engine (Coach) ─┬─ live hub (service/live.py) ── /v1/live
                    ├─ API routes (service/api.py) ── /healthz, /v1/check, /v1/rules, …
                    ├─ console adapters (service/adapters.py) ── /v1/adapters (--adapters DIR, or the team node's)
                    ├─ rule watcher (service/rulewatch.py) ── reloads rules/, tells the live hub
                    ├─ team watcher (service/teamwatch.py) ── the team's verdicts → its figures, tells the live hub
                    └─ pages (web/demo, web/trainer, web/supervisor)
    feedback log ─── store (store/): events as they come, the chats' transcripts every 2 s (text storage on)

Every request passes the guard (service/guard.py) and the error middleware (service/httpkit.py) first.
`service/` knows nothing of `web/` or `store/`; this module is the only one that knows them all.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from .engine import Coach
from .feedback import FeedbackEvent, FeedbackLog
from .rulebook.versions import LocalRuleVersions
from .service import adapters, api
from .service.adapters import AdapterShelf
from .service.background import cancel_and_wait, in_background
from .service.follow import TeamNode
from .service.gcpauses import PAUSES
from .service.guard import GuardConfig, add_response_headers, guard_middleware
from .service.httpkit import (
    LINGER_S,
    MAX_BODY_BYTES,
    SUPERVISOR_TOKEN,
    TOKEN_HOLDERS,
    json_errors,
    quiet_malformed_requests,
)
from .service.keys import COACH, FEEDBACK, RULES, TEAM, WORKER
from .service.live import LiveHub
from .service.memory import MemoryGuard
from .service.rulewatch import CHECK_INTERVAL_S, RuleSource, RuleWatcher
from .service.teamwatch import TeamNodeFigures, TeamWatcher
from .service.token import TokenHolder
from .store import Store
from .web import common as web_common
from .web.demo import routes as demo
from .web.supervisor import routes as supervisor
from .web.trainer import routes as trainer

log = logging.getLogger("coach.store")

RECORD_INTERVAL_S = 2.0
MAX_TRACKED_CHATS = 20_000
# Stopping (SIGTERM, Ctrl+C) takes at most about this: live clients are told at once (1001) and given a
# second to close, requests in flight a second to finish, the store a second to write what is queued (what
# it cannot write by then stays in its spool file and is written on the next start).
STOP_GRACE_S = 1.0


@dataclass
class TeamWiring:
    """What a service in a team has beyond the single operator's: where its rules come from (the team's
    store or a team node; None: the rules directory), where it keeps the last good version of them, more
    tokens with their holders' names and roles, and which of `--workers` processes this is."""

    rules_source: RuleSource | None = None
    snapshot: Path | None = None
    tokens: Sequence[TokenHolder] = ()
    worker: tuple[int, int] = (0, 1)
    check_interval: float = CHECK_INTERVAL_S  # the longest wait between two looks at the source
    # console adapters served to extensions and followers: a directory of them (--adapters), or the team node's
    adapters_dir: Path | None = None
    adapter_source: TeamNode | None = None
    adapter_snapshot: Path | None = None
    rule_versions: Path | None = None  # rules from a directory: where its versions are kept (None: not kept)
    # the team's own figures from a team node (--follow; else from the store, where the verdicts are), and where
    # the last good ones are kept
    team_figures: TeamNodeFigures | None = None
    team_snapshot: Path | None = None


def build_app(coach: Coach, *, reload_interval: float = 1.0, feedback: FeedbackLog | None = None,
              supervisor_token: str | None = None, guard: GuardConfig | None = None,
              store: Store | None = None, team: TeamWiring | None = None) -> web.Application:
    """The whole service. `guard` is the Host/Origin policy (default: loopback, our extension's origin);
    `store` keeps feedback events and recorded chats (None: events stay in memory only); `team` says
    where the rules come from when not from the rules directory, and the rest a team node needs."""
    guard = guard or GuardConfig()
    feedback = feedback or FeedbackLog()
    quiet_malformed_requests()  # a malformed request is a throttled refusal line, not a traceback
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[guard_middleware(guard), json_errors],
                          handler_args={"lingering_time": LINGER_S})
    app.on_response_prepare.append(add_response_headers)
    hub = LiveHub(coach, feedback)
    team = team or TeamWiring()
    rules = RuleWatcher(coach, reload_interval, source=team.rules_source, snapshot=team.snapshot,
                        check_interval=team.check_interval,
                        versions=LocalRuleVersions(team.rule_versions) if team.rule_versions is not None else None)
    rules.listeners.append(hub.rules_changed)  # every connected chat is re-checked with the new rules
    # the team's verdicts: from the team node a follower follows, else from the store they are written to
    teamwatch = TeamWatcher(coach, team.team_figures if team.team_figures is not None else store,
                            snapshot=team.team_snapshot, check_interval=team.check_interval,
                            mode="follow" if team.team_figures is not None else "store")
    teamwatch.listeners.append(hub.rules_changed)  # a rule the verdicts silenced leaves the panels at once
    app[SUPERVISOR_TOKEN] = supervisor_token
    app[TOKEN_HOLDERS] = tuple(team.tokens)
    app[WORKER] = team.worker
    app[COACH] = coach
    app[FEEDBACK] = feedback
    app[RULES] = rules
    app[TEAM] = teamwatch
    api.register(app, hub)
    shelf = AdapterShelf(team.adapters_dir, source=team.adapter_source, snapshot=team.adapter_snapshot,
                         interval=reload_interval, check_interval=team.check_interval)
    adapters.register(app, shelf)
    app.cleanup_ctx.append(in_background(shelf.watch))
    web_common.register(app)
    demo.register(app)
    trainer.register(app)
    supervisor.register(app, store)
    app.cleanup_ctx.append(in_background(rules.watch))
    app.cleanup_ctx.append(in_background(teamwatch.watch))
    guard_memory = MemoryGuard(coach.shed_memory, shed_more=hub.shed_memory,  # the RSS stays bounded
                               allowance=lambda: hub.held_analysis / 2**20)
    app.cleanup_ctx.append(in_background(guard_memory.watch))

    async def going_away(app: web.Application) -> None:
        await hub.close_all()  # before aiohttp waits for the handlers: live sockets would hold it up

    app.on_shutdown.append(going_away)
    app.on_startup.append(rules.first_sync)  # a store's or team node's rules before the first request
    app.on_startup.append(teamwatch.first_sync)
    app.on_shutdown.append(rules.closing)
    app.on_shutdown.append(teamwatch.closing)
    app.on_cleanup.append(rules.close)
    app.on_cleanup.append(teamwatch.close)
    if store is not None:
        attach_store(app, store, hub, feedback)
    return app


# --- the store: what the live hub sees, kept ----------------------------------------------------------------
def attach_store(app: web.Application, store: Store, hub: LiveHub, feedback: FeedbackLog, *,
                 record_interval: float = RECORD_INTERVAL_S) -> None:
    """Every feedback event goes to the store (with the chat's current draft, masked, when text storage is on);
    with text storage on, the chats the extension reports are recorded (masked) every `record_interval` s,
    so supervisors can back-test rule changes on their own chats. The store starts and stops with the app."""

    def sink(event: FeedbackEvent) -> bool:
        return store.submit(event, hub.draft_of(event.chat) if store.store_text else None)

    feedback.add_sink(sink, store.sync_spool)

    async def running(app: web.Application) -> AsyncIterator[None]:
        await store.start()
        recorder = asyncio.ensure_future(record_conversations(hub, store, record_interval))
        yield
        await cancel_and_wait(recorder)
        await store.close(timeout=STOP_GRACE_S)

    app.cleanup_ctx.append(running)


async def record_conversations(hub: LiveHub, store: Store, interval: float = RECORD_INTERVAL_S) -> None:
    seen: OrderedDict[str, tuple[object, ...]] = OrderedDict()
    while True:
        await asyncio.sleep(interval)
        if not store.store_text:
            continue
        try:
            for chat in hub.chats():
                messages = chat.messages
                if not messages:
                    continue
                last = messages[-1]
                # (the text's hash, not the text: a fingerprint must not keep 20,000 chats' last messages alive)
                fingerprint = (len(messages), last.role, hash(last.text), last.ts, chat.operator_name)
                if seen.get(chat.key) == fingerprint:
                    continue
                seen[chat.key] = fingerprint
                seen.move_to_end(chat.key)
                if len(seen) > MAX_TRACKED_CHATS:
                    seen.popitem(last=False)
                store.record_conversation(chat.key, chat.operator_name,
                                          [{"role": m.role, "text": m.text, "ts": m.ts} for m in messages])
        except Exception:  # recording is a side job: never let it end
            log.exception("recording conversations failed")


# --- running ---------------------------------------------------------------------------------------------
def settle_memory(coach: Coach) -> None:
    """A long-running service: warm the engine once, then move everything loaded so far (dictionaries,
    compiled rules) out of the garbage collector's sight, so collections only walk what checks create and
    their pauses do not grow with the process; and collect young objects less often (a check makes many).
    The middle generation is collected every third young collection, not every 21st: it holds what lived
    through a young collection (the chats' analysed messages, drafts being typed), and walking twenty
    batches of it at once held the event loop ~95 ms under 400 typing operators, three batches ~55 ms
    (bench/README.md) — the same work in all, in shorter pauses."""
    coach.check({"draft": "Здравствуйте! Пройдите, пожалуйста, на сайт. Hello!", "messages": [
        {"role": "client", "text": "Сколько стоит доставка?"}]})
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 2, 20)
    PAUSES.watch()  # from here on: what serving costs, not loading


def run(app: web.Application, host: str, port: int, *, reuse_port: bool = False,
        ssl_context: ssl.SSLContext | None = None) -> None:
    """Serve until interrupted (Ctrl+C, SIGTERM): then stop within a few seconds (see STOP_GRACE_S).
    `reuse_port`: one of `--workers` processes sharing the port; `ssl_context`: HTTPS (a team node others
    reach over the network)."""
    web.run_app(app, host=host, port=port, print=None, access_log=None, reuse_port=reuse_port or None,
                ssl_context=ssl_context, shutdown_timeout=STOP_GRACE_S)
