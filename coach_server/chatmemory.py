"""What one live chat has analysed, kept with the chat: its conversation and its latest draft.

The shared caches (`FactsCache`, `ConversationCache`, `DraftCache`) are bounded by bytes and serve every
caller — with a few hundred live chats typing at once they cannot hold every chat, and a chat pushed out
is analysed anew on its next keystroke. A `ChatMemory` lives as long as the live chat that owns it (the
service's `ChatState`), so a keystroke never re-reads a message it already read: the conversation is
analysed once per message list (a new message reuses the facts of the others), the draft from the
previous draft (`revise`: only the sentence being typed), and the answers of the rules that read nothing
but the conversation stay in the conversation's memo (see `Coach.evaluate`). The shared caches serve the
first sight of a chat (a reconnect, the same messages over HTTP).

What a memory holds is bounded by what its chat holds (the analysed part of its messages,
`conversation.analysed_from`, and one draft); `size` estimates it, and the service bounds the sum over
all its chats (`LiveHub`).
"""
from __future__ import annotations

from collections.abc import Sequence

from .conversation import NOT_ANALYSED, Conversation, analysed_from
from .models import Message
from .text.analysis import JUDGED_BYTES, AnalysisPending, DraftCache, FactsCache, TextFacts, revise

_PER_MESSAGE = 400  # bytes a turn and its message's place in the lists cost besides the analysis


def held_size(facts: TextFacts) -> int:
    """Bytes an analysed text keeps alive in a chat's memory, estimated (measured with tracemalloc on live
    chats, with what the rules ask computed): ~110 a token, ~250 a word with its indexes, the text's
    characters, the rules' verdicts on its sentences (a word's strings are shared by its tokens, its
    morphology by the word cache, both bounded on their own — unlike `facts_size`, which counts them, for a
    cache of texts from anyone)."""
    return (600 + 4 * len(facts.text) + 110 * len(facts.tokens) + 250 * len(facts.words)
            + JUDGED_BYTES * facts.judged_count)


class ChatMemory:
    __slots__ = ("_building", "_conv_bytes", "conv", "draft", "messages")

    def __init__(self) -> None:
        self.messages: Sequence[Message] | None = None  # the message list `conv` was made for
        self.conv: Conversation | None = None
        self.draft: TextFacts | None = None  # the latest draft's analysis
        # a conversation being analysed in slices: its message list and the facts found so far
        self._building: tuple[Sequence[Message], list[TextFacts]] | None = None
        self._conv_bytes = 0

    @property
    def size(self) -> int:
        """Bytes this memory keeps alive, estimated (as the caches estimate theirs)."""
        draft = self.draft
        return self._conv_bytes + (held_size(draft) if draft is not None else 0)

    def clear(self) -> None:
        """Let everything go (the service's bound on all chats' memories, or its memory guard): the next
        check of this chat analyses it again, from the shared caches."""
        self.messages = self.conv = self.draft = self._building = None
        self._conv_bytes = 0

    def conversation(self, messages: Sequence[Message], facts: FactsCache) -> Conversation:
        """The conversation of `messages` — the chat's list, which the service replaces when a message comes
        and never edits (`ConversationCache.get` relies on the same)."""
        conv = self.conv
        if (conv is not None and messages is self.messages and len(messages) == len(conv.turns)
                and (not messages or messages[-1] is conv.tail)):
            return conv
        found = self._analyse(messages, facts)
        conv = Conversation(messages, found)
        self.messages, self.conv = messages, conv
        self._conv_bytes = 2_000 + _PER_MESSAGE * len(messages) + sum(
            held_size(f) for f in found if f is not NOT_ANALYSED)
        return conv

    def _analyse(self, messages: Sequence[Message], facts: FactsCache) -> list[TextFacts]:
        """The facts of every message: what this chat analysed before (its previous conversation, a
        conversation begun in an earlier slice) is reused by text, the rest comes from the shared cache."""
        known: dict[str, TextFacts] = {}
        if self.conv is not None:
            known = {t.text: t.facts for t in self.conv.turns if t.facts is not NOT_ANALYSED}
        found: list[TextFacts] = []
        if self._building is not None:
            building, found = self._building
            if building is not messages:
                known.update((f.text, f) for f in found)
                found = []
        self._building = None
        first = analysed_from(messages)
        try:
            for i in range(len(found), len(messages)):
                if i < first:
                    found.append(NOT_ANALYSED)
                    continue
                text = messages[i].text
                found.append(known.get(text) or facts.get(text))
        except AnalysisPending:
            self._building = (messages, found)
            raise
        return found

    def draft_facts(self, text: str, drafts: DraftCache) -> TextFacts:
        """The analysis of the draft `text`, from the chat's previous draft: only what follows the last
        finished sentence the two share is analysed (the first draft comes from the shared cache)."""
        previous = self.draft
        if previous is None:
            draft = drafts.get(text)
        elif previous.text == text:
            return previous
        else:
            draft = revise(previous, text)
        self.draft = draft
        return draft
