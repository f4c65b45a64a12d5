"""`closing`: saying goodbye while the client still has a question, or before asking whether they need
anything else. Only the client ends the chat.

A farewell is fine once the client has said goodbye or thanks-and-that's-all, or after the operator
asked «Могу ли я ещё чем-то помочь?» and the client answered. A bare farewell to an open question is the
worse case; an answer followed by a goodbye («Доставка 300 ₽. Хорошего дня!») still closes too early.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..conversation import OPERATOR
from ..models import Warning
from ..text.analysis import TextFacts
from ..text.lexicon import Lexicon, Match
from .base import Check, Context, LangSection, Settings, quote


class Params(Settings):
    recent_operator_messages: int = Field(default=3, ge=1,
                                          description="how far back an «anything else?» question counts")


class Lang(LangSection):
    message_open: str = Field(description="a client question is still open: {question}")
    farewells: list[str] = Field(default_factory=list, description="«до свидания», «всего доброго», \"bye\"")
    anything_else: list[str] = Field(default_factory=list, description="«чем-то ещё помочь», \"anything else\"")
    client_done: list[str] = Field(default_factory=list, description="the client closes: «спасибо», «пока»")


class ClosingCheck(Check[Params, Lang]):
    kind = "closing"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"question"})

    def compile(self) -> None:
        ru, en = self.langs["ru"], self.langs["en"]
        self.farewells = Lexicon(lemmas=ru.farewells, words=en.farewells)
        self.anything_else = Lexicon(lemmas=ru.anything_else, words=en.anything_else)
        self.client_done = Lexicon(lemmas=ru.client_done, words=en.client_done)

    def _asked_anything_else(self, ctx: Context) -> bool:
        """Did a recent operator message ask «anything else?» and the client answer it?"""
        def compute() -> bool:
            turns = ctx.conv.turns
            recent = [t for t in turns if t.role == OPERATOR][-self.params.recent_operator_messages:]
            for turn in recent:
                if self.anything_else.contains(turn.facts):
                    return any(t.role == "client" for t in turns[turn.index + 1:])
            return False
        return ctx.conv.remember((self.serial, "asked"), compute)

    @staticmethod
    def _stands_alone(draft: TextFacts, match: Match) -> bool:
        """A farewell is a sentence of its own, or ends one («Спасибо, до свидания!»): "we will take good care
        of it" or «хорошего дня не бывает без кофе» say no goodbye."""
        for sentence in draft.sentences:
            if sentence.first <= match.first < sentence.last:
                words = draft.sentence_words(sentence)
                after = [w for w in words if w.index > match.last]
                comma = match.first > 0 and draft.tokens[match.first - 1].text in (",", "—", "-", "–")
                return not after and (comma or len(words) - (match.last - match.first + 1) <= 3)
        return False

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        farewell = next((m for m in self.farewells.find(draft)
                         if not draft.is_quoted(m.start, m.end) and self._stands_alone(draft, m)), None)
        if farewell is None or ctx.typing(farewell.start, farewell.end):
            return
        section = self.section(ctx.lang)
        client_turns = ctx.conv.client_turns
        if client_turns and self.client_done.contains(client_turns[-1].facts):
            return  # the client closed first: a goodbye answers theirs
        if self._asked_anything_else(ctx) or self.anything_else.contains(draft):
            return  # «что-то ещё?» asked and answered, or asked now
        open_questions = ctx.conv.open_questions
        answering = any(s.end <= farewell.start and draft.sentence_words(s) for s in draft.sentences)
        if open_questions and not answering:
            turn, sentence = open_questions[-1]
            yield self.warning(ctx, start=farewell.start, end=farewell.end, template=section.message_open,
                               question=quote(turn.facts.sentence_text(sentence)), trigger="open_question")
            return
        yield self.warning(ctx, start=farewell.start, end=farewell.end, suggestion=self.fix_section(ctx).suggestion, question="",
                           trigger="no_anything_else")
