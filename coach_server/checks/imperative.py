"""`imperative`: an order to the client with nothing to soften it («Пройдите на сайт», "Click here").

Russian: pymorphy3 tells imperatives; «посмотрите», «уточните» also read as "you will look", so the
sentence decides — after «вы», «если», «когда» it is a statement, not an order. Polite formulas that are
imperatives in form («здравствуйте», «извините», «давайте», «не волнуйтесь») are listed in `not_orders`.
English has no morphology here: a listed base verb that opens a clause and is followed by an object or
the end of the sentence is an order. Questions are requests, not orders. One warning per sentence: one
«пожалуйста» softens the whole sentence, and the suggestion puts it right after the first verb.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from ..text.analysis import TextFacts, Word
from ..text.lexicon import Lexicon
from ..text.tokens import Sentence
from .base import Check, Context, LangSection, Settings


class Params(Settings):
    skip_questions: bool = Field(default=True, description="a sentence ending in «?» is a request, not an order")


class Lang(LangSection):
    softeners: list[str] = Field(default_factory=list, description="words that soften an order: «пожалуйста»")
    not_orders: list[str] = Field(default_factory=list,
                                  description="imperatives that are polite formulas (lemmas): «извинить»")
    statement_markers: list[str] = Field(
        default_factory=list, description="words before a verb that make it a statement: «вы», «если»")
    invitations: list[str] = Field(default_factory=list,
                                   description="verbs that invite rather than order when a condition follows: «пишите, если…»")
    conditions: list[str] = Field(default_factory=list, description="«если», «когда» — turn an invitation conditional")
    invitation_objects: list[str] = Field(default_factory=list,
                                          description="«мне», «нам»: «напишите мне» invites; «напишите номер» asks")
    verbs: list[str] = Field(default_factory=list, description="English: base verbs that give orders")
    objects: list[str] = Field(default_factory=list,
                               description="English: words after a verb that show it is an order (the, your, us…)")
    please: str = Field(description="the word the suggestion inserts")


_CLAUSE_JOINERS = frozenset({",", ";", ":", "—", "–", "-", "и", "а", "но", "или", "then", "and", "or", "but", "just",
                             "also", "simply", "now"})


class ImperativeCheck(Check[Params, Lang]):
    kind = "imperative"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"verb"})

    def compile(self) -> None:
        ru, en = self.langs["ru"], self.langs["en"]
        self.softeners = Lexicon(words=ru.softeners + en.softeners)
        self.not_orders = Lexicon(lemmas=ru.not_orders, words=en.not_orders)
        self.ru_markers = frozenset(w.lower() for w in ru.statement_markers)
        self.en_markers = frozenset(w.lower() for w in en.statement_markers)
        self.invitations = Lexicon(lemmas=ru.invitations, words=en.invitations)
        self.conditions = frozenset(w.lower() for w in ru.conditions + en.conditions)
        self.invitation_objects = frozenset(w.lower() for w in ru.invitation_objects + en.invitation_objects)
        self.en_verbs = frozenset(w.lower() for w in en.verbs)
        self.en_objects = frozenset(w.lower() for w in en.objects)

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        excused = {m.first for m in self.not_orders.find(draft)}
        invited = {m.first for m in self.invitations.find(draft)}
        softened = [m.first for m in self.softeners.find(draft)]
        for sentence in draft.sentences:
            if self.params.skip_questions and sentence.is_question_mark:
                continue
            if any(sentence.first <= i < sentence.last for i in softened):
                continue
            words = draft.sentence_words(sentence)
            order = self._first_order(draft, sentence, words, excused, invited)
            if order is None:
                continue
            start, end, verb = order
            if ctx.typing(start, end):
                continue
            yield self.warning(ctx, start=start, end=end, verb=draft.text[start:end],
                               suggestion=self._suggest(ctx, draft, start, end, verb))

    # --- finding the order ---------------------------------------------------------------------------
    def _first_order(self, draft: TextFacts, sentence: Sentence, words: list[Word], excused: set[int],
                     invited: set[int]) -> tuple[int, int, Word] | None:
        has_condition = any(w.lower in self.conditions for w in words)
        for k, w in enumerate(words):
            if w.index in excused:
                continue
            if w.is_cyrillic:
                if not w.info.impr or w.info.pos != "VERB":
                    continue
                prev = words[k - 1] if k > 0 else None
                if prev is not None and prev.lower in self.ru_markers and w.info.indicative_too:
                    continue  # «вы посмотрите», «если уточните»: a statement
                if w.index in invited and has_condition and self._inviting(draft, w):
                    continue  # «Пишите, если будут вопросы», «Если что-то не так, напишите мне»: an invitation
                start = w.token.start
                if prev is not None and prev.lower == "не" and prev.index == w.index - 1:
                    start = prev.token.start  # «Не забудьте» — the order is both words
                return start, w.token.end, w
            elif w.token.script == "lat" and self._english_order(draft, sentence, words, k):
                if w.index in invited and has_condition and self._inviting(draft, w):
                    continue
                return w.token.start, w.token.end, w
        return None

    def _inviting(self, draft: TextFacts, verb: Word) -> bool:
        """An invitation has no object of its own: «пишите,», «напишите мне», "call us" — not «напишите номер»."""
        nxt = draft.tokens[verb.index + 1] if verb.index + 1 < len(draft.tokens) else None
        return nxt is None or nxt.kind != "word" or nxt.lower in self.invitation_objects

    def _english_order(self, draft: TextFacts, sentence: Sentence, words: list[Word], k: int) -> bool:
        w = words[k]
        if w.lower not in self.en_verbs:
            return False
        # it must open a clause: first in the sentence, or after a comma, "and", "then"…
        if w.index > sentence.first and draft.tokens[w.index - 1].lower not in _CLAUSE_JOINERS:
            return False
        if k > 0 and words[k - 1].lower in self.en_markers:
            return False  # "if you click", "when you go"
        # and be followed by an object or end the sentence: "Click the button", "Wait."
        if w.index + 1 >= sentence.last:
            return True
        nxt = draft.tokens[w.index + 1]
        if nxt.kind in ("url", "email", "phone", "number"):
            return True
        if nxt.kind == "word":
            return nxt.lower in self.en_objects
        return nxt.text[0] in ".!…"

    # --- the fix ---------------------------------------------------------------------------------------
    def _suggest(self, ctx: Context, draft: TextFacts, start: int, end: int, verb: Word) -> str:
        span = draft.text[start:end]
        if verb.is_cyrillic:
            please = self.langs["ru"].please
            nxt = next((t for t in draft.tokens if t.start >= end), None)
            if nxt is not None and nxt.kind == "punct" and nxt.text not in "«(\"—–-":
                return f"{span}, {please}"  # «Подождите, я проверю» → «Подождите, пожалуйста, я проверю»
            if nxt is None:
                return f"{span}, {please}"
            return f"{span}, {please},"
        please = self.langs["en"].please
        at_start = all(t.kind != "word" for t in draft.tokens[:verb.index]) or self._sentence_start(draft, verb)
        if at_start:
            return f"{please[:1].upper()}{please[1:]} {span[:1].lower()}{span[1:]}"
        return f"{please} {span}"

    @staticmethod
    def _sentence_start(draft: TextFacts, verb: Word) -> bool:
        return any(s.first == verb.index or (s.first < verb.index and all(
            t.kind != "word" for t in draft.tokens[s.first:verb.index])) for s in draft.sentences)
