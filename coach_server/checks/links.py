"""`links`: a link sent with little or no explanation.

The visitor came to the chat because the site did not answer them; a bare link sends them back to it.
Words that only point at the link («вот ссылка», "see here") do not count as explanation.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from ..text.analysis import is_topic_word
from ..text.morph import lemma_keys
from .base import Check, Context, LangSection, Settings


class Params(Settings):
    min_words: int = Field(default=4, ge=1, description="meaningful words the draft needs beside its links")


class Lang(LangSection):
    pointer_lemmas: list[str] = Field(default_factory=list,
                                      description="words that only point at the link: «ссылка», «здесь»")


class LinksCheck(Check[Params, Lang]):
    kind = "links"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"count", "link"})

    def compile(self) -> None:
        self.pointers = lemma_keys(w for s in self.langs.values() for w in s.pointer_lemmas)

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.links:
            return
        explaining = sum(1 for w in draft.words
                         if is_topic_word(w) and w.lower not in self.pointers and w.info.lemma not in self.pointers)
        explaining += sum(1 for t in draft.tokens if t.kind == "number")  # a price or a date explains too
        if explaining >= self.params.min_words:
            return
        link = draft.links[0]
        yield self.warning(ctx, start=link.start, end=link.end, count=explaining, link=link.text)
