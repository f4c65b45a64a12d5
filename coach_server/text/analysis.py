"""Everything the rules ask about one piece of text, computed once per distinct text.

A `TextFacts` is built for the draft and for every chat message. Chat messages never change, so their facts
are cached by text (see `FactsCache`); expensive facts are computed lazily, the first time a rule asks.

Analysis can be done in slices (`analysis_budget`): a check may then analyse at most so many word forms
never seen before and so many characters of new text; past that it stops with `AnalysisPending`, keeping
what it did (the forms' morphology, every text finished), and the next slice goes on from there. The live
service checks in slices so that one long new text — 20,000 characters of words never seen — cannot hold
the event loop for half a second: between slices the other connections are served.
"""
from __future__ import annotations

import threading
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import _lru_cache_wrapper
from itertools import islice
from typing import Any, TypeVar, cast

from ..caching import SizedLRU, cached_property
from . import language, morph
from .morph import WordInfo
from .spans import SpanIndex
from .tokens import (
    CODE,
    EMAIL,
    MAX_WORD_CHARS,
    NUMBER,
    PHONE,
    URL,
    WORD,
    Sentence,
    Token,
    iter_tokens,
    split_sentences,
    tokenize,
)
from .vocab import (
    EN_ASKING_VERBS,
    EN_AUXILIARIES,
    EN_INTERROGATIVES,
    EN_STOP_WORDS,
    EN_SUBJECTS,
    EN_WH_WORDS,
    RU_ASKING_VERBS,
    RU_INTERROGATIVES,
    RU_STOP_LEMMAS,
)

T = TypeVar("T")
_UNJUDGED = object()  # (a verdict may be None)


class AnalysisPending(BaseException):
    """This slice of analysis is spent; what it analysed is kept, the next slice goes on from there. (A
    BaseException: a rule's own costly lookups may run out of budget too, and the engine's guard against a
    failing rule — `except Exception` — must let this through.)"""


class RulesPending(AnalysisPending):
    """The analysis is done and took a slice's worth of time: the rules run in the next slice."""


@dataclass(slots=True)
class AnalysisBudget:
    """What one slice of a check may analyse that was never analysed before."""

    forms: int = 100  # word forms (morphology: ~0.15 ms each for a form pymorphy3 must guess)
    chars: int = 20_000  # characters of new texts begun (a text is finished in later slices if need be)
    tokens: int = 5_000  # tokens of a long text (~2.5 µs each)
    corrections: int = 10  # spelling corrections looked for (~2 ms each for a word never seen)
    words: int = 0  # words looked up so far in this slice…
    misses_at_start: int = 0  # …and morph's cache misses before the first of them
    started: bool = False  # the first text of a slice is always begun (each slice makes progress)
    rules_may_wait: bool = True  # after a long analysis the rules may wait for the next slice (once)


_budget: ContextVar[AnalysisBudget | None] = ContextVar("analysis_budget", default=None)


class analysis_budget:  # (named as the function it replaced: `with analysis_budget(budget):`)
    """Analyse within `budget` in this context (None: without limit, as the command-line tools do). A class,
    not a generator: it is entered on every check (a keystroke), and a generator's context costs ~3 times as
    much."""

    __slots__ = ("_token", "budget")

    def __init__(self, budget: AnalysisBudget | None):
        self.budget = budget

    def __enter__(self) -> None:
        self._token = _budget.set(self.budget)

    def __exit__(self, *exc: object) -> None:
        _budget.reset(self._token)


def within_budget(cached: _lru_cache_wrapper[T], arg: str, spend: str) -> T:
    """cached(arg) — a function with an lru cache — counting a miss of its cache (work done, not looked up)
    against the current slice's budget `spend` ("forms", "corrections"); past the budget the slice stops,
    the value just computed kept in that cache for the next."""
    budget = _budget.get()
    if budget is None:
        return cached(arg)
    misses = cached.cache_info().misses
    value = cached(arg)
    if cached.cache_info().misses != misses:
        left = getattr(budget, spend) - 1
        setattr(budget, spend, left)
        if left < 0:
            raise AnalysisPending()
    return value


def _morphology_misses() -> int:
    return morph.russian.cache_info().misses + morph.english.cache_info().misses


