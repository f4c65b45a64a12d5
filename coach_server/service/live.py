"""`GET /v1/live`: the WebSocket the extension keeps open (protocol in docs/live-protocol.md).

The server remembers each chat's state (messages, draft, timing) per connection, so a keystroke only
sends the draft; it answers every update with the chat's warnings and pushes fresh warnings by itself
when a timer rule crosses a threshold (the client has now waited 60 s) or the rules change.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Iterator
from itertools import count
from typing import Annotated, Any, Literal

from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .. import __version__
from ..chatmemory import ChatMemory
from ..engine import Coach, Evaluation
from ..feedback import ACTIONS, FeedbackLog, chat_hash
from ..models import (
    MAX_DRAFT_CHARS,
    MAX_ID_CHARS,
    MAX_MESSAGES,
    MAX_TS,
    MIN_TS,
    Channel,
    CheckRequest,
    ErrorDetail,
    JsonInputError,
    JsonInt,
    Lang,
    Message,
    RequestError,
    Scope,
    check_unix_ts,
    error_body,
    parse_json,
    validation_details,
)
from .guard import FrameLimiter
from .httpkit import error_response, refusals
from .slices import evaluate_in_slices

log = logging.getLogger("coach.live")

PROTOCOL_VERSION = 1
MAX_CHATS_PER_CONNECTION = 200
# Limits (docs/live-protocol.md, "Limits"): what one browser's connection may hold and send.
MAX_FRAME_BYTES = 1 << 20  # a larger text frame gets a `too_large` error; the connection stays open
HARD_FRAME_BYTES = 4 << 20  # beyond this aiohttp closes the connection (1009) without reading it all
MAX_CHAT_CHARS = 1_000_000  # message text one chat may hold (an update that would exceed it is refused)
MAX_CONNECTION_CHARS = 4_000_000  # across the connection's chats; the least recently used are dropped
MAX_CONNECTIONS = 1000  # live connections the service holds at once; more get 503
# …and across all of them, so that no sequence of frames within the limits above can grow the service
# without bound: the least recently updated chats of any connection are dropped beyond these.
MAX_HELD_CHARS = 8_000_000
MAX_HELD_MESSAGES = 100_000
# What the chats have analysed (each keeps its conversation's and its draft's analysis, so that a keystroke
# re-reads nothing: chatmemory.py), estimated as the caches estimate theirs; beyond it the least recently
# updated chats let theirs go (analysed again, from the shared caches, when they next change).
MAX_HELD_ANALYSIS_BYTES = 128 << 20
# …and one chat's at most: a chat whose analysis is larger (20,000-character texts of words never seen) keeps
# none — it is checked through the shared caches, bounded by bytes on their own, as every chat once was.
MAX_CHAT_ANALYSIS_BYTES = 1 << 20
MAX_DISMISSED_PER_CHAT = 100  # dismissals remembered per chat (the oldest are forgotten first)
GOING_AWAY_TIMEOUT_S = 1.0  # on shutdown: how long a client gets to answer the close (1001)
FRAME_BURST = 100  # frames that may arrive at once (a backlog after a pause)…
FRAME_RATE = 30.0  # …and per second after that (fast typing is 10–15 keystrokes a second; the extension
# debounces to at most 10 updates a second)
TIMER_SLACK_S = 0.05  # push just after the threshold, so the check sees it crossed


class UpdateFrame(BaseModel):
    """An `update` frame. Absent fields keep their previous value for the chat."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["update"]
    chat_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    seq: JsonInt | None = None
    draft: str | None = Field(default=None, max_length=MAX_DRAFT_CHARS)
    messages: list[Message] | None = Field(default=None, max_length=MAX_MESSAGES)
    append: bool = False
    draft_started_at: float | None = None
    operator_name: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    lang: Lang | None = None
    ui_lang: Lang | None = None
    channel: Channel | None = None
    caret: Annotated[JsonInt, Field(ge=0, le=MAX_DRAFT_CHARS)] | None = None
    scope: Scope | None = None
    include_quiet: bool | None = None  # warnings under the confidence floor too, marked "quiet": true
    now: float | None = None

    @field_validator("draft_started_at", "now")
    @classmethod
    def _times(cls, value: float | None) -> float | None:
        return check_unix_ts(value)


