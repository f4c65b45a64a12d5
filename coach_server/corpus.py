"""Exported chats as JSON Lines — the one corpus format of the audit, the back-test, the store and the trainer.

One chat per line (docs/audit.md):

    {"chat_id": "jivo-1842", "operator": "Анна", "lang": "ru",
     "messages": [{"role": "client", "text": "Сколько стоит доставка?", "ts": 1750000000},
                  {"role": "operator", "text": "Здравствуйте! Меня зовут Анна…", "ts": 1750000042}]}

Each operator message is then checked *as if it were being typed at that moment*: the draft is the message,
the conversation is everything before it, the clock is its timestamp (so the client's wait counts), and the
moment the operator began typing is the message's own `draft_started_at` or, when the export lacks it, an
estimate from the message's length at a brisk typing speed — never before the message it follows.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .models import (
    MAX_DRAFT_CHARS,
    MAX_ID_CHARS,
    MAX_MESSAGES,
    Channel,
    CheckRequest,
    Message,
    check_unix_ts,
    validation_details,
)

# How fast an operator types when the export does not say when a message was begun: 5 characters a second
# (300 a minute) — a practised operator. 0 turns the estimate off (the draft timer is then not judged).
TYPING_CPS = 5.0

ROLE_ALIASES = {"agent": "operator", "manager": "operator", "visitor": "client", "customer": "client",
                "user": "client"}


def parse_ts(value: Any) -> float | None:
    """Unix seconds (a number) or an ISO 8601 string ("2025-06-15T10:00:00+03:00"; no zone = UTC)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be Unix seconds or an ISO 8601 date-time, not true/false")
    if isinstance(value, (int, float)):
        return check_unix_ts(float(value))
    if isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            raise ValueError(f"not an ISO 8601 date-time: {value[:40]!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return check_unix_ts(moment.timestamp())
    raise ValueError("must be Unix seconds or an ISO 8601 date-time")


class CorpusMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    role: Literal["client", "operator", "system", "bot"]
    text: str = Field(default="", max_length=MAX_DRAFT_CHARS)
    ts: float | None = None
    operator: str | None = Field(default=None, max_length=MAX_ID_CHARS, description="who wrote this operator message")
    draft_started_at: float | None = None
    id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    note: str | None = None  # scenarios: what a trainer says about this message

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Any:
        if isinstance(value, str):
            low = value.strip().lower()
            return ROLE_ALIASES.get(low, low)
        return value

    @field_validator("ts", "draft_started_at", mode="before")
    @classmethod
    def _ts(cls, value: Any) -> float | None:
        return parse_ts(value)

    @field_validator("id", "operator", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class Chat(BaseModel):
    model_config = ConfigDict(extra="ignore")

    chat_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    operator: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    lang: Literal["ru", "en"] | None = None
    channel: Channel | None = None
    messages: list[CorpusMessage] = Field(min_length=1, max_length=MAX_MESSAGES)

    @field_validator("chat_id", "operator", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    def operator_of(self, message: CorpusMessage) -> str | None:
        return message.operator or self.operator


class BadLine(Exception):
    def __init__(self, line: int, problem: str):
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "problem": self.problem}


def parse_chat(data: Any, line: int) -> Chat:
    if not isinstance(data, dict):
        raise BadLine(line, f"a line must be a JSON object (one chat), got {type(data).__name__}")
    try:
        return Chat.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc)
        shown = "; ".join(f"{d.field}: {d.problem}" for d in details[:3])
        more = f" (+{len(details) - 3} more)" if len(details) > 3 else ""
        raise BadLine(line, shown + more) from None


def parse_line(raw: str | bytes, line: int) -> Chat | None:
    """One JSONL line → a Chat; None for a blank line; BadLine for anything else that is wrong."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadLine(line, f"not UTF-8 text (byte {exc.start})") from None
    text = raw.strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadLine(line, f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise BadLine(line, "JSON nested too deeply") from None
    return parse_chat(data, line)


@dataclass
class ReadResult:
    chats: list[tuple[int, Chat]]
    bad_lines: list[BadLine]


def read_lines(lines: Iterable[str | bytes]) -> Iterator[tuple[int, Chat | BadLine]]:
    """(line number, chat or the problem) for every non-blank line; never raises on bad content."""
    for number, raw in enumerate(lines, start=1):
        try:
            chat = parse_line(raw, number)
        except BadLine as bad:
            yield number, bad
            continue
        if chat is not None:
            yield number, chat


def read_corpus(text: str | bytes) -> ReadResult:
    """A whole JSONL text → the chats and the bad lines (an uploaded corpus)."""
    if isinstance(text, bytes):
        lines: Iterable[str | bytes] = text.split(b"\n")
    else:
        lines = text.split("\n")
    chats, bad = [], []
    for number, item in read_lines(lines):
        if isinstance(item, BadLine):
            bad.append(item)
        else:
            chats.append((number, item))
    return ReadResult(chats, bad)


@dataclass
class Moment:
    """One operator message of a chat, ready to check as if it were being typed."""

    index: int  # the message's index in the chat
    operator: str | None
    request: CheckRequest


def estimate_start(chat: Chat, index: int, typing_cps: float = TYPING_CPS) -> float | None:
    """When the operator began typing message `index`: its own `draft_started_at`, else an estimate.

    The estimate is the message's length at `typing_cps`, but never before the message that precedes it:
    an operator answers what they have read, so an estimate alone never claims "the client wrote while
    you typed" — only an export that records `draft_started_at` can show that."""
    message = chat.messages[index]
    if message.draft_started_at is not None:
        return message.draft_started_at
    if message.ts is None or typing_cps <= 0:
        return None
    start = message.ts - len(message.text.strip()) / typing_cps
    previous = next((m.ts for m in reversed(chat.messages[:index]) if m.ts is not None), None)
    if previous is not None and start < previous:
        start = min(previous, message.ts)
    return start


def moments(chat: Chat, typing_cps: float = TYPING_CPS) -> Iterator[Moment]:
    """Every operator message of `chat`, as a check request made at the moment it was sent."""
    history: list[Message] = []
    last_ts: float | None = None
    for index, m in enumerate(chat.messages):
        if m.role == "operator" and m.text.strip():
            now = m.ts if m.ts is not None else last_ts
            request = CheckRequest.model_construct(
                draft=m.text, messages=list(history), now=now,
                draft_started_at=estimate_start(chat, index, typing_cps) if m.ts is not None else None,
                chat_id=chat.chat_id, operator_name=chat.operator_of(m), lang=chat.lang, channel=chat.channel,
                caret=None)
            if now is None:
                # no clock anywhere in this chat: check the text alone, at a fixed moment
                request.now = 1_750_000_000.0
            yield Moment(index, chat.operator_of(m), request)
        history.append(Message.model_construct(role=m.role, text=m.text, ts=m.ts, id=m.id))
        if m.ts is not None:
            last_ts = m.ts if last_ts is None else max(last_ts, m.ts)


def first_reply_seconds(chat: Chat) -> float | None:
    """Seconds from the client's first message to the operator's first reply (None when not measurable)."""
    first_client = next((m for m in chat.messages if m.role == "client"), None)
    if first_client is None or first_client.ts is None:
        return None
    started = False
    for m in chat.messages:
        if m is first_client:
            started = True
            continue
        if started and m.role == "operator" and m.ts is not None:
            return max(0.0, m.ts - first_client.ts)
    return None

