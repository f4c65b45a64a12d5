"""`imperative`: an order to the client with nothing to soften it («Пройдите на сайт», "Click the button").

One warning per message, at its first order: a numbered how-to is one instruction, and one «пожалуйста»
in the right place fixes its tone. What is not an order, although its verb looks like one:

Russian (pymorphy3 tells imperatives; the sentence decides between readings):
- «посмотрите», «уточните» also read "you will look": after «вы», «если», «когда»… in the same clause it is
  a statement; after a «когда/если …» clause a verb of result («получите», «увидите») is the future;
- «нашли», «пришли», «перешли» are ты-imperatives and past tenses: to a client on «вы», the past;
- words pymorphy3 does not know (a name like «Хронопей») and abbreviations («напр.», «т. е.») are no verbs;
- polite formulas («здравствуйте», «извините», «давайте», «не волнуйтесь») and advice («попробуйте») are
  listed in `not_orders`; an offer under the client's wish («если хотите, оставьте…») is no order either.

English (no morphology here): a listed base verb that opens a clause and is followed by an object or the end
of the sentence is an order — unless it points to information or suggests ("Check out…", "Take a look",
"Try…", "Keep in mind"), is governed by a modal before it ("you can go to… and click"), or the message has
already said "please". Questions are requests, not orders.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from ..text.analysis import TextFacts, Word
from ..text.lexicon import Lexicon
from ..text.morph import lemma_keys
from ..text.tokens import Sentence
from .base import Check, Context, LangSection, Settings

_ADVERBS_BEFORE = frozenset({"just", "simply", "quickly"})  # "please" goes before them, not between
# the items of a numbered or bulleted list ("1. Restart…", "2) Open…", "- Tap…", "Step 2:"): steps of an instruction
_LIST_MARKER = re.compile(r"(?<!\S)(?:\d{1,2}[.)]|[-•*–—]|(?:step|шаг) \d{1,2}:?)(?=\s+\S)", re.IGNORECASE)
_NUMBERED = re.compile(r"\d[.)]")


def _may_list(text: str) -> bool:
    """Has the text a character or word every list marker needs (decided in C by substring searches; the
    marker pattern, tried at every position, costs ten times as much)?"""
    if "-" in text or "—" in text or "–" in text or "•" in text or "*" in text or _NUMBERED.search(text):
        return True
    folded = text.casefold()
    return "step" in folded or "шаг" in folded


class Params(Settings):
    skip_questions: bool = Field(default=True, description="a sentence ending in «?» is a request, not an order")


class Lang(LangSection):
    softeners: list[str] = Field(default_factory=list, description="words that soften an order: «пожалуйста»")
    not_orders: list[str] = Field(default_factory=list,
                                  description="imperatives that are polite formulas or advice (lemmas): «извинить»")
    statement_markers: list[str] = Field(
        default_factory=list, description="words before a verb in its clause that make it a statement: «вы», «если»")
    invitations: list[str] = Field(default_factory=list,
                                   description="verbs that invite rather than order when a condition follows: «пишите, если…»")
    conditions: list[str] = Field(default_factory=list, description="«если», «когда» — turn an invitation conditional")
    invitation_objects: list[str] = Field(default_factory=list,
                                          description="«мне», «нам»: «напишите мне» invites; «напишите номер» asks")
    offers: list[str] = Field(default_factory=list,
                              description="the client's wish makes an offer of it: «если хотите», «при желании»")
    result_openers: list[str] = Field(
        default_factory=list, description="«когда», «если»: a sentence opening with them states a result after the comma")
    result_verbs: list[str] = Field(
        default_factory=list, description="«получить», «увидеть»: after such an opening clause, the future, not an order")
    verbs: list[str] = Field(default_factory=list, description="English: base verbs that give orders")
    objects: list[str] = Field(default_factory=list,
                               description="English: words after a verb that show it is an order (the, your, us…)")
    pointers: list[str] = Field(default_factory=list,
                                description="English: phrases that point to information or suggest: \"check out\"")
    pointer_verbs: list[str] = Field(default_factory=list,
                                     description="English: \"go\", \"visit\" — pointers in a sentence with a purpose below")
    pointer_purposes: list[str] = Field(default_factory=list,
                                        description="English: \"for more info\" — the sentence points to information")
    please: str = Field(description="the word the suggestion inserts")


_CLAUSE_JOINERS = frozenset({",", ";", ":", "—", "–", "-", "и", "а", "но", "или", "then", "and", "or", "but", "just",
                             "also", "simply", "now"})
_CLAUSE_BREAKS = frozenset({",", ";", ":", "—", "–"})
_COORDINATORS = frozenset({"и", "или", "and", "or"})


class ImperativeCheck(Check[Params, Lang]):
    kind = "imperative"
    typing_reach = "sentence"
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
        self.offers = Lexicon(lemmas=ru.offers, words=en.offers)
        self.result_openers = Lexicon(words=ru.result_openers + en.result_openers)
        self.result_verbs = lemma_keys(ru.result_verbs)
        self.en_verbs = frozenset(w.lower() for w in en.verbs)
        self.en_objects = frozenset(w.lower() for w in en.objects)
        self.pointers = Lexicon(words=en.pointers)
        self.pointer_verbs = frozenset(w.lower() for w in en.pointer_verbs)
        self.pointer_purposes = Lexicon(words=en.pointer_purposes)

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        excused = {m.first for m in self.not_orders.find(draft)}
        excused |= {m.first for m in self.pointers.find(draft)}
        markers = list(_LIST_MARKER.finditer(draft.text)) if _may_list(draft.text) else []
        if len(markers) >= 2:  # a list of steps: the imperatives of its items instruct, they do not order
            items = []
            for marker in markers:
                line_end = draft.text.find("\n", marker.start())
                items.append((marker.start(), len(draft.text) if line_end < 0 else line_end))
            excused |= {w.index for w in draft.words if any(a <= w.token.start < b for a, b in items)}
        for i, tok in enumerate(draft.tokens[:-1] if draft.links else ()):
            # "Visit https://…": a verb straight before a link points to it
            if tok.kind == "word" and tok.lower in self.pointer_verbs and draft.tokens[i + 1].kind == "url":
                excused.add(i)
        for m in self.pointer_purposes.find(draft):  # "Visit … for more info": every go/visit there points
            for s in draft.sentences:
                if s.first <= m.first < s.last:
                    excused |= {w.index for w in draft.sentence_words(s) if w.lower in self.pointer_verbs}
        invited = {m.first for m in self.invitations.find(draft)}
        softened = [m.first for m in self.softeners.find(draft)]
        offered = [m.first for m in self.offers.find(draft)]
        marks = softened + offered
        none: frozenset[int] = frozenset()
        for sentence in draft.sentences:
            if self.params.skip_questions and sentence.is_question_mark:
                continue
            first, last = sentence.first, sentence.last
            if marks and any(first <= i < last for i in marks):
                continue
            please_before = bool(softened) and any(i < first for i in softened)
            # what the sentence's verdict depends on besides its own words (see TextFacts.judged)
            key = (self.serial, frozenset(i for i in excused if first <= i < last) if excused else none,
                   frozenset(i for i in invited if first <= i < last) if invited else none, please_before)
            order = draft.judged(key, sentence, self._first_order, draft, sentence, draft.sentence_words(sentence),
                                 excused, invited, please_before)
            if order is None:
                continue
            start, end, verb = order
            if not ctx.typing(start, end):
                at, suggestion = self._fix(draft, start, end, verb)
                yield self.warning(ctx, start=at, end=end, verb=draft.text[start:end], suggestion=suggestion)
            return  # one warning per message: its first order

    # --- finding the order ---------------------------------------------------------------------------
    def _first_order(self, draft: TextFacts, sentence: Sentence, words: list[Word], excused: set[int],
                     invited: set[int], please_before: bool) -> tuple[int, int, Word] | None:
        has_condition = any(w.lower in self.conditions for w in words)
        result_clause = self._opens_with_result_clause(draft, sentence, words)
        for k, w in enumerate(words):
            if w.index in excused:
                continue
            if w.is_cyrillic:
                if not self._russian_order(draft, sentence, words, k, result_clause):
                    continue
                if w.index in invited and has_condition and self._inviting(draft, w):
                    continue  # «Пишите, если будут вопросы», «Если что-то не так, напишите мне»: an invitation
                start = w.token.start
                prev = words[k - 1] if k > 0 else None
                if prev is not None and prev.lower == "не" and prev.index == w.index - 1:
                    start = prev.token.start  # «Не забудьте» — the order is both words
                return start, w.token.end, w
            if w.token.script == "lat" and not please_before and self._english_order(draft, sentence, words, k):
                if w.index in invited and has_condition and self._inviting(draft, w):
                    continue
                return w.token.start, w.token.end, w
        return None

    def _russian_order(self, draft: TextFacts, sentence: Sentence, words: list[Word], k: int,
                       result_clause: int | None) -> bool:
        w = words[k]
        info = w.info
        if not info.impr or info.pos != "VERB" or not info.known or len(w.lower) < 3:
            return False
        if info.past_too and not info.impr_plural:
            return False  # «нашли», «пришли»: to a client on «вы», the past tense
        if self._abbreviation(draft, w):
            return False
        if info.indicative_too:
            clause = self._clause_words(draft, words, k)
            if any(c.lower in self.ru_markers for c in clause):
                return False  # «вы посмотрите», «если уточните», «когда вы оплатите»: a statement
            if result_clause is not None and w.index > result_clause and not self.result_verbs.isdisjoint(
                    info.keys):
                return False  # «Когда вы оплатите заказ, получите чек»: the future
        return True

    @staticmethod
    def _clause_words(draft: TextFacts, words: list[Word], k: int) -> list[Word]:
        """The words before words[k] in its clause (back to a comma, dash or colon)."""
        out: list[Word] = []
        tokens = draft.tokens
        i = words[k].index - 1
        j = k - 1
        while i >= 0 and j >= 0:
            tok = tokens[i]
            if tok.kind == "punct" and tok.text in _CLAUSE_BREAKS and not (
                    i + 1 < len(tokens) and tokens[i + 1].lower in _COORDINATORS):
                break  # «…, или используйте» continues the clause it coordinates with
            if words[j].index == i:
                out.append(words[j])
                j -= 1
            i -= 1
        return out

    def _opens_with_result_clause(self, draft: TextFacts, sentence: Sentence, words: list[Word]) -> int | None:
        """Token index of the comma that closes an opening «Когда/Если …» clause, if the sentence has one."""
        if not words or not self.result_openers.contains(draft, sentence.first, words[0].index + 2):
            return None
        for i in range(words[0].index, sentence.last):
            if draft.tokens[i].text == ",":
                return i
        return None

    @staticmethod
    def _abbreviation(draft: TextFacts, w: Word) -> bool:
        """«напр.», «т. е.», «см.»: a short word with a full stop that does not end the sentence."""
        tokens = draft.tokens
        nxt = tokens[w.index + 1] if w.index + 1 < len(tokens) else None
        if nxt is None or nxt.text != "." or nxt.start != w.token.end:
            return False
        after = tokens[w.index + 2] if w.index + 2 < len(tokens) else None
        return len(w.lower) <= 4 or (after is not None and after.kind == "word" and after.text[:1].islower())

    def _inviting(self, draft: TextFacts, verb: Word) -> bool:
        """An invitation has no object of its own: «пишите,», «напишите мне», "call us" — not «напишите номер»."""
        nxt = draft.tokens[verb.index + 1] if verb.index + 1 < len(draft.tokens) else None
        return nxt is None or nxt.kind != "word" or nxt.lower in self.invitation_objects

    def _english_order(self, draft: TextFacts, sentence: Sentence, words: list[Word], k: int) -> bool:
        w = words[k]
        if w.lower not in self.en_verbs:
            return False
        if 2 * sum(1 for x in words if x.token.script == "lat") <= len(words):
            return False  # a Latin word in a Russian sentence («ответ на эту почту - email») gives no English order
        # it must open a clause: first in the sentence, or after a comma, "and", "then"…
        if w.index > sentence.first and draft.tokens[w.index - 1].lower not in _CLAUSE_JOINERS:
            return False
        if any(p.lower.split("'")[0] in self.en_markers for p in self._clause_words(draft, words, k)):
            return False  # "if you click", "you can go to … and click": not an order
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
    def _fix(self, draft: TextFacts, start: int, end: int, verb: Word) -> tuple[int, str | None]:
        """Where the fix starts and what it puts there. A verb in capitals is written in normal case in the fix
        (a softener in capitals shouts too: «ПРОЙДИТЕ, ПОЖАЛУЙСТА,» is no kinder); "just"/"simply" before the verb
        take «please» before them ("Just reply" → "Please just reply", not "Just please reply")."""
        span = draft.text[start:end]
        if span.isupper() and len(span) > 1:
            lowered = span.lower()
            if self._sentence_start(draft, verb) or all(t.kind != "word" for t in draft.tokens[:verb.index]):
                lowered = lowered[:1].upper() + lowered[1:]
            return start, self._suggest(draft, start, end, verb, lowered)
        prev = draft.word_at.get(verb.index - 1) if verb.index > 0 else None
        if prev is not None and not verb.is_cyrillic and prev.lower in _ADVERBS_BEFORE:
            adverb = draft.text[prev.token.start:prev.token.end]
            please = self.langs["en"].please
            if self._sentence_start(draft, prev):
                return prev.token.start, f"{please[:1].upper()}{please[1:]} {adverb[:1].lower()}{adverb[1:]} {span}"
            return prev.token.start, f"{please} {adverb} {span}"
        return start, self._suggest(draft, start, end, verb)

    def _suggest(self, draft: TextFacts, start: int, end: int, verb: Word, span: str | None = None) -> str:
        span = draft.text[start:end] if span is None else span
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
            # "Go to…" → "Please go to…": the capital moves to «Please»; a name-like capital inside stays
            return f"{please[:1].upper()}{please[1:]} {span[:1].lower()}{span[1:]}"
        return f"{please} {span}"

    @staticmethod
    def _sentence_start(draft: TextFacts, verb: Word) -> bool:
        return any(s.first == verb.index or (s.first < verb.index and all(
            t.kind != "word" for t in draft.tokens[s.first:verb.index])) for s in draft.sentences)
