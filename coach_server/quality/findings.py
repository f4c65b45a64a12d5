"""Every warning the engine gives on a corpus of real chats, each operator message checked as it was typed.

A corpus is the audit's JSON Lines format (docs/audit.md). When the operator began each message is taken
only from the export (`draft_started_at`), never estimated: a measure of precision must not rest on guesses. A chat's channel is its own `channel` field, else
the channel its `source` maps to (`--channel-map`: source prefix → channel, for corpora gathered from several
places), else the default channel. A chat's language for the figures is its `lang` field, else the language
the engine detected; the engine itself is not told the language (an extension does not know it either).
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

from ..corpus import BadLine, Chat, moments, parse_chat
from ..engine import Coach
from ..models import CHANNELS, DEFAULT_CHANNEL, RequestError
from .split import Part, part_of

QUOTE_CHARS = 160  # labels keep short quotes only: the corpus itself stays where it is


@dataclass(frozen=True)
class Finding:
    """One warning on one operator message of a real chat."""

    corpus: str
    chat_id: str
    message: int  # the operator message's index in the chat
    rule: str
    lang: str
    channel: str
    severity: str
    text: str  # the warning as the operator reads it
    span: str | None  # the flagged piece of the draft, if the warning points at one
    start: int | None  # where that piece starts in the draft
    draft: str
    client: str  # the client's latest message before the draft ("" when none)
    trigger: str = "main"  # the path of the check that fired
    end: int | None = None  # where the flagged piece ends (None: the warning is about the whole message)
    suggestion: str | None = None  # the fix the check proposes for draft[start:end], before calibration
    confidence: float | None = None  # the measured confidence the warning carries
    quiet: bool = False  # under the floor: not shown to the operator by default

    @property
    def fixed(self) -> str | None:
        """The message after applying the fix, or None when the warning offers none."""
        if self.suggestion is None:
            return None
        start = self.start if self.start is not None else 0
        end = self.end if self.end is not None else start
        return self.draft[:start] + self.suggestion + self.draft[end:]

    @property
    def key(self) -> str:
        """What identifies this warning across runs: the chat, the message, the rule, the flagged word or
        phrase (a longer span — a sentence, the tail of a long message — moves with the rule's settings, and
        the warning is about the message) and the channel it was checked as."""
        return label_key(self.corpus, self.chat_id, self.message, self.rule, self.span, self.channel)

    @property
    def place(self) -> tuple[str, str, int, str, str]:
        """The warning without its channel: the same warning checked as another channel."""
        return place_of(self.corpus, self.chat_id, self.message, self.rule, self.span)

    def quote(self) -> str:
        """A short quote of the draft: around the flagged piece, or its beginning."""
        return shorten_around(self.draft, self.span)


MAX_KEY_SPAN = 40


def place_of(corpus: str, chat_id: str, message: int, rule: str, span: str | None) -> tuple[str, str, int, str, str]:
    return corpus, chat_id, message, rule, span if span is not None and len(span) <= MAX_KEY_SPAN else ""


def label_key(corpus: str, chat_id: str, message: int, rule: str, span: str | None, channel: str) -> str:
    *place, piece = place_of(corpus, chat_id, message, rule, span)
    raw = "\x1f".join([*map(str, place), piece, channel])
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:10]


@dataclass
class Run:
    """The findings of one corpus and what they are counted against."""

    corpus: str
    findings: list[Finding] = field(default_factory=list)
    messages: Counter[tuple[str, str]] = field(default_factory=Counter)  # operator messages checked, by (lang, channel)
    channels: dict[str, str] = field(default_factory=dict)  # chat id → the channel it was checked as
    bad_lines: list[str] = field(default_factory=list)

    def by_key(self) -> dict[str, Finding]:
        return {f.key: f for f in self.findings}


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shorten_around(text: str, piece: str | None, limit: int = QUOTE_CHARS) -> str:
    flat = " ".join(text.split())
    if not piece or len(flat) <= limit:
        return shorten(flat, limit)
    at = flat.find(" ".join(piece.split()))
    if at < 0:
        return shorten(flat, limit)
    start = max(0, at - limit // 3)
    end = min(len(flat), start + limit)
    start = max(0, end - limit)
    return ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")


def load_channel_map(path: Path | None) -> dict[str, str]:
    """`[sources]` of a TOML file: source prefix → channel ("ibm-twitter" = "social")."""
    if path is None:
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise ValueError(f"{path}: [sources] must be a table of source prefix = channel")
    for prefix, channel in sources.items():
        if channel not in CHANNELS:
            raise ValueError(f"{path}: sources.{prefix}: unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    return dict(sources)


def channel_of(raw: dict[str, Any], chat: Chat, channel_map: dict[str, str], default: str) -> str:
    if chat.channel is not None:
        return chat.channel
    source = raw.get("source")
    if isinstance(source, str):
        for prefix in sorted(channel_map, key=len, reverse=True):
            if source.startswith(prefix):
                return channel_map[prefix]
    return default


def read_chats(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any], Chat] | BadLine]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            yield number, raw, parse_chat(raw, number)
        except json.JSONDecodeError as exc:
            yield BadLine(number, f"not valid JSON: {exc.msg}")
        except BadLine as bad:
            yield bad


def run_corpus(coach: Coach, path: Path, *, channel_map: dict[str, str] | None = None,
               default_channel: str = DEFAULT_CHANNEL, name: str | None = None, part: Part | None = None) -> Run:
    """Check every operator message of the corpus at `path` (only the chats of `part`, when given); collect
    every warning, quiet ones included (each marked), with the fix its check proposed."""
    run = Run(corpus=name or path.stem)
    channel_map = channel_map or {}
    with path.open(encoding="utf-8") as lines:
        for item in read_chats(lines):
            if isinstance(item, BadLine):
                run.bad_lines.append(str(item))
                continue
            number, raw, chat = item
            chat_id = chat.chat_id or f"line-{number}"
            if part is not None and part_of(chat_id) != part:
                continue
            channel = channel_of(raw, chat, channel_map, default_channel)
            run.channels[chat_id] = channel
            chat_findings(coach, run, chat_id, chat, channel, where=f"line {number}, ")
    return run


def chat_findings(coach: Coach, run: Run, chat_id: str, chat: Chat, channel: str, *, where: str = "") -> None:
    """Every warning on every operator message of one chat, as it was sent, into `run` — quiet ones included
    (each marked), with the fix its check proposed; a message the engine refuses goes to `run.bad_lines`."""
    for moment in moments(chat, typing_cps=0):  # draft times only where the export records them
        request = moment.request
        request.lang = None  # detected, as in the extension
        request.channel = channel  # type: ignore[assignment]
        request.include_quiet = True
        try:
            unfiltered = coach.evaluate(request, calibrated=False).result
            result = unfiltered.model_copy(update={"warnings": coach.calibrate(
                unfiltered.warnings, unfiltered.lang, include_quiet=True)[0]})
        except RequestError as exc:
            run.bad_lines.append(f"{where}message {moment.index}: {exc.message}")
            continue
        lang = chat.lang or result.lang
        run.messages[(lang, channel)] += 1
        client = next((m.text for m in reversed(request.messages) if m.role == "client"), "")
        for w, w_raw in zip(result.warnings, unfiltered.warnings, strict=True):
            span = request.draft[w.start:w.end] if w.start is not None and w.end is not None else None
            run.findings.append(Finding(run.corpus, chat_id, moment.index, w.rule, lang, channel,
                                        w.severity, w.message, span, w.start if span else None,
                                        request.draft, client, trigger=w.trigger,
                                        end=w.end if span else None, suggestion=w_raw.suggestion,
                                        confidence=w.confidence, quiet=w.quiet))


def draw_in_turn(pools: dict[tuple[str, str], dict[Any, list[Finding]]], have: dict[tuple[str, str], int],
                 per_rule: int, rng: Random,
                 order: Callable[[dict[Any, list[Finding]]], Sequence[Hashable]] = sorted) -> list[Finding]:
    """A stratified draw: for each (rule, language) up to `per_rule` less what it `have`s already, the strata of
    its pool (channels, or triggers and channels) taken in turn in `order`, each shuffled by `rng` from a
    stable order (the same seed draws the same sample)."""
    picked: list[Finding] = []
    for group in sorted(pools):
        need = per_rule - have[group]
        strata = pools[group]
        for items in strata.values():
            items.sort(key=lambda f: f.key)
            rng.shuffle(items)
        keys = order(strata)
        while need > 0 and any(strata[k] for k in keys):
            for k in keys:
                if need > 0 and strata[k]:
                    picked.append(strata[k].pop())
                    need -= 1
    return picked