# What `null` sets a field to in an update (any other field: null clears it).
_NULL_MEANS: dict[str, Any] = {"draft": "", "scope": "all", "include_quiet": False}
_KEYSTROKE_FIELDS = frozenset({"type", "chat_id", "seq", "draft", "caret", "draft_started_at"})


class _Keystroke:
    """A keystroke's update — the draft, caret and when the draft was begun, as the extension sends them on
    every keystroke — read as an `UpdateFrame` would be, for a fraction of the cost of validating one."""

    __slots__ = ("caret", "chat_id", "draft", "draft_started_at", "model_fields_set", "seq")
    messages = None
    append = False
    now = None

    def __init__(self, data: dict[str, Any]):
        self.chat_id: str = data["chat_id"]
        self.seq: int | None = data.get("seq")
        self.draft: str | None = data.get("draft")
        self.caret: int | None = data.get("caret")
        started = data.get("draft_started_at")
        self.draft_started_at: float | None = None if started is None else float(started)
        self.model_fields_set = data.keys()


def _keystroke(data: dict[str, Any]) -> _Keystroke | None:
    """`data` as a keystroke's update, checked by hand against what `UpdateFrame` allows; or None: anything
    else, or anything wrong, is validated in full (and its error said as pydantic says it)."""
    if not _KEYSTROKE_FIELDS.issuperset(data):
        return None
    chat_id, draft, seq, caret = data.get("chat_id"), data.get("draft"), data.get("seq"), data.get("caret")
    started = data.get("draft_started_at")
    if (type(chat_id) is not str or not 1 <= len(chat_id) <= MAX_ID_CHARS
            or (draft is not None and (type(draft) is not str or len(draft) > MAX_DRAFT_CHARS))
            or (seq is not None and type(seq) is not int)
            or (caret is not None and (type(caret) is not int or not 0 <= caret <= MAX_DRAFT_CHARS))
            or (started is not None and (type(started) not in (int, float) or not MIN_TS <= started <= MAX_TS))):
        return None
    return _Keystroke(data)