def word_info(form: str, script: str) -> WordInfo:
    """The morphology of a lower-case word form, within the current slice's budget of new forms: every 16th
    form the slice counts the misses of morph's caches since it began (asking each time would cost a
    keystroke's check a tenth more)."""
    budget = _budget.get()
    if budget is not None:
        budget.words += 1
        if budget.words == 1:
            budget.misses_at_start = _morphology_misses()
        elif budget.words % 16 == 0 and _morphology_misses() - budget.misses_at_start > budget.forms:
            raise AnalysisPending()
    return morph.info(form, script)


# The tokens of the last few long texts: a text analysed over several slices is tokenized once — and, in
# slices, a slice at a time (the tokens so far and the rest to come are kept between slices).
_RECENT_TOKENS: OrderedDict[str, list[Token]] = OrderedDict()
_TOKENIZING: OrderedDict[str, tuple[list[Token], Iterator[Token]]] = OrderedDict()
_BEGUN: OrderedDict[int, int] = OrderedDict()  # how often each text's tokenizing in slices was begun
_RECENT_TOKENS_SIZE = 2  # (a 20,000-token text's tokens hold ~4 MB)
_LONG_TEXT = 2_000
_RECENT_TOKENS_LOCK = threading.Lock()  # a back-test thread analyses alongside the service


def _tokens(text: str) -> list[Token]:
    """tokenize(text), remembered for a long text (the list is shared: TextFacts never changes its tokens)."""
    if len(text) < _LONG_TEXT:
        return tokenize(text)
    with _RECENT_TOKENS_LOCK:
        found = _RECENT_TOKENS.get(text)
    if found is not None:
        return found
    budget = _budget.get()
    found = tokenize(text) if budget is None else _tokens_in_slices(text, budget)
    with _RECENT_TOKENS_LOCK:
        _RECENT_TOKENS[text] = found
        while len(_RECENT_TOKENS) > _RECENT_TOKENS_SIZE:
            _RECENT_TOKENS.popitem(last=False)
    return found


def _tokens_in_slices(text: str, budget: AnalysisBudget) -> list[Token]:
    """A long text's tokens, at most `budget.tokens` of them in this slice (budgets are the event loop's: only
    its thread comes here). A text whose progress was lost (many long texts at once pushed it out) is
    tokenized in one go the second time: every text gets through."""
    progress = _TOKENIZING.pop(text, None)
    if progress is None:
        key = hash(text)
        begun = _BEGUN.pop(key, 0) + 1
        _BEGUN[key] = begun
        while len(_BEGUN) > 256:
            _BEGUN.popitem(last=False)
        if begun > 1:
            return tokenize(text)
    tokens, rest = progress if progress is not None else ([], iter_tokens(text))
    for token in rest:
        tokens.append(token)
        budget.tokens -= 1
        if budget.tokens <= 0:
            _TOKENIZING[text] = (tokens, rest)
            while len(_TOKENIZING) > _RECENT_TOKENS_SIZE:
                _TOKENIZING.popitem(last=False)
            raise AnalysisPending()
    return tokens


def _spend_chars(text: str) -> None:
    """Count a new text against the current slice's budget (the slice's first text is always begun)."""
    budget = _budget.get()
    if budget is None:
        return
    if budget.started and len(text) > budget.chars:
        raise AnalysisPending()
    budget.started = True
    budget.chars -= len(text)


@dataclass(slots=True)
class Word:
    """A word token with its morphology."""

    index: int  # index into TextFacts.tokens
    token: Token
    info: WordInfo
    lower: str  # the lower-case form (hot: read by every word list)
    is_cyrillic: bool


