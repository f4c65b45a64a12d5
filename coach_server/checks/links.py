"""`links`: a link sent with little or no explanation.

The visitor came to the chat because the site did not answer them; a bare link sends them back to it.
Words that only point at the link («вот ссылка», "see here") do not count as explanation. Not a bare link:
one to a form or a private channel with what to do there («заполните заявку по ссылке», "send us an email
at …", "follow this link so we can help you one-on-one"), one after an answer ("Yes! …", «К сожалению,
нельзя…»), one the client asked for («скиньте ссылку на оплату»), or one that continues the operator's own
explanation in the message just before.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from pydantic import Field

from ..conversation import OPERATOR
from ..models import Warning
from ..text.analysis import TextFacts, is_topic_word
from ..text.lexicon import Lexicon
from ..text.morph import lemma_keys
from .base import Check, Context, LangSection, Settings


class Params(Settings):
    min_words: int = Field(default=4, ge=1, description="meaningful words the draft needs beside its links")


class Lang(LangSection):
    pointer_lemmas: list[str] = Field(default_factory=list,
                                      description="words that only point at the link: «ссылка», «здесь»")
    actions: list[str] = Field(default_factory=list,
                               description="what to do at a form or private channel: «заполните заявку», \"send us an email\"")
    answers: list[str] = Field(default_factory=list,
                               description="a sentence opening with these answers the question: «да», «к сожалению», \"yes\"")
    asked: list[str] = Field(default_factory=list,
                             description="the client asked for the link itself («скиньте ссылку», \"the link?\"): "
                                         "the link is the answer")
    asking: list[str] = Field(default_factory=list,
                              description="verbs that ask for it when no «?» does: «скинуть», \"send\"")


class LinksCheck(Check[Params, Lang]):
    kind = "links"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"count", "link"})

    def compile(self) -> None:
        sections = self.langs.values()
        self.pointers = lemma_keys(w for s in sections for w in s.pointer_lemmas)
        self.actions = Lexicon(lemmas=[w for s in sections for w in s.actions])
        self.answers = Lexicon(lemmas=[w for s in sections for w in s.answers])
        self.asked = Lexicon(lemmas=[w for s in sections for w in s.asked])
        self.asking = lemma_keys(w for s in sections for w in s.asking)

    def _asked(self, facts: TextFacts) -> bool:
        """«скиньте ссылку на оплату», "got a link to the size guide?" — not "the link you sent is broken"."""
        found = self.asked.find(facts)
        if not found:
            return False
        for sentence in facts.sentences:
            if any(sentence.start <= m.start < sentence.end for m in found) and (
                    sentence in facts.questions
                    or any(not self.asking.isdisjoint(w.info.lemmas) or w.lower in self.asking
                           for w in facts.sentence_words(sentence))):
                return True
        return False

    def _explaining(self, facts: TextFacts) -> int:
        count = sum(1 for w in facts.words
                    if is_topic_word(w) and w.lower not in self.pointers and w.info.lemma not in self.pointers)
        return count + facts.number_count  # a price or a date explains too

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.links:
            return
        explaining = self._explaining(draft)
        if explaining >= self.params.min_words or self.actions.contains(draft):
            return
        early = {w.index for s in draft.sentences for w in draft.sentence_words(s)[:4]}
        if any(m.first in early for m in self.answers.find(draft)):
            return  # "Hi Ryan - yes! Here's how…", «К сожалению, нельзя. Подробнее: …»
        if any(ctx.conv.remember((self.serial, "asked", t.index), partial(self._asked, t.facts))
               for t in ctx.conv.pending):
            return  # «скиньте ссылку на оплату» — «Вот ссылка: …» is the whole answer
        last = ctx.conv.last_speaker_turn
        if last is not None and last.role == OPERATOR and ctx.conv.remember(
                (self.serial, last.index), lambda: self._explaining(last.facts) >= self.params.min_words):
            return  # the link follows the operator's own explanation in the message before
        link = draft.links[0]
        yield self.warning(ctx, start=link.start, end=link.end, count=explaining, link=link.text)
