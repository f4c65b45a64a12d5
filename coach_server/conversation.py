"""What the chat so far says: turns, who is waiting for whom, open client questions, the client's language.

A `Conversation` is built once per distinct message list and cached (see `ConversationCache`), so rules can
ask the same question on every keystroke for free. Rules that need their own per-message judgement (is this
client message upset? did this operator message give something useful?) keep it in `memo`.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from .models import Message
from .text.analysis import FactsCache, TextFacts
from .text.language import EN, NO_EVIDENCE, OTHER, RU, Evidence
from .text.tokens import Sentence

T = TypeVar("T")

CLIENT = "client"
OPERATOR = "operator"


@dataclass(slots=True)
class Turn:
    index: int
    role: str
    text: str
    ts: float | None
    facts: TextFacts


class Conversation:
    def __init__(self, messages: Sequence[Message], facts: FactsCache):
        self.turns: list[Turn] = [Turn(i, m.role, m.text, m.ts, facts.get(m.text)) for i, m in enumerate(messages)]
        self.tail = messages[-1] if messages else None
        self.memo: dict[Any, Any] = {}

    def remember(self, key: Any, compute: Callable[[], T]) -> T:
        """Compute a per-conversation fact once (keyed by the asking check)."""
        try:
            found: T = self.memo[key]
            return found
        except KeyError:
            value = self.memo[key] = compute()
            return value

    @cached_property
    def latest_ts(self) -> float | None:
        """The latest timestamp of any message (None when no message has one)."""
        return max((t.ts for t in self.turns if t.ts is not None), default=None)

    @cached_property
    def last_operator_index(self) -> int:
        for turn in reversed(self.turns):
            if turn.role == OPERATOR:
                return turn.index
        return -1

    @property
    def has_operator_reply(self) -> bool:
        return self.last_operator_index >= 0

    @cached_property
    def operator_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.role == OPERATOR]

    @cached_property
    def client_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.role == CLIENT]

    @cached_property
    def pending(self) -> list[Turn]:
        """Client messages since the operator last wrote: what the operator owes an answer to."""
        return [t for t in self.turns[self.last_operator_index + 1:] if t.role == CLIENT]

    @cached_property
    def last_speaker_turn(self) -> Turn | None:
        """The last client or operator message (system notes and bots do not take a turn)."""
        for turn in reversed(self.turns):
            if turn.role in (CLIENT, OPERATOR):
                return turn
        return None

    @cached_property
    def open_questions(self) -> list[tuple[Turn, Sentence]]:
        """Questions the client asked since the operator last wrote."""
        return [(turn, s) for turn in self.pending for s in turn.facts.questions]

    @cached_property
    def client_evidence(self) -> Evidence:
        """Language evidence of the client's latest messages, the newest weighing most. A message too short
        to tell («Да», "thx") or only a pasted log adds little or nothing: the chat keeps its language."""
        total = NO_EVIDENCE
        weight = 1.0
        for turn in reversed(self.client_turns[-6:]):
            total = total + turn.facts.language_evidence.scaled(weight)
            weight *= 0.7
        return total

    @cached_property
    def client_language(self) -> str | None:
        """"ru", "en", "other" (the client writes Spanish, Japanese, Ukrainian …) or None (too little)."""
        return self.client_evidence.language()

    @cached_property
    def client_lang(self) -> str | None:
        """The language the client writes in when it is Russian or English; None otherwise."""
        found = self.client_language
        return found if found in (RU, EN) else None

    @cached_property
    def operator_lang(self) -> str | None:
        """The language the operator has written in so far ("ru"/"en"), if any."""
        total = NO_EVIDENCE
        for turn in self.operator_turns[-6:]:
            total = total + turn.facts.language_evidence
        found = total.language()
        return found if found in (RU, EN) else None

    def wording_lang(self, draft: TextFacts) -> str:
        """The language warnings are worded in: the client's, else the draft's, else what the operator wrote
        before; a chat in another language gets English (never Russian by default), an empty one Russian.
        (The draft's language is asked for only when the client's is not known: it costs a keystroke.)"""
        return (self.client_lang or draft.lang or self.operator_lang
                or (EN if self.client_language == OTHER else RU))


class ConversationCache:
    """Conversations by their exact message list: a chat analysed once, reused on every keystroke."""

    def __init__(self, facts: FactsCache, size: int = 2_000):
        self.facts = facts
        self.size = size
        self._items: OrderedDict[tuple[tuple[str, str, float | None], ...], Conversation] = OrderedDict()
        self._last_list: Sequence[Message] | None = None
        self._last_len = -1
        self._last: Conversation | None = None

    def get(self, messages: Sequence[Message]) -> Conversation:
        # the live service keeps one list object per chat until a message arrives (it replaces the list,
        # never edits it): recognise it at once. Callers must likewise treat a list they pass as immutable.
        if (messages is self._last_list and len(messages) == self._last_len and self._last is not None
                and (not messages or messages[-1] is self._last.tail)):
            return self._last
        key = tuple([(m.role, m.text, m.ts) for m in messages])
        items = self._items
        conv = items.get(key)
        if conv is None:
            conv = items[key] = Conversation(messages, self.facts)
            if len(items) > self.size:
                items.popitem(last=False)
        else:
            items.move_to_end(key)
        self._last_list, self._last_len, self._last = messages, len(messages), conv
        return conv