class TextFacts:
    """Tokens, words, sentences and derived facts of one text. Treat as immutable."""

    def __init__(self, text: str, reuse: TextFacts | None = None, keep: int = 0):
        """Analyse `text`; with `reuse`, its first `keep` tokens (and their words) are taken as they are —
        the caller guarantees `text` starts with the same characters up to a sentence end after them (see
        `revise`) — and so are the sentences, and what was judged of each, that end before the text differs."""
        self.text = text
        self._sentence_words: dict[tuple[int, int], list[Word]] = {}
        self._is_question: dict[tuple[int, int], bool] = {}
        # what the rules judged of each sentence, by (first token, last token), then by the rule's key: see
        # `judged` (a revision takes over a kept sentence's verdicts, and what it adds holds for both)
        self._judged: dict[tuple[int, int], dict[Hashable, Any]] = {}
        # A draft's memo of what each word list found in it (`Lexicon.find`), and the previous draft's with
        # the number of leading tokens the two have alike: a draft typed a keystroke at a time looks again
        # only at what changed.
        # (None for a chat message: it is searched once, and its memo would only hold memory.)
        self.finds: dict[Any, Any] | None = None
        self.carried_finds: tuple[dict[Any, Any], int] | None = None
        self._positions_from: dict[int, tuple[dict[str, list[int]], dict[str, list[int]]]] = {}
        specials: list[Token] | None = None
        if reuse is not None and keep:
            boundary = reuse.tokens[keep - 1].end
            self.tokens: list[Token] = reuse.tokens[:keep] + tokenize(text, boundary)
            kept = bisect_left(reuse.words, keep, key=_word_index)  # (words are in token order)
            self.words: list[Word] = reuse.words[:kept]
            self.word_at: dict[int, Word] = reuse.word_at.copy()  # token index → Word
            for w in reuse.words[kept:]:
                del self.word_at[w.index]
            first = keep
            known = reuse.__dict__.get("specials")
            if known is not None:  # (tokens do not overlap: the kept ones end by the boundary, no other does)
                specials = [t for t in known if t.end <= boundary]
        else:
            self.tokens = _tokens(text)
            self.words = []
            self.word_at = {}
            first = 0
        tokens = self.tokens
        words = self.words
        word_at = self.word_at
        info = word_info
        for i in range(first, len(tokens)):
            tok = tokens[i]
            kind = tok.kind
            if kind == WORD:
                if tok.end - tok.start <= MAX_WORD_CHARS:  # a longer run is no word to judge
                    word = Word(i, tok, info(tok.lower, tok.script), tok.lower, tok.script == "cyr")
                    words.append(word)
                    word_at[i] = word
            elif specials is not None and _is_special(tok):
                specials.append(tok)
        if specials is not None:
            self.__dict__["specials"] = specials
        if reuse is not None and keep:
            self._carry_sentences(reuse, keep)
            if reuse.finds is not None:
                alike, old, limit = keep, reuse.tokens, min(len(reuse.tokens), len(tokens))
                while alike < limit and tokens[alike] == old[alike]:
                    alike += 1
                self.carried_finds = (reuse.finds, alike)

    def _carry_sentences(self, reuse: TextFacts, keep: int) -> None:
        """Take over `reuse`'s sentences that end before the first token not shared (with the words and the
        question verdicts found for them): splitting decides a sentence's end by the tokens up to the one
        after it (`split_sentences`), so those are the same; the rest is split from there. When the tokens are
        all the same (a space typed after a word), so is everything: every sentence and every verdict."""
        if keep == len(self.tokens) == len(reuse.tokens):
            self.__dict__["sentences"] = reuse.sentences
            self._sentence_words = dict(reuse._sentence_words)
            self._is_question = dict(reuse._is_question)
            self._judged = dict(reuse._judged)
            return
        shared = keep
        if keep < len(self.tokens) and keep < len(reuse.tokens) and self.tokens[keep] == reuse.tokens[keep]:
            shared += 1  # the token after the kept ones is the same too: the last kept sentence's end is known
        kept: list[Sentence] = []
        for sentence in reuse.sentences:
            if sentence.last >= shared:
                break
            kept.append(sentence)
        restart = kept[-1].last if kept else 0
        self.__dict__["sentences"] = kept + split_sentences(self.text, self.tokens, restart)
        if kept:
            self._sentence_words = {k: v for k, v in reuse._sentence_words.items() if k[1] <= restart}
            self._is_question = {k: v for k, v in reuse._is_question.items() if k[1] <= restart}
            self._judged = {k: v for k, v in reuse._judged.items() if k[1] <= restart}

    # --- structure -----------------------------------------------------------------------------------
    @cached_property
    def sentences(self) -> list[Sentence]:
        return split_sentences(self.text, self.tokens)

    @cached_property
    def sentence_openers(self) -> frozenset[int]:
        """Token indexes of the first word of each sentence (capitalised by grammar, not as a name)."""
        out = set()
        for s in self.sentences:
            for i in range(s.first, s.last):
                if i in self.word_at:
                    out.add(i)
                    break
        return frozenset(out)

    def sentence_words(self, sentence: Sentence) -> list[Word]:
        """The words of a sentence (cached: rules ask for them over and over)."""
        key = (sentence.first, sentence.last)
        words = self._sentence_words.get(key)
        if words is None:
            word_at = self.word_at
            words = self._sentence_words[key] = [word_at[i] for i in range(sentence.first, sentence.last)
                                                 if i in word_at]
        return words

    def judged(self, key: Hashable, sentence: Sentence, judge: Callable[..., T], *args: Any) -> T:
        """`judge(*args)`, a rule's verdict on one sentence, remembered with the sentence: a draft revised a
        keystroke at a time (`revise`) keeps it for each finished sentence it keeps, so a rule judges only the
        sentence being typed. `judge` may read only the sentence's own tokens and words, those before it and
        the one token right after it (what a kept sentence keeps: `_carry_sentences`) — never the words
        further on, nor the caret; `key` names the rule (its `serial`: a rule reloaded judges afresh) and
        whatever else the verdict depends on."""
        place = (sentence.first, sentence.last)
        verdicts = self._judged.get(place)
        if verdicts is None:
            verdicts = self._judged[place] = {}
        found = verdicts.get(key, _UNJUDGED)
        if found is _UNJUDGED:
            found = verdicts[key] = judge(*args)
        return cast(T, found)

    @property
    def judged_count(self) -> int:
        """How many sentence verdicts the text holds (`judged`; each ~JUDGED_BYTES, counted by the caches)."""
        return sum(len(verdicts) for verdicts in self._judged.values())

    def sentence_text(self, sentence: Sentence) -> str:
        return self.text[sentence.start:sentence.end]

    @cached_property
    def specials(self) -> list[Token]:
        """The tokens neither word nor ordinary punctuation — links, e-mails, phones, numbers, code — and the
        quotation marks, in order: what the questions below read, without walking every token of a draft on
        each keystroke (a revised draft takes over the kept part's: see `__init__`)."""
        return [t for t in self.tokens if _is_special(t)]

    @cached_property
    def links(self) -> list[Token]:
        return [t for t in self.specials if t.kind == URL]

    @cached_property
    def contacts(self) -> list[Token]:
        """Phone numbers and e-mail addresses written in the text."""
        return [t for t in self.specials if t.kind in (PHONE, EMAIL)]

    @cached_property
    def has_number(self) -> bool:
        return any(t.kind in (NUMBER, PHONE) for t in self.specials)

    @cached_property
    def number_count(self) -> int:
        """How many numbers (not phones, not dates' digits apart) the text holds."""
        return sum(1 for t in self.specials if t.kind == NUMBER)

    @property
    def word_count(self) -> int:
        return len(self.words)

    def word_touching(self, offset: int) -> Token | None:
        """The word token that contains or ends at a character offset (the word under the caret)."""
        tokens = self.tokens
        i = bisect_left(tokens, offset, key=_token_end)  # the first token ending at or after the offset
        for k in (i, i + 1):  # (it, or the one starting where it ends)
            if k < len(tokens):
                tok = tokens[k]
                if tok.start <= offset <= tok.end and tok.kind == WORD:
                    return tok
        return None

    @cached_property
    def quoted_ranges(self) -> list[tuple[int, int]]:
        """Character ranges inside quotation marks: words the operator quotes are not their own words."""
        ranges: list[tuple[int, int]] = []
        opened: int | None = None
        straight: int | None = None
        for tok in self.specials:
            if tok.text in "«“„":
                opened = tok.end
            elif tok.text in "»”" and opened is not None:
                ranges.append((opened, tok.start))
                opened = None
            elif tok.text == '"':
                if straight is None:
                    straight = tok.end
                else:
                    ranges.append((straight, tok.start))
                    straight = None
        return ranges

    @cached_property
    def _quoted(self) -> SpanIndex:
        return SpanIndex(self.quoted_ranges)

    def is_quoted(self, start: int, end: int) -> bool:
        return self._quoted.covers(start, end)

    @cached_property
    def _machine(self) -> SpanIndex:
        return SpanIndex(self.machine_spans)

    def in_machine_text(self, offset: int) -> bool:
        """Is this offset inside a line of logs, code or data (`machine_spans`)?"""
        return self._machine.holds(offset)

    # --- vocabulary ----------------------------------------------------------------------------------
    @cached_property
    def lemmas(self) -> frozenset[str]:
        out: set[str] = set()
        for w in self.words:
            out |= w.info.lemmas
        return frozenset(out)

    @cached_property
    def word_keys(self) -> frozenset[str]:
        """Every word's lower-case form and morphological keys: all a word list looks a first word up by (a
        draft typed anew is searched by some twenty lists at once, most of which it has nothing of)."""
        out: set[str] = set()
        for w in self.words:
            out.add(w.lower)
            out.update(w.info.keys)
        return frozenset(out)

    @cached_property
    def forms(self) -> frozenset[str]:
        return frozenset(w.lower for w in self.words)

    @cached_property
    def form_positions(self) -> dict[str, list[int]]:
        """Lower-case form → token indexes where it occurs (word lists look words up here)."""
        return self._form_positions(self.words)

    @cached_property
    def lemma_positions(self) -> dict[str, list[int]]:
        """Lemma (and form) → token indexes of the words that can have it."""
        return self._lemma_positions(self.words)

    def positions(self, first: int = 0) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """(form_positions, lemma_positions) of the words from token `first` on (a draft's new part)."""
        if first == 0:
            return self.form_positions, self.lemma_positions
        found = self._positions_from.get(first)
        if found is None:
            words = self.words[self._word_index(first):]
            found = self._positions_from[first] = (self._form_positions(words), self._lemma_positions(words))
        return found

    def has_positions(self, first: int = 0) -> bool:
        """Are `positions(first)` built already?"""
        return "lemma_positions" in self.__dict__ if first == 0 else first in self._positions_from

    def _word_index(self, token: int) -> int:
        """The index in `words` of the first word at or after token index `token`."""
        words = self.words
        lo, hi = 0, len(words)
        while lo < hi:
            mid = (lo + hi) // 2
            if words[mid].index < token:
                lo = mid + 1
            else:
                hi = mid
        return lo

    @staticmethod
    def _form_positions(words: list[Word]) -> dict[str, list[int]]:
        out: defaultdict[str, list[int]] = defaultdict(list)
        for w in words:
            out[w.lower].append(w.index)
        return out

    @staticmethod
    def _lemma_positions(words: list[Word]) -> dict[str, list[int]]:
        out: defaultdict[str, list[int]] = defaultdict(list)
        for w in words:
            i = w.index
            for key in w.info.keys:
                out[key].append(i)
        return out

    @cached_property
    def topic_lemmas(self) -> frozenset[str]:
        """Lemmas of the words that say what the text is about (no function words)."""
        return frozenset(w.info.lemma for w in self.words if is_topic_word(w))

    # --- language ------------------------------------------------------------------------------------
    @cached_property
    def machine_spans(self) -> list[tuple[int, int]]:
        """Lines of logs, code or data (a pasted error, JSON): not prose in any language. Links, e-mails and
        code spans are blanked out first: a link's path is not a sign of code in the sentence around it."""
        text = self.text
        blanks = [t for t in self.specials if t.kind in (URL, EMAIL, CODE)]
        if blanks:
            chars = list(text)
            for t in blanks:
                chars[t.start:t.end] = " " * (t.end - t.start)
            text = "".join(chars)
        return language.machine_spans(text)

    @cached_property
    def language_evidence(self) -> language.Evidence:
        """Words of prose in Russian, English and other languages (see `text.language`): words in pasted
        logs and code and in quotation marks are not counted (unless nothing else is left)."""
        skip = self.machine_spans + self.quoted_ranges
        found = self._evidence(skip)
        if found.total == 0 and self.quoted_ranges:
            found = self._evidence(self.machine_spans)
        return found

    def _evidence(self, skip: list[tuple[int, int]]) -> language.Evidence:
        """The evidence of the words outside `skip`. A draft's is tallied by sentence, and a finished
        sentence keeps its tally (`judged`, with the ranges that may reach into it) — unless the ranges are
        many: a text of thousands of quotations is tallied at once (never ranges × sentences)."""
        if self.finds is None or len(skip) > _FEW_RANGES:
            return language.evidence(self.text, self.words, self.sentence_openers, skip)
        parts = []
        for s in self.sentences:
            inside = tuple(r for r in skip if r[0] <= s.end and r[1] >= s.start) if skip else ()
            parts.append(self.judged(("language tally", inside), s, self._tally, s, inside))
        return language.weigh(language.Tally.of(parts))

    def _tally(self, sentence: Sentence, skip: tuple[tuple[int, int], ...]) -> language.Tally:
        return language.tally(self.text, self.sentence_words(sentence), self.sentence_openers, skip)

    @cached_property
    def language(self) -> str | None:
        """"ru", "en", "other" (Spanish, Japanese, Ukrainian …) or None when the text shows too little."""
        return self.language_evidence.language()

    @cached_property
    def lang(self) -> str | None:
        """"ru" or "en"; None for another language or when the text shows too little (numbers, links, a
        brand name, one Latin word)."""
        found = self.language
        return found if found in (language.RU, language.EN) else None

    # --- questions -----------------------------------------------------------------------------------
    @cached_property
    def questions(self) -> list[Sentence]:
        return [s for s in self.sentences if self.is_question(s)]

    def is_question(self, sentence: Sentence) -> bool:
        key = (sentence.first, sentence.last)
        verdict = self._is_question.get(key)
        if verdict is None:
            verdict = self._is_question[key] = self._judge_question(sentence)
        return verdict

    def _judge_question(self, sentence: Sentence) -> bool:
        if sentence.is_question_mark:
            return True
        words = self.sentence_words(sentence)
        if not words:
            return False
        k = 1 if words[0].lower == "а" and len(words) > 1 else 0  # "а доставка есть" / "а когда привезут"
        first = words[k]
        second = words[k + 1] if k + 1 < len(words) else None
        has_comma = any(t.text == "," for t in self.tokens[sentence.first:sentence.last])
        if first.is_cyrillic:
            if "ли" in self.forms_of(words):
                return True
            if first.info.lemma in RU_ASKING_VERBS and first.info.impr:
                # «Подскажите, сколько стоит доставка» asks; «Объясните, пожалуйста.» requests
                return any(w.lower in RU_INTERROGATIVES for w in words[k + 1:])
            # "Когда привезут заказ" is a question; "Когда заказ приедет, мы позвоним" is not
            return first.lower in RU_INTERROGATIVES and not has_comma
        if first.lower in EN_ASKING_VERBS:
            return any(w.lower in EN_WH_WORDS for w in words[k + 1:])  # "Tell me, where is it" — not "Tell us more."
        if first.lower.split("'")[0] in EN_WH_WORDS and first.lower.endswith("'s"):
            return not has_comma  # "what's the price", "where's my order"
        if has_comma or second is None or first.lower not in EN_INTERROGATIVES:
            return False
        if first.lower in EN_WH_WORDS:
            # "When will it arrive" asks; "When I launch the game it crashes", "When printing…" do not
            return second.lower in EN_AUXILIARIES or (first.lower in ("who", "what", "which") and second.lower
                                                       not in EN_SUBJECTS and not second.lower.endswith("ing"))
        # an auxiliary asks when its subject follows: "can you…", "is there…" — not "can not load…", "Had a question"
        if second.lower == "not" or (first.lower in ("have", "has", "had") and second.lower in ("a", "an", "the")):
            return False
        return second.lower in EN_SUBJECTS or (second.token.text[:1].isupper() and not second.token.text.isupper())

    @staticmethod
    def forms_of(words: list[Word]) -> set[str]:
        return {w.lower for w in words}