class FeedbackFrame(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["feedback"]
    chat_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    action: Literal["shown", "dismissed", "applied"]
    rule: str = Field(min_length=1, max_length=64)
    severity: Literal["info", "warning", "error"] | None = None
    text: str | None = Field(default=None, max_length=MAX_DRAFT_CHARS, description="the flagged text")
    seq: JsonInt | None = None


class ForgetFrame(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["forget"]
    chat_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)


class _Pong:
    """An entry of a session's owed queue that is a pong owed after the checks queued before it."""


class ChatState:
    def __init__(self, chat_id: str):
        self.chat_id = chat_id
        self.key = chat_hash(chat_id)  # how the feedback log and the store name this chat
        self.messages: list[Message] = []
        self.draft = ""
        self.draft_started_at: float | None = None
        self.operator_name: str | None = None
        self.lang: Lang | None = None
        self.ui_lang: Lang | None = None
        self.channel: Channel | None = None
        self.caret: int | None = None
        self.scope: Scope = "all"
        self.include_quiet = False
        self.clock_offset = 0.0  # the client's clock minus the server's, when the client sends `now`
        self.seq = 0
        self.chars = 0  # characters of message text held (see MAX_CHAT_CHARS)
        self.touched = 0  # when it was last updated, in the hub's order of updates
        self.timer: asyncio.TimerHandle | None = None
        self.timer_for: tuple[float, float] | None = None  # (due, clock_offset) the timer was set for
        self.changes = 0  # how often an update changed this chat's state
        # the last evaluation and the state it was made for; the rules changed since (re-check only those)
        self.last: tuple[int, Evaluation] | None = None
        self.rules_changed: set[str] = set()
        self.memory = ChatMemory()  # what this chat has analysed (its size as last counted by the hub)
        self.memory_counted = 0
        self.remembers = True  # False: too large to keep, checked through the shared caches
        self._request: tuple[int, CheckRequest] | None = None  # `request()` for the state after that many changes

    def now(self) -> float:
        return time.time() + self.clock_offset

    def request(self) -> CheckRequest:
        """The chat's state as a check request, at this moment. The parts were validated as they arrived;
        the request is constructed once per change of the state (pydantic's construction is not free), and
        only its clock set on each call (every slice of a check asks)."""
        made = self._request
        if made is None or made[0] != self.changes:
            made = self._request = (self.changes, CheckRequest.model_construct(
                draft=self.draft, messages=self.messages, now=None, draft_started_at=self.draft_started_at,
                chat_id=self.chat_id, operator_name=self.operator_name, lang=self.lang, ui_lang=self.ui_lang,
                channel=self.channel, caret=self.caret, scope=self.scope, include_quiet=self.include_quiet))
        made[1].__dict__["now"] = self.now()  # (a field set as a plain attribute: no validation to skip)
        return made[1]

    @property
    def memory_in_use(self) -> ChatMemory | None:
        return self.memory if self.remembers else None

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.timer_for = None


def _text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


class Dismissals:
    """Warnings an operator dismissed, per chat, shared by all connections (a reconnect keeps them).

    A warning about a piece of the draft stays dismissed for that text in that chat; one about the
    conversation (a timer) stays dismissed until the conversation moves on (a new message). The flagged
    text is kept as a digest (a dismissal must not hold 20,000 characters), at most
    MAX_DISMISSED_PER_CHAT per chat."""

    def __init__(self, size: int = 2000):
        self._chats: OrderedDict[str, OrderedDict[tuple[str, bytes | None], int | None]] = OrderedDict()
        self.size = size

    def add(self, chat_id: str, rule: str, text: str | None, message_count: int) -> None:
        chat = self._chats.setdefault(chat_id, OrderedDict())
        self._chats.move_to_end(chat_id)
        key = (rule, _text_key(text) if text else None)
        chat[key] = None if text else message_count
        chat.move_to_end(key)
        if len(chat) > MAX_DISMISSED_PER_CHAT:
            chat.popitem(last=False)
        if len(self._chats) > self.size:
            self._chats.popitem(last=False)

    def hides(self, chat_id: str, rule: str, text: str | None, message_count: int) -> bool:
        chat = self._chats.get(chat_id)
        if not chat:
            return False
        if text and (rule, _text_key(text)) in chat:
            return True
        since = chat.get((rule, None))
        return since is not None and since == message_count

    def forget(self, chat_id: str) -> None:
        self._chats.pop(chat_id, None)


class LiveHub:
    """Everything the live endpoint shares across connections, and what the rest of the service may ask
    of it: the chats the connections hold (`chats`, `draft_of`), and `rules_changed` to re-check them all."""

    def __init__(self, coach: Coach, feedback: FeedbackLog, *, max_frame: int = MAX_FRAME_BYTES):
        self.coach = coach
        self.feedback = feedback
        self.max_frame = max_frame
        self.dismissals = Dismissals()
        self.sessions: set[LiveSession] = set()
        self.closing = False
        self.held_chars = 0  # message text held by all connections' chats…
        self.held_messages = 0  # …and their messages
        self.held_analysis = 0  # …and the estimated bytes of what they have analysed (their ChatMemory),
        self.analysis_budget = MAX_HELD_ANALYSIS_BYTES  # within this (halved each time the memory guard sheds)
        self._updates = count(1)
        self.refused = refusals  # one line per refused frame, throttled with every other refusal

    def touch(self, chat: ChatState) -> None:
        chat.touched = next(self._updates)

    def over_budget(self) -> bool:
        return self.held_chars > MAX_HELD_CHARS or self.held_messages > MAX_HELD_MESSAGES

    def count_analysis(self, chat: ChatState) -> None:
        """Count what `chat` now keeps analysed; past MAX_HELD_ANALYSIS_BYTES the least recently updated
        chats (never this one) let theirs go, down to three quarters of it (not one chat per keystroke)."""
        size = chat.memory.size
        if size > min(MAX_CHAT_ANALYSIS_BYTES, self.analysis_budget):
            self.forget_analysis(chat)
            chat.remembers = False  # until its messages change
            return
        self.held_analysis += size - chat.memory_counted
        chat.memory_counted = size
        if self.held_analysis <= self.analysis_budget:
            return
        chats = [c for session in self.sessions for c in session.chats.values() if c.memory_counted]
        for other in sorted(chats, key=lambda c: c.touched):
            if self.held_analysis <= self.analysis_budget * 3 // 4:
                break
            if other is not chat:
                self.forget_analysis(other)

    def forget_analysis(self, chat: ChatState) -> None:
        chat.memory.clear()
        self.held_analysis -= chat.memory_counted
        chat.memory_counted = 0

    def shed_memory(self) -> None:
        """Every chat lets its analysis go, and from now on they keep half as much (the memory guard: the
        service grew past its hard limit — hostile texts fill the caches; the chats must not refill it)."""
        self.analysis_budget //= 2
        for chat in self.chats():
            self.forget_analysis(chat)

    def keep_within_budget(self, current: ChatState) -> None:
        """Drop the least recently updated chats of any connection while all of them hold more than the
        service keeps (MAX_HELD_CHARS, MAX_HELD_MESSAGES); `current` stays."""
        if not self.over_budget():
            return
        chats = [(chat, session) for session in self.sessions for chat in session.chats.values()]
        for chat, session in sorted(chats, key=lambda pair: pair[0].touched):
            if not self.over_budget():
                break
            if chat is not current:
                session.drop(chat.chat_id)

    async def close_all(self) -> None:
        """The service is stopping: tell every client so (1001, going away) and wait briefly for the closes."""
        self.closing = True
        goodbyes = [session.say_goodbye() for session in list(self.sessions)]
        if goodbyes:
            await asyncio.wait(goodbyes, timeout=GOING_AWAY_TIMEOUT_S * 2)

    def rules_changed(self, changed: frozenset[str] = frozenset()) -> None:
        """Re-check every chat: only the rules in `changed` where the chat's last answer allows it."""
        for session in list(self.sessions):
            for chat in list(session.chats.values()):
                chat.rules_changed |= changed
            session.recheck_all("rules")

    def chats(self) -> Iterator[ChatState]:
        """Every chat some connection holds now."""
        for session in list(self.sessions):
            yield from list(session.chats.values())

    def draft_of(self, key: str) -> str | None:
        """The current draft of the chat whose hashed id (`ChatState.key`, `FeedbackEvent.chat`) is `key`."""
        for chat in self.chats():
            if chat.key == key:
                return chat.draft or None
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """`GET /v1/live`: one connection, until it closes."""
        if self.closing:
            return error_response(503, "the service is stopping", headers={"Retry-After": "2"})
        if len(self.sessions) >= MAX_CONNECTIONS:
            return error_response(503, f"too many live connections (at most {MAX_CONNECTIONS}); retry later",
                                  headers={"Retry-After": "5"})
        # No permessage-deflate, though Chromium offers it on every connection: the frames are a few kilobytes
        # on loopback or a LAN, and a compressed connection keeps ~110 KB more (zlib's state) for as long as it
        # lives and deflates and inflates every frame (400 typing operators: peak RSS 262 MB instead of 196).
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=HARD_FRAME_BYTES, compress=False)
        await ws.prepare(request)
        session = LiveSession(ws, self)
        self.sessions.add(session)
        try:
            await session.run()
            if session.goodbye is not None:  # the service is stopping: let the close handshake finish
                await asyncio.wait([session.goodbye], timeout=GOING_AWAY_TIMEOUT_S * 2)
        finally:
            session.close()
            self.sessions.discard(session)
        return ws


