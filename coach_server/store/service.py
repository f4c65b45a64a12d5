"""Wiring a feedback store into the running service.

- every feedback event the live endpoint receives goes to the store (with the chat's current draft, masked,
  when text storage is on);
- when text storage is on, the conversations the extension reports are recorded (masked) every couple of
  seconds, so supervisors can back-test rule changes on their own chats;
- the store starts with the service and is flushed when it stops.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from aiohttp import web

from ..service.background import cancel_and_wait
from ..feedback import FeedbackEvent, chat_hash
from ..service.keys import FEEDBACK, LIVE_HUB, STORE, STORE_RECORDER
from .base import FeedbackStore

log = logging.getLogger("coach.store")

RECORD_INTERVAL_S = 2.0
MAX_TRACKED_CHATS = 20_000


def _live_chats(app: web.Application):
    hub = app.get(LIVE_HUB)
    if hub is None:
        return
    for session in list(getattr(hub, "sessions", ())):
        yield from list(getattr(session, "chats", {}).values())


def draft_of(app: web.Application, chat: str) -> str | None:
    """The current draft of the live chat whose id hashes to `chat`, if a connection has it."""
    for state in _live_chats(app):
        if chat_hash(state.chat_id) == chat:
            return state.draft or None
    return None


async def record_conversations(app: web.Application, store: FeedbackStore,
                               interval: float = RECORD_INTERVAL_S) -> None:
    seen: OrderedDict[str, tuple] = OrderedDict()
    while True:
        await asyncio.sleep(interval)
        if not store.store_text:
            continue
        try:
            for state in _live_chats(app):
                messages = state.messages
                if not messages:
                    continue
                last = messages[-1]
                fingerprint = (len(messages), last.role, last.text, last.ts, state.operator_name)
                key = chat_hash(state.chat_id)
                if seen.get(key) == fingerprint:
                    continue
                seen[key] = fingerprint
                seen.move_to_end(key)
                if len(seen) > MAX_TRACKED_CHATS:
                    seen.popitem(last=False)
                store.record_conversation(key, state.operator_name,
                                          [{"role": m.role, "text": m.text, "ts": m.ts} for m in messages])
        except Exception:  # recording is a side job: never let it end
            log.exception("recording conversations failed")


def attach_store(app: web.Application, store: FeedbackStore, *,
                 record_interval: float = RECORD_INTERVAL_S) -> None:
    app[STORE] = store

    def sink(event: FeedbackEvent) -> None:
        store.submit(event, draft_of(app, event.chat) if store.store_text else None)

    app[FEEDBACK].add_sink(sink)

    async def start(app: web.Application) -> None:
        await store.start()
        app[STORE_RECORDER] = asyncio.ensure_future(record_conversations(app, store, record_interval))

    async def stop(app: web.Application) -> None:
        await cancel_and_wait(app.get(STORE_RECORDER))
        await store.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
