"""The request and result of a check: the public contract of `/v1/check`, `coach check` and `Coach.check`."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from .caching import SizedLRU

Role = Literal["client", "operator", "system", "bot"]
Severity = Literal["info", "warning", "error"]
Lang = Literal["ru", "en"]
# Which rules a check runs: "all", or "text" — only the rules that judge the draft by itself (for a console
# whose conversation cannot be read, where "introduce yourself in your first message" would be noise).
Scope = Literal["all", "text"]
# Where the chat happens: norms differ (a tweet is not answered in a minute; an e-mail needs no introduction
# per message). Rule files may set thresholds or switch a rule off per channel (docs/rules.md).
Channel = Literal["chat", "messenger", "social", "email"]
CHANNELS: tuple[str, ...] = ("chat", "messenger", "social", "email")
DEFAULT_CHANNEL = "chat"

# The one order of severities, most severe first: warnings are sorted by it, reports count in it.
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SEVERITY_RANK: dict[str, int] = {s: rank for rank, s in enumerate(SEVERITIES)}


def worse(a: Severity, b: Severity) -> Severity:
    """The more severe of two severities."""
    return a if SEVERITY_RANK[a] <= SEVERITY_RANK[b] else b

# Limits keep one request from costing the service more than a real chat ever would.
MAX_DRAFT_CHARS = 20_000
MAX_MESSAGE_CHARS = 20_000
MAX_MESSAGES = 2_000
MAX_ID_CHARS = 200
# Earliest and latest plausible Unix times in seconds (2000-01-01 .. 2100-01-01): catches milliseconds.
MIN_TS = 946_684_800.0
MAX_TS = 4_102_444_800.0


def check_unix_ts(value: float | None) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value):
        raise ValueError("must be a finite number of Unix seconds")
    if value > MAX_TS:
        raise ValueError("must be Unix seconds; this looks like milliseconds (divide by 1000)")
    if value < MIN_TS:
        raise ValueError("must be Unix seconds after 2000-01-01")
    return value


# A Unix time in seconds, checked by pydantic-core itself (no Python call per message: a chat has many).
UnixTime = Annotated[float, Field(ge=MIN_TS, le=MAX_TS, allow_inf_nan=False)]


def _whole_number(value: Any) -> Any:
    """JSON has one number type: 288.0 is the integer 288 (as JSON Schema says); "288" and true are not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer as JSON means it, under strict validation (no strings, no booleans, no fractions).
JsonInt = Annotated[int, BeforeValidator(_whole_number)]


class Message(BaseModel):
    # strict: a JSON string is not a number here ("5" is refused for `ts`), as the published schema says
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    role: Role
    text: str = Field(max_length=MAX_MESSAGE_CHARS)
    ts: UnixTime | None = None
    id: str | None = Field(default=None, max_length=MAX_ID_CHARS)


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    draft: str = Field(default="", max_length=MAX_DRAFT_CHARS)
    messages: list[Message] = Field(default_factory=list, max_length=MAX_MESSAGES)
    now: UnixTime | None = None
    draft_started_at: UnixTime | None = None
    chat_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    operator_name: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    lang: Lang | None = None
    # The language the operator reads (the extension: the browser's UI language, or the operator's setting):
    # warnings are worded in it. None: in the chat's language, as before. A fix is always written in the
    # language of the draft, whatever this says.
    ui_lang: Lang | None = None
    channel: Channel | None = None  # None: "chat" (a live chat on a website)
    # Where the operator's cursor is in the draft, when known: the word touching it is still being typed
    # and is not judged yet (no red squiggle under half a word).
    caret: Annotated[JsonInt, Field(ge=0, le=MAX_DRAFT_CHARS)] | None = None
    scope: Scope = "all"
    # Warnings whose measured confidence is under the floor are quiet: left out unless asked for (then they
    # come marked `"quiet": true`) — for supervisors, the audit and the precision harness (docs/api.md).
    include_quiet: bool = False


Clock = Literal["client_wait", "draft", "client_silence"]  # the clocks a timer rule reads


