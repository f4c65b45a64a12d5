"""`empathy`: the client is upset and the draft answers as if nothing happened.

Upset is read from the client's messages since the operator last wrote: listed words and phrases
(«безобразие», «сколько можно», "ridiculous"), runs of «!!!» or «?!», and shouting in capitals. The draft
shows empathy with an apology or a word of understanding («извините», «понимаю», "sorry").
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ..conversation import Turn
from ..models import Warning
from ..text.lexicon import Lexicon
from .base import Check, Context, LangSection, Settings, quote

_HEATED = re.compile(r"!{2,}|\?!|!\?|\?{3,}")


class Params(Settings):
    min_draft_words: int = Field(default=3, ge=1, description="shorter drafts are still being written")
    min_upset: int = Field(default=1, ge=1, description="signals of upset needed")


class Lang(LangSection):
    upset: list[str] = Field(default_factory=list, description="lemmas and phrases of an upset client")
    empathy: list[str] = Field(default_factory=list, description="lemmas and phrases that show empathy")


def shouted_words(turn: Turn) -> int:
    return sum(1 for w in turn.facts.words if len(w.token.text) >= 3 and w.token.text.isupper() and not w.info.abbr)


class EmpathyCheck(Check[Params, Lang]):
    kind = "empathy"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"quote"})

    def compile(self) -> None:
        ru, en = self.langs["ru"], self.langs["en"]
        self.upset = Lexicon(lemmas=ru.upset, words=en.upset)
        self.empathy = Lexicon(lemmas=ru.empathy, words=en.empathy)

    def _upset(self, turn: Turn) -> int:
        facts = turn.facts
        score = len(self.upset.find(facts)) + len(_HEATED.findall(facts.text))
        if shouted_words(turn) >= 2:
            score += 1
        return score

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if draft.word_count < self.params.min_draft_words:
            return
        upset_turn = None
        for turn in ctx.conv.pending:
            score = ctx.conv.remember((self.serial, turn.index), lambda t=turn: self._upset(t))
            if score >= self.params.min_upset:
                upset_turn = turn
        if upset_turn is None or self.empathy.contains(draft):
            return
        yield self.warning(ctx, start=0, end=0, suggestion=self.section(ctx.lang).suggestion,
                           quote=quote(upset_turn.text))
