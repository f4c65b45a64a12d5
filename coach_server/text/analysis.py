"""Everything the rules ask about one piece of text, computed once per distinct text.

A `TextFacts` is built for the draft and for every chat message. Chat messages never change, so their facts
are cached by text (see `FactsCache`); expensive facts are computed lazily, the first time a rule asks.
"""
from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from functools import cached_property

from . import language, morph
from .morph import WordInfo
from .tokens import (
    CODE,
    EMAIL,
    NUMBER,
    PHONE,
    URL,
    WORD,
    Sentence,
    Token,
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
        the caller guarantees `text` starts with the same characters up to a sentence end after them."""
        self.text = text
        if reuse is not None and keep:
            boundary = reuse.tokens[keep - 1].end
            self.tokens: list[Token] = reuse.tokens[:keep] + tokenize(text, boundary)
            self.words: list[Word] = [w for w in reuse.words if w.index < keep]
            first = keep
        else:
            self.tokens = tokenize(text)
            self.words = []
            first = 0
        tokens = self.tokens
        words = self.words
        info = morph.info
        for i in range(first, len(tokens)):
            tok = tokens[i]
            if tok.kind == WORD:
                words.append(Word(i, tok, info(tok.lower, tok.script), tok.lower, tok.script == "cyr"))
        self.word_at: dict[int, Word] = {w.index: w for w in words}  # token index → Word
        self._sentence_words: dict[tuple[int, int], list[Word]] = {}
        self._is_question: dict[tuple[int, int], bool] = {}

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

    def sentence_text(self, sentence: Sentence) -> str:
        return self.text[sentence.start:sentence.end]

    @cached_property
    def links(self) -> list[Token]:
        return [t for t in self.tokens if t.kind == URL]

    @cached_property
    def contacts(self) -> list[Token]:
        """Phone numbers and e-mail addresses written in the text."""
        return [t for t in self.tokens if t.kind in (PHONE, EMAIL)]

    @cached_property
    def has_number(self) -> bool:
        return any(t.kind in (NUMBER, PHONE) for t in self.tokens)

    @property
    def word_count(self) -> int:
        return len(self.words)

    def word_touching(self, offset: int) -> Token | None:
        """The word token that contains or ends at a character offset (the word under the caret)."""
        for tok in self.tokens:
            if tok.start <= offset <= tok.end and tok.kind == WORD:
                return tok
            if tok.start > offset:
                break
        return None

    @cached_property
    def quoted_ranges(self) -> list[tuple[int, int]]:
        """Character ranges inside quotation marks: words the operator quotes are not their own words."""
        ranges: list[tuple[int, int]] = []
        opened: int | None = None
        straight: int | None = None
        for tok in self.tokens:
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

    def is_quoted(self, start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in self.quoted_ranges)

    # --- vocabulary ----------------------------------------------------------------------------------
    @cached_property
    def lemmas(self) -> frozenset[str]:
        out: set[str] = set()
        for w in self.words:
            out |= w.info.lemmas
        return frozenset(out)

    @cached_property
    def forms(self) -> frozenset[str]:
        return frozenset(w.lower for w in self.words)

    @cached_property
    def form_positions(self) -> dict[str, list[int]]:
        """Lower-case form → token indexes where it occurs (word lists look words up here)."""
        out: defaultdict[str, list[int]] = defaultdict(list)
        for w in self.words:
            out[w.lower].append(w.index)
        return out

    @cached_property
    def lemma_positions(self) -> dict[str, list[int]]:
        """Lemma (and form) → token indexes of the words that can have it."""
        out: defaultdict[str, list[int]] = defaultdict(list)
        for w in self.words:
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
        blanks = [t for t in self.tokens if t.kind in (URL, EMAIL, CODE)]
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
        found = language.evidence(self.text, self.words, self.sentence_openers, skip)
        if found.total == 0 and self.quoted_ranges:
            found = language.evidence(self.text, self.words, self.sentence_openers, self.machine_spans)
        return found

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


class FactsCache:
    """LRU cache of TextFacts by text: each distinct chat message is analysed once."""

    def __init__(self, size: int = 4_000):
        self.size = size
        self._items: OrderedDict[str, TextFacts] = OrderedDict()

    def get(self, text: str) -> TextFacts:
        items = self._items
        facts = items.get(text)
        if facts is None:
            facts = self._analyse(text)
            items[text] = facts
            if len(items) > self.size:
                items.popitem(last=False)
        else:
            items.move_to_end(text)
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


class DraftCache(FactsCache):
    """The few latest drafts. A draft changes a keystroke at a time, so a new one usually shares all its
    finished sentences with one just analysed: their tokens and words are reused and only the text after
    the last shared sentence end is analysed (links, phones and words never span a sentence end followed
    by a space, so those tokens cannot change)."""

    MIN_REUSE_CHARS = 40

    def __init__(self, size: int = 64):
        super().__init__(size)

    def _analyse(self, text: str) -> TextFacts:
        best: TextFacts | None = None
        best_len = 0
        for recent in list(reversed(self._items.values()))[:4]:
            n = common_prefix_length(recent.text, text)
            if n > best_len:
                best, best_len = recent, n
        if best is None or best_len < self.MIN_REUSE_CHARS:
            return TextFacts(text)
        keep = 0
        old_text = best.text
        for sentence in best.sentences:
            end = sentence.end
            # a finished sentence, followed by whitespace, all inside the shared prefix
            if not sentence.terminator or end + 1 > best_len or not old_text[end:end + 1].isspace():
                break
            keep = sentence.last
            while keep > 0 and best.tokens[keep - 1].end > end:
                keep -= 1
        if keep == 0:
            return TextFacts(text)
        return TextFacts(text, reuse=best, keep=keep)