class Warning(BaseModel):
    rule: str
    severity: Severity
    message: str
    start: int | None = None
    end: int | None = None
    suggestion: str | None = None
    # Timer warnings only (null otherwise): which clock, when it started (Unix s), and the message with
    # its `{wait}` placeholder unrendered, so a client can re-word it as the clock runs.
    clock: Clock | None = None
    since: float | None = None
    template: str | None = None
    # Which path of the rule's check fired (its precision is measured per trigger), how often warnings of
    # this rule and trigger were right on sealed real chats (the Wilson 95 % lower bound, 0–1; null when
    # never measured), and whether it is under the floor (quiet: shown only when the request asks for them).
    trigger: str = "main"
    confidence: float | None = None
    quiet: bool = False


class CheckResult(BaseModel):
    warnings: list[Warning]
    lang: Lang
    took_ms: float
    quiet: int = 0  # warnings under the confidence floor, left out of `warnings` (unless include_quiet)


class ErrorDetail(BaseModel):
    field: str
    problem: str


def error_body(message: str, details: Iterable[ErrorDetail | Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The one shape of every error the service answers, over HTTP and on the live socket:
    `{"error": {"message": "what is wrong, for a person", "details": [{"field": …, "problem": …}, …]}}`."""
    return {"error": {"message": message,
                      "details": [d.model_dump() if isinstance(d, ErrorDetail) else dict(d) for d in details]}}


class RequestError(ValueError):
    """A request that cannot be checked, with the fields at fault (rendered as a 400 by the service)."""

    def __init__(self, message: str, details: list[ErrorDetail] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_json(self) -> dict[str, Any]:
        return error_body(self.message, self.details)


def field_path(loc: Iterable[Any]) -> str:
    """("messages", 3, "role") → "messages[3].role"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(body)"


_TS_PROBLEMS = {
    "finite_number": "must be a finite number of Unix seconds",
    "less_than_equal": "must be Unix seconds; this looks like milliseconds (divide by 1000)",
    "greater_than_equal": "must be Unix seconds after 2000-01-01",
}


def _problem(err: ErrorDetails) -> str:
    msg = err.get("msg", "invalid")
    loc = err.get("loc", ())
    kind = err.get("type")
    if loc and loc[-1] in ("ts", "now", "draft_started_at") and kind in _TS_PROBLEMS:
        return _TS_PROBLEMS[kind]
    if kind == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        return f"must be one of {allowed}; got {err.get('input')!r}"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling)"
    if kind == "missing":
        return "required field is missing"
    return msg.removeprefix("Value error, ")


def validation_details(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[ErrorDetail]:
    """pydantic's errors in this project's words, each with the path of its field (after `prefix`): the one
    translation used for requests, live frames, rule files, scenario files and corpus lines."""
    return [ErrorDetail(field=field_path(prefix + tuple(e["loc"])), problem=_problem(e)) for e in exc.errors()]


# --- JSON as it comes in -------------------------------------------------------------------------------------
# Every body and frame is decoded by `parse_json`: strict about what plain `json.loads` lets through and what
# then fails far from the input — a number too long to convert (Python refuses integers over 4,300 digits,
# deep inside a handler), a lone surrogate escape ("\\ud800": not Unicode text, it cannot be stored, hashed
# or sent back), nesting deeper than the decoder's stack. (NaN and Infinity pass, as Python reads them: every
# number field refuses them by name.)
MAX_NUMBER_CHARS = 40  # a JSON number's characters: seconds, offsets and counters need 20 at most
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONG_NUMBER = re.compile(rf"-?[0-9][0-9.eE+-]{{{MAX_NUMBER_CHARS},}}")


class JsonInputError(RequestError):
    """Input that is not acceptable JSON, with where and what (rendered as a 400 / a `bad_json` frame)."""


class _NumberTooLong(ValueError):
    pass


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberTooLong(text)
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberTooLong(text)
    return float(text)


# One decoder for every input (json.loads with hooks would build one per call: a live keystroke's frame
# costs twice as much to decode that way).
_DECODER = json.JSONDecoder(parse_int=_int, parse_float=_float)


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"line {line} column {index - (text.rfind(chr(10), 0, index) + 1) + 1}"


def _lone_surrogate_at(data: Any) -> str | None:
    """The path of the first string (or key) holding a lone surrogate, walked without recursion."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _has_lone_surrogate(value):
                return field_path(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if _has_lone_surrogate(key):
                    return field_path((*path, key.encode("utf-8", "backslashreplace").decode("ascii")))
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in enumerate(value))
    return None


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_json(text: str, what: str = "the request body") -> Any:
    """Decode JSON input strictly; raise JsonInputError saying what is wrong and where."""
    try:
        if text.startswith("\ufeff"):  # as json.loads says it (the decoder itself does not look)
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _DECODER.decode(text)
    except _NumberTooLong as exc:
        found = _LONG_NUMBER.search(text)
        where = f" at {_position(text, found.start())}" if found else ""
        raise JsonInputError(f"{what} holds a number too long to be one", [ErrorDetail(
            field="(body)", problem=f"{len(str(exc))} characters{where}; a number has at most "
                                    f"{MAX_NUMBER_CHARS}")]) from None
    except json.JSONDecodeError as exc:
        problem = f"{exc.msg} at line {exc.lineno} column {exc.colno}" if exc.doc is text else exc.msg
        raise JsonInputError(f"{what} is not valid JSON", [ErrorDetail(field="(body)", problem=problem)]) from None
    except RecursionError:
        raise JsonInputError(f"{what} is nested too deeply", [ErrorDetail(
            field="(body)", problem="arrays or objects nested deeper than the decoder reads (about a thousand levels)")]) from None
    if _SURROGATE_ESCAPE.search(text):
        path = _lone_surrogate_at(data)
        if path is not None:
            raise JsonInputError(f"{what} holds text that is not valid Unicode", [ErrorDetail(
                field=path, problem="a lone surrogate escape (\\ud800–\\udfff without its pair) is no character")])
    return data


_MESSAGE_FIELDS = frozenset({"role", "text", "ts", "id"})
# A message list by its exact content: (role, text, ts, id) per message.
ChatKey = tuple[tuple[str, str, float | int | None, str | None], ...]


def _chat_size(key: ChatKey, messages: list[Message]) -> int:
    """Bytes a validated message list holds, estimated: ~500 a message (its model, its key) and its text."""
    return 1_000 + 500 * len(key) + 2 * sum(len(text) for _, text, _, _ in key)


class ValidatedChats:
    """Message lists already validated, by their exact content. A chat is sent again with every keystroke;
    its messages are validated once, and later requests with the same messages reuse the result (and the
    very same list, which the conversation cache then recognises at once). A list differing in anything —
    a field, a type, a message — is validated in full. Bounded by entries and by bytes."""

    def __init__(self, size: int = 256, max_bytes: int = 8 << 20):
        self._lists: SizedLRU[ChatKey, list[Message]] = SizedLRU(size, max_bytes, _chat_size)

    @property
    def size(self) -> int:
        return self._lists.max_items

    def clear(self) -> None:
        self._lists.clear()

    def lookup(self, raw: Any) -> tuple[ChatKey | None, list[Message] | None]:
        if type(raw) is not list or not raw:
            return None, None
        keys = []
        fields = _MESSAGE_FIELDS
        for item in raw:  # _message_key, inlined: this runs over every message of every request
            if type(item) is not dict or not fields.issuperset(item):
                return None, None
            get = item.get
            role, text, ts, mid = get("role"), get("text"), get("ts"), get("id")
            if type(role) is not str or type(text) is not str or (mid is not None and type(mid) is not str) or (
                    ts is not None and type(ts) is not float and type(ts) is not int):
                return None, None
            keys.append((role, text, ts, mid))
        key = tuple(keys)
        return key, self._lists.get(key)

    def remember(self, key: ChatKey, messages: list[Message]) -> None:
        self._lists.put(key, messages)


def parse_request(data: Any, chats: ValidatedChats | None = None) -> CheckRequest:
    """Validate a decoded JSON body into a CheckRequest, or raise RequestError naming every bad field.
    `chats` (the Coach's) remembers message lists already validated."""
    if isinstance(data, CheckRequest):
        return data
    if not isinstance(data, dict):
        raise RequestError("the request body must be a JSON object", [
            ErrorDetail(field="(body)", problem=f"expected an object, got {type(data).__name__}")])
    key, messages = chats.lookup(data.get("messages")) if chats is not None else (None, None)
    try:
        if messages is not None:
            request = CheckRequest.model_validate({**data, "messages": []})
            request.messages = messages
        else:
            request = CheckRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestError("invalid check request", validation_details(exc)) from None
    if chats is not None and key is not None and messages is None:
        chats.remember(key, request.messages)
    return request
