"""What the chat so far says: turns, who is waiting for whom, open client questions, the client's language.

A `Conversation` is built once per distinct message list and cached (see `ConversationCache`), so rules can
ask the same question on every keystroke for free. Rules that need their own per-message judgement (is this
client message upset? did this operator message give something useful?) keep it in `memo`.

The text analysed is the chat's latest part: its last MAX_ANALYSED_MESSAGES messages, as far back as
MAX_ANALYSED_CHARS characters. Older messages stay turns — who wrote, when — with their text unanalysed (as
if empty to the rules), so a chat of 2,000 long messages costs what a long live chat costs, never a megabyte
of analysis held for one request.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .caching import SizedLRU, cached_property
from .models import Message
from .text.analysis import AnalysisPending, FactsCache, TextFacts, facts_size
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


MAX_ANALYSED_MESSAGES = 200
MAX_ANALYSED_CHARS = 60_000
NOT_ANALYSED = TextFacts("")  # the facts of a message older than the analysed part


def analysed_from(messages: Sequence[Message]) -> int:
    """The index of the oldest message whose text is analysed."""
    first = len(messages)
    chars = 0
    while first > 0 and len(messages) - first < MAX_ANALYSED_MESSAGES:
        chars += len(messages[first - 1].text)
        if chars > MAX_ANALYSED_CHARS and first < len(messages):
            break  # (the newest message is analysed whatever its length)
        first -= 1
    return first


class Conversation:
    def __init__(self, messages: Sequence[Message], facts: FactsCache | Sequence[TextFacts]):
        """`facts`: the cache to analyse the messages with, or their facts already found (one per message)."""
        if isinstance(facts, FactsCache):
            first = analysed_from(messages)
            facts = [facts.get(m.text) if i >= first else NOT_ANALYSED for i, m in enumerate(messages)]
        self.turns: list[Turn] = [Turn(i, m.role, m.text, m.ts, f) for i, (m, f) in enumerate(zip(messages, facts))]
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


ConversationKey = tuple[tuple[str, str, float | None], ...]


def conversation_size(key: ConversationKey, conv: Conversation) -> int:
    """Bytes a cached conversation keeps alive, estimated: its key and turns (~400 bytes a message), what
    rules remember of it (normalised copies of texts, word sets: up to ~4 bytes a character), and the
    analysis of its messages — shared with the facts cache while that holds them, but kept alive by the
    conversation after the facts cache has let them go."""
    return (2_000 + 400 * len(key) + 4 * sum(len(text) for _, text, _ in key)
            + sum(facts_size(turn.text, turn.facts) for turn in conv.turns))


class ConversationCache:
    """Conversations by their exact message list: a chat analysed once, reused on every keystroke. Bounded
    by entries and by bytes (a 2,000-message chat holds about as much as 500 small ones)."""

    def __init__(self, facts: FactsCache, size: int = 2_000, max_bytes: int = 16 << 20):
        self.facts = facts
        self._items: SizedLRU[ConversationKey, Conversation] = SizedLRU(size, max_bytes, conversation_size)
        # conversations being analysed in slices (see text.analysis.AnalysisPending): the facts found so far,
        # held here so that the analysis goes on where it stopped even if the facts cache lets them go
        self._building: SizedLRU[ConversationKey, list[TextFacts]] = SizedLRU(8, 64 << 20, _building_size)
        self._last_list: Sequence[Message] | None = None
        self._last_len = -1
        self._last: Conversation | None = None

    @property
    def size(self) -> int:
        return self._items.max_items

    def clear(self) -> None:
        self._items.clear()
        self._building.clear()
        self._last_list, self._last_len, self._last = None, -1, None

    def get(self, messages: Sequence[Message]) -> Conversation:
        # the live service keeps one list object per chat until a message arrives (it replaces the list,
        # never edits it): recognise it at once. Callers must likewise treat a list they pass as immutable.
        if (messages is self._last_list and len(messages) == self._last_len and self._last is not None
                and (not messages or messages[-1] is self._last.tail)):
            return self._last
        key = tuple([(m.role, m.text, m.ts) for m in messages])
        conv = self._items.get(key)
        if conv is None:
            conv = Conversation(messages, self._analyse(key, messages))
            self._items.put(key, conv)
        self._last_list, self._last_len, self._last = messages, len(messages), conv
        return conv

    def _analyse(self, key: ConversationKey, messages: Sequence[Message]) -> list[TextFacts]:
        """The facts of every message (the analysed part; NOT_ANALYSED before it), going on from where an
        earlier slice stopped."""
        found = self._building.pop(key) or []
        first = analysed_from(messages)
        try:
            for i in range(len(found), len(messages)):
                found.append(self.facts.get(messages[i].text) if i >= first else NOT_ANALYSED)
        except AnalysisPending:
            self._building.put(key, found)
            raise
        return found


def _building_size(key: ConversationKey, found: list[TextFacts]) -> int:
    return 1_000 + sum(facts_size(f.text, f) for f in found)