_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # (json.dumps with an option builds
# an encoder per call; an answer is a tree of fresh dicts and lists, never a cycle: no need to look for one)


def _error(code: str, message: str, details: list[ErrorDetail] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "error", "code": code, **error_body(message, details or [])}
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


class LiveSession:
    def __init__(self, ws: web.WebSocketResponse, hub: LiveHub):
        self.ws = ws
        self.hub = hub
        self.chats: OrderedDict[str, ChatState] = OrderedDict()
        self.closed = False
        self.goodbye: asyncio.Task[None] | None = None  # closing with 1001 (the service is stopping)
        self.limiter = FrameLimiter(FRAME_BURST, FRAME_RATE)
        # Chats whose warnings are owed: chat id → (reason, the latest update's seq). Frames only change a
        # chat's state; one worker evaluates each owed chat in its latest state. When frames come faster
        # than checks (a busy service), the intermediate drafts are skipped, not queued: the answer to the
        # newest update (its `ref`) also answers the ones before it, which the client has already left.
        self._owed: OrderedDict[str, tuple[str, int | None]] = OrderedDict()
        self._wake = asyncio.Event()
        self._answering = False  # a chat taken from `_owed` is being checked (in slices: frames come meanwhile)
        self._worker = asyncio.ensure_future(self._work())
        self._worker.add_done_callback(_log_task_error)

    # --- sending ----------------------------------------------------------------------------------
    async def send(self, payload: dict[str, Any]) -> None:
        if self.closed or self.ws.closed:
            return
        try:
            await self.ws.send_str(_encode(payload))
        except (ConnectionResetError, RuntimeError):
            self.closed = True

    # --- evaluating ---------------------------------------------------------------------------------
    async def send_warnings(self, chat: ChatState, reason: str, ref: int | None = None) -> None:
        """Check the chat in its current state and send its warnings (less those the operator dismissed)."""
        coach = self.hub.coach
        last = chat.last
        try:
            evaluation = None
            if (reason == "rules" and chat.rules_changed and last is not None and last[0] == chat.changes
                    and (last[1].next_change is None or last[1].next_change > chat.now())):
                changed = set(chat.rules_changed)
                fresh = await evaluate_in_slices(coach, chat.request, only=changed, memory=chat.memory_in_use)
                if chat.changes == last[0]:  # the chat did not move on meanwhile: the rest still holds
                    evaluation = coach.combine(last[1], fresh, changed)
                    chat.rules_changed -= changed
            if evaluation is None:
                evaluation = await evaluate_in_slices(coach, chat.request, memory=chat.memory_in_use)
                chat.rules_changed = set()
            chat.last = (chat.changes, evaluation)
        except RequestError as exc:
            chat.cancel_timer()
            await self.send(_error("bad_update", exc.message, exc.details, chat_id=chat.chat_id, ref=ref))
            return
        finally:
            if self.chats.get(chat.chat_id) is chat:  # (a chat dropped meanwhile was uncounted then)
                self.hub.count_analysis(chat)
        result = evaluation.result
        dismissals = self.hub.dismissals
        count = len(chat.messages)
        warnings = []
        for w in result.warnings:
            text = chat.draft[w.start:w.end] if w.start is not None and w.end is not None and w.end > w.start \
                else None
            if not dismissals.hides(chat.chat_id, w.rule, text, count):
                warnings.append(w.model_dump())
        chat.seq += 1
        payload = {
            "type": "warnings", "chat_id": chat.chat_id, "seq": chat.seq, "ref": ref, "reason": reason,
            "warnings": warnings, "lang": result.lang, "took_ms": result.took_ms, "quiet": result.quiet,
            "timers": evaluation.timers,
            "next_check_at": evaluation.next_change, "ruleset": coach.rulebook.loaded_files.digest,
        }
        # The answer is written a turn of the event loop later: when many chats' updates are ready at once
        # (hundreds of typing operators), their checks then run back to back and their answers are written
        # after them — not check, write, check, write, where each socket write (the kernel's loopback or
        # network path) pushes the engine's rules and word lists out of the CPU's caches before the next
        # check. Under 300 operators a check took 0.27 ms between writes, 0.22 ms back to back (bench/README.md).
        await asyncio.sleep(0)
        await self.send(payload)
        if self.chats.get(chat.chat_id) is chat:  # (a chat forgotten meanwhile has no timer to keep)
            self._schedule(chat, evaluation.next_change)

    def owe(self, chat: ChatState, reason: str, ref: int | None = None) -> None:
        """Ask for the chat's warnings to be sent (once, in its state at that time)."""
        previous = self._owed.get(chat.chat_id)
        if previous is not None:
            if previous[0] == "update" and reason != "update":
                reason = "update"  # an answer to an update outranks a push
            elif reason == "rules" and previous[0] != "rules":
                reason = previous[0]  # a timer or feedback push owed: the whole chat is checked anyway
            if ref is None:
                ref = previous[1]
        self._owed[chat.chat_id] = (reason, ref)
        self._wake.set()

    async def _work(self) -> None:
        while not self.closed:
            await self._wake.wait()
            self._wake.clear()
            while self._owed and not self.closed:
                chat_id, (reason, ref) = self._owed.popitem(last=False)
                if isinstance(chat_id, _Pong):
                    await self.send({"type": "pong", "ts": time.time()})
                    continue
                chat = self.chats.get(chat_id)
                if chat is not None:
                    self._answering = True
                    try:
                        await self.send_warnings(chat, reason, ref)
                    finally:
                        self._answering = False
                # readers and other connections run between checks (after the last, the wait above lets them:
                # a turn of the loop less per keystroke)
                if self._owed:
                    await asyncio.sleep(0)

    def _schedule(self, chat: ChatState, due: float | None) -> None:
        """Owe the chat a check when its next timer threshold is crossed (`due`, the chat's clock). A timer
        already set for that very moment is kept: while the operator types, the threshold stays where it
        was, and a keystroke need not cancel a timer and set the same one again."""
        if due is None or self.closed:
            chat.cancel_timer()
            return
        wanted = (due, chat.clock_offset)
        if chat.timer is not None and chat.timer_for == wanted:
            return
        chat.cancel_timer()
        delay = max(0.0, due - chat.now()) + TIMER_SLACK_S
        chat.timer = asyncio.get_running_loop().call_later(delay, self._timer_fired, chat)
        chat.timer_for = wanted

    def _timer_fired(self, chat: ChatState) -> None:
        chat.timer = chat.timer_for = None
        self.owe(chat, "timer")

    def recheck_all(self, reason: str) -> None:
        for chat in list(self.chats.values()):
            self.owe(chat, reason)

    # --- receiving ----------------------------------------------------------------------------------
    def refused(self, code: str) -> None:
        """One log line for a frame refused (its code, never its content), throttled service-wide."""
        self.hub.refused.log(logging.INFO, "live frame refused (%s)", code)

    async def handle_text(self, raw: str) -> None:
        try:
            data = parse_json(raw, "the frame")
        except JsonInputError as exc:
            self.refused("bad_json")
            await self.send(_error("bad_json", exc.message, exc.details))
            return
        if not isinstance(data, dict):
            self.refused("bad_message")
            await self.send(_error("bad_message", "a frame must be a JSON object with a \"type\"",
                                   [ErrorDetail(field="(frame)", problem=f"got {type(data).__name__}")]))
            return
        kind = data.get("type")
        handler = {"update": self._update, "feedback": self._feedback, "forget": self._forget,
                   "ping": self._ping}.get(kind) if isinstance(kind, str) else None
        if handler is None:
            self.refused("bad_message")
            await self.send(_error("bad_message", "unknown frame type",
                                   [ErrorDetail(field="type", problem=f"must be one of update, feedback, forget, "
                                                                      f"ping; got {kind!r}")]))
            return
        await handler(data)

    async def _ping(self, data: dict[str, Any]) -> None:
        # answer after the warnings still owed for the frames before it — the one being checked now included:
        # a ping is a barrier
        if self._owed or self._answering:
            self._owed[_Pong()] = ("pong", None)  # type: ignore[index]
            self._wake.set()
        else:
            await self.send({"type": "pong", "ts": time.time()})

    async def _update(self, data: dict[str, Any]) -> None:
        try:
            update: UpdateFrame | _Keystroke = _keystroke(data) or UpdateFrame.model_validate(data)
        except ValidationError as exc:
            self.refused("bad_update")
            await self.send(_error("bad_update", "invalid update", validation_details(exc),
                                   chat_id=data.get("chat_id") if isinstance(data.get("chat_id"), str) else None,
                                   ref=data.get("seq") if isinstance(data.get("seq"), int) else None))
            return
        chat = self.chats.get(update.chat_id)
        given = update.model_fields_set
        if update.messages is not None:
            added = sum(len(m.text) for m in update.messages)
            held = added + (chat.chars if chat is not None and update.append else 0)
            if held > MAX_CHAT_CHARS:
                await self.send(_error(
                    "too_large", f"the conversation would hold {held} characters; at most {MAX_CHAT_CHARS} are "
                                 "kept per chat: send its recent part (append: false)",
                    [ErrorDetail(field="messages", problem=f"{held} characters > {MAX_CHAT_CHARS}")],
                    chat_id=update.chat_id, ref=update.seq))
                return
        if chat is None:
            if update.append:
                await self.send(_error("unknown_chat", "append to a chat this connection does not know; "
                                                       "send the full state (append: false)",
                                       chat_id=update.chat_id, ref=update.seq))
                return
            chat = ChatState(update.chat_id)
            self.chats[update.chat_id] = chat
            if len(self.chats) > MAX_CHATS_PER_CONNECTION:
                self.drop(next(iter(self.chats)))
        self.chats.move_to_end(update.chat_id)
        self.hub.touch(chat)
        if update.messages is not None:
            messages = chat.messages + update.messages if update.append else list(update.messages)
            self._hold(chat, messages[-MAX_MESSAGES:])
            chat.remembers = True  # (a chat too large to keep may be small enough now)
            self._keep_within_budget(chat)
            self.hub.keep_within_budget(chat)
        if log.isEnabledFor(logging.DEBUG):  # debug logging only: this shows what the operator types
            log.debug("update chat=%s seq=%s draft=%r messages=%d", update.chat_id, update.seq,
                      update.draft, len(chat.messages))
        for name in ("draft", "draft_started_at", "operator_name", "lang", "ui_lang", "channel", "caret", "scope",
                     "include_quiet"):
            if name in given:
                value = getattr(update, name)
                if value is None and name in _NULL_MEANS:
                    value = _NULL_MEANS[name]
                setattr(chat, name, value)
        if update.now is not None:
            chat.clock_offset = update.now - time.time()
        chat.changes += 1
        self.owe(chat, "update", update.seq)

    def _keep_within_budget(self, current: ChatState) -> None:
        """Drop the least recently used other chats while the connection holds too much text."""
        total = sum(c.chars for c in self.chats.values())
        for chat_id in list(self.chats):
            if total <= MAX_CONNECTION_CHARS:
                break
            chat = self.chats[chat_id]
            if chat is current:
                continue
            total -= chat.chars
            self.drop(chat_id)

    def _hold(self, chat: ChatState, messages: list[Message]) -> None:
        """Set a chat's messages, keeping the hub's count of what all connections hold."""
        chars = sum(len(m.text) for m in messages)
        self.hub.held_chars += chars - chat.chars
        self.hub.held_messages += len(messages) - len(chat.messages)
        chat.messages, chat.chars = messages, chars

    def drop(self, chat_id: str) -> None:
        """Forget a chat (forgotten by the client, or dropped to stay within a limit: an `append` to it then
        gets `unknown_chat`)."""
        chat = self.chats.pop(chat_id, None)
        if chat is not None:
            chat.cancel_timer()
            self.hub.held_chars -= chat.chars
            self.hub.held_messages -= len(chat.messages)
            self.hub.forget_analysis(chat)
        self._owed.pop(chat_id, None)

    async def _feedback(self, data: dict[str, Any]) -> None:
        try:
            fb = FeedbackFrame.model_validate(data)
        except ValidationError as exc:
            self.refused("bad_feedback")
            await self.send(_error("bad_feedback", "invalid feedback", validation_details(exc), ref=data.get("seq")
                                   if isinstance(data.get("seq"), int) else None))
            return
        if fb.rule not in self.hub.coach.rulebook.rules:
            self.refused("bad_feedback")
            await self.send(_error("bad_feedback", "feedback on a rule this service does not have", [ErrorDetail(
                field="rule", problem="not a rule id of this service (GET /v1/rules lists them)")], ref=fb.seq))
            return
        chat = self.chats.get(fb.chat_id)
        if chat is None:  # feedback (a dismissal above all) only about this connection's own chats
            self.refused("unknown_chat")
            await self.send(_error("unknown_chat", "feedback on a chat this connection does not hold; send the "
                                                   "chat's state first", chat_id=fb.chat_id, ref=fb.seq))
            return
        _, durable = await self.hub.feedback.keep_durably(fb.action, fb.rule, fb.chat_id, fb.severity,
                                                          chat.operator_name)
        await self.send({"type": "feedback_ack", "chat_id": fb.chat_id, "rule": fb.rule, "action": fb.action,
                         "ref": fb.seq, "durable": durable})
        if fb.action == "dismissed":
            self.hub.dismissals.add(fb.chat_id, fb.rule, fb.text or None, len(chat.messages))
            self.owe(chat, "feedback")

    async def _forget(self, data: dict[str, Any]) -> None:
        try:
            forget = ForgetFrame.model_validate(data)
        except ValidationError as exc:
            self.refused("bad_message")
            await self.send(_error("bad_message", "invalid forget", validation_details(exc)))
            return
        owed = self._owed.pop(forget.chat_id, None)
        chat = self.chats.get(forget.chat_id)
        if chat is not None and owed is not None and owed[0] == "update":
            await self.send_warnings(chat, *owed)  # every update is answered, even one the client then left
        self.drop(forget.chat_id)

    # --- the connection -----------------------------------------------------------------------------
    async def run(self) -> None:
        """Greet, then read frames until the connection closes."""
        ws = self.ws
        max_frame = self.hub.max_frame
        book = self.hub.coach.rulebook
        await self.send({"type": "hello", "protocol": PROTOCOL_VERSION, "version": __version__,
                         "rules": len(book.active), "actions": list(ACTIONS),
                         "rule_traits": {r.id: r.traits() for r in book.active}})
        limiter = self.limiter
        handled = 0
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                allowed, retry_after, notify, abusive = limiter.admit()
                if abusive:
                    log.warning("live connection closed: it kept sending frames over the rate limit")
                    await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"rate limit exceeded")
                    break
                if not allowed:
                    if notify:
                        await self.send(_error(
                            "rate_limited", f"too many frames: at most {FRAME_BURST} at once and {FRAME_RATE:g} "
                                            "a second; this frame was dropped, resend the chat's current state",
                            retry_after_ms=max(1, round(retry_after * 1000))))
                    continue
            if msg.type == WSMsgType.TEXT:
                data = msg.data
                if len(data) > max_frame // 4 and len(data.encode("utf-8")) > max_frame:
                    await self.send(_error("too_large", f"the frame is larger than {max_frame} bytes",
                                           [ErrorDetail(field="(frame)", problem=f"{len(data.encode())} bytes")]))
                    continue
                try:
                    await self.handle_text(data)
                except Exception:  # a bug, never bad input: log it (throttled), keep the operator's session
                    self.hub.refused.log(logging.ERROR, "live frame failed", exc_info=True)
                    await self.send(_error("internal", "the service could not process this frame"))
                # Frames only change state (checks run in the session's worker), so a connection works through
                # what it has buffered — that is what lets the worker skip stale drafts — yielding now and
                # then so that one connection's backlog cannot hold the others up.
                handled += 1
                if handled % 32 == 0:
                    await asyncio.sleep(0)
            elif msg.type == WSMsgType.BINARY:
                await self.send(_error("bad_message", "frames must be JSON text, not binary"))
            elif msg.type == WSMsgType.ERROR:
                break

    def say_goodbye(self) -> asyncio.Task[None]:
        """Close with 1001 (the service is stopping): the extension shows «offline» at once."""
        if self.goodbye is None:
            self.goodbye = asyncio.ensure_future(self._going_away())
        return self.goodbye

    async def _going_away(self) -> None:
        self.closed = True
        self._worker.cancel()
        try:
            async with asyncio.timeout(GOING_AWAY_TIMEOUT_S):
                await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"the service is stopping")
        except (TimeoutError, ConnectionError, RuntimeError):
            pass

    def close(self) -> None:
        self.closed = True
        self._worker.cancel()
        for chat_id in list(self.chats):
            self.drop(chat_id)


def _log_task_error(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("live task failed", exc_info=task.exception())