def is_topic_word(w: Word) -> bool:
    if w.is_cyrillic:
        return w.info.content and w.info.lemma not in RU_STOP_LEMMAS and len(w.lower) > 1
    return w.lower not in EN_STOP_WORDS and len(w.lower) > 1


JUDGED_BYTES = 420  # a sentence verdict with its key (measured with tracemalloc on a 120-sentence draft)
JUDGED_PER_SENTENCE = 4  # verdicts the rules keep per sentence of a draft (the language tally and three rules')


def facts_size(text: str, facts: TextFacts) -> int:
    """Bytes an analysed text holds, estimated (measured with tracemalloc on Russian, English and hostile
    texts, with the facts rules ask for computed): its text and lower-case copies, ~200 bytes a token,
    ~800 a word with its morphology, lemma lists and indexes; a draft's sentences, the rules' verdicts on them
    (counted when the draft is cached, before the rules have judged: as many as the rules keep per sentence)."""
    size = 1_000 + 4 * len(text) + 200 * len(facts.tokens) + 800 * len(facts.words)
    if facts.finds is not None:  # a draft
        size += JUDGED_BYTES * max(facts.judged_count, JUDGED_PER_SENTENCE * len(facts.sentences))
    return size


class FactsCache:
    """LRU cache of TextFacts by text: each distinct chat message is analysed once. Bounded by entries and by
    bytes (a 20,000-character message holds ~3 MB of analysis)."""

    def __init__(self, size: int = 4_000, max_bytes: int = 24 << 20):
        self._items: SizedLRU[str, TextFacts] = SizedLRU(size, max_bytes, facts_size)

    @property
    def size(self) -> int:
        return self._items.max_items

    def clear(self) -> None:
        self._items.clear()

    def get(self, text: str) -> TextFacts:
        facts = self._items.get(text)
        if facts is None:
            _spend_chars(text)
            facts = self._analyse(text)  # AnalysisPending: nothing cached, the morphology done is kept
            self._items.put(text, facts)
        return facts

    def _analyse(self, text: str) -> TextFacts:
        return TextFacts(text)


def common_prefix_length(a: str, b: str) -> int:
    """Length of the longest common prefix, by halving (string comparisons run in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def revise(previous: TextFacts, text: str, shared: int | None = None) -> TextFacts:
    """`text` analysed reusing `previous`, an earlier version of it (the draft one keystroke ago): the
    tokens and words before the first character that differs — up to a sentence end or a word followed
    by a space — are kept, and so are the finished sentences among them with their question verdicts;
    only the text after them is analysed. The result is exactly `TextFacts(text)`: links, phones and words
    never span a sentence end or a word followed by a space, so those tokens cannot change — only inline
    `code` can, and a text with a backtick is analysed afresh. `shared`: the length of the common prefix,
    when the caller knows it."""
    if shared is None:
        shared = common_prefix_length(previous.text, text)
    facts = _revised(previous, text, shared)
    facts.finds = {}
    return facts


def _revised(previous: TextFacts, text: str, shared: int) -> TextFacts:
    if shared < MIN_REUSE_CHARS or "`" in text:
        return TextFacts(text)
    keep = 0
    old_text = previous.text
    tokens = previous.tokens
    for sentence in previous.sentences:
        end = sentence.end
        # a finished sentence, followed by whitespace, all inside the shared prefix
        if not sentence.terminator or end + 1 > shared or not old_text[end:end + 1].isspace():
            break
        keep = sentence.last
        while keep > 0 and tokens[keep - 1].end > end:
            keep -= 1
    # …or, later, a word followed by whitespace inside the shared prefix: what follows a word and a space
    # cannot change how the text before them is split into tokens (a phone number, the one token that can
    # hold a space, has no letter in it), so the sentence being typed is analysed from its last word on
    last = bisect_left(tokens, shared, key=_token_end) - 1  # the last token ending before `shared`
    while last >= keep and not (tokens[last].kind == WORD and old_text[tokens[last].end].isspace()):
        last -= 1
    keep = max(keep, last + 1)
    if keep == 0 or (_budget.get() is not None and len(text) - tokens[keep - 1].end >= _LONG_TEXT):
        return TextFacts(text)  # (a long new part in slices: tokenized afresh, a slice at a time)
    return TextFacts(text, reuse=previous, keep=keep)


_SPECIAL_KINDS = frozenset({URL, EMAIL, PHONE, CODE, NUMBER})
_QUOTE_MARKS = frozenset("«“„»”\"")


def _is_special(token: Token) -> bool:
    """Is this token one of `TextFacts.specials`?"""
    return token.kind in _SPECIAL_KINDS or token.text in _QUOTE_MARKS


MIN_REUSE_CHARS = 2  # (what a revision carries — words, finds, verdicts — is worth it from the first word on)
_FEW_RANGES = 8  # a draft with more skipped ranges (quotations, lines of code) has its language tallied at once


def _token_end(token: Token) -> int:
    return token.end


def _word_index(word: Word) -> int:
    return word.index


class DraftCache(FactsCache):
    """The few latest drafts. A draft changes a keystroke at a time, so a new one usually shares all its
    finished sentences with one just analysed: it is analysed from the closest of them (`revise`)."""

    def __init__(self, size: int = 64, max_bytes: int = 16 << 20):  # (one 20,000-token draft: ~12 MB)
        super().__init__(size, max_bytes)

    def _analyse(self, text: str) -> TextFacts:
        best: TextFacts | None = None
        best_len = 0
        for recent in islice(self._items.newest(), 4):
            n = common_prefix_length(recent.text, text)
            if n > best_len:
                best, best_len = recent, n
        if best is None:
            facts = TextFacts(text)
            facts.finds = {}
            return facts
        return revise(best, text, best_len)
