"""`caps`: shouting in capitals — a clause written in capitals, not a word. Acronyms are fine («СДЭК», «ИНН», "SMS").

A single word in capitals is emphasis («это НЕ так», "do NOT share it") or, far more often in real chats, a
name: an acronym, a product or system, a status, a masked value. So shouting is a run of at least `min_run`
ordinary words in capitals that reads as a clause — it holds a verb, a pronoun or a function word («Я ВАМ УЖЕ
ОТВЕТИЛА», "PLEASE READ") — or a run of `long_run` words whatever they are; a run of nouns and adjectives
("APPLE MUSIC", «ЛИЧНЫЙ КАБИНЕТ») is a name.

A word in capitals is an acronym when it is listed, marked as one in the dictionary, glued to a number or a
key («COVID-19», «1080P», "CTRL+C"), or not a word (an unknown Cyrillic word of up to 5 letters, a Latin
one of up to 3 letters or not common in English: "BHIM", "PSN"). Other words in capitals are shouting; so
is a run of capitalised words, and a draft written mostly in capitals.

Not shouting either: words in quotes (a title), a menu path («Settings > I STILL NEED HELP»), a label beside
the word for it («кнопку ОПЛАТИТЬ», "the SAVE button", "status SHIPPED"), and a heading — a line in capitals
of its own above ordinary text.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from ..text.analysis import TextFacts, Word
from ..text.frequency import zipf
from ..text.language import ENGLISH_WORD_ZIPF
from ..text.morph import lemma_keys
from ..text.vocab import EN_FUNCTION_WORDS
from .base import Check, Context, LangSection, Settings
from .lexicon import glued

_TWO_CAPITALS = re.compile(r"[A-ZА-ЯЁ]{2}")
_MENU_MARKS = frozenset(">→»|")  # Settings > Account > I STILL NEED HELP


class Params(Settings):
    min_run: int = Field(default=2, ge=2, description="this many ordinary words in capitals in a row, reading as a "
                                                      "clause (a verb, pronoun or function word among them), are shouting")
    long_run: int = Field(default=3, ge=2, description="this many in a row are shouting whatever they are")


# What makes a run of capitals a clause rather than a name: a verb, a pronoun, a particle or an adverb
# (pymorphy3's parts of speech); in English, where there is no tagger, pronouns, auxiliaries, negations and
# «please». Determiners and prepositions are left out: names hold them ("MY ACCOUNT", «ОПЛАТА ПРИ ПОЛУЧЕНИИ»).
_CLAUSE_POS = frozenset({"VERB", "INFN", "NPRO", "PRCL", "ADVB", "PRED", "GRND", "PRTS", "INTJ"})
_EN_CLAUSE_WORDS = frozenset(
    "i you he she we they it's i'm you're we're is are am was were do does did don't doesn't didn't can can't "
    "cannot could will won't would should must have has had not no never please".split())


class Lang(LangSection):
    acronyms: list[str] = Field(default_factory=list, description="capitalised words that are fine")
    labels: list[str] = Field(default_factory=list,
                              description="words beside which capitals name a button, a section or a status "
                                          "(lemmas): «нажмите кнопку ОПЛАТИТЬ», \"click SAVE\", \"the SAVE button\"")


class CapsCheck(Check[Params, Lang]):
    kind = "caps"
    typing_reach = "word"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"match"})

    def compile(self) -> None:
        self.acronyms = frozenset(a.lower() for s in self.langs.values() for a in s.acronyms)
        self.labels = lemma_keys(w for s in self.langs.values() for w in s.labels)

    def _labelled(self, draft: TextFacts, run: list[Word]) -> bool:
        """«кнопку ОПЛАТИТЬ», "click SAVE", "the SAVE button": the capitals are what the screen says."""
        words = draft.words
        at = words.index(run[0])
        beside = [words[at - 1]] if at > 0 else []
        after = at + len(run)
        if after < len(words):
            beside.append(words[after])
        return any(w.lower in self.labels or not self.labels.isdisjoint(w.info.lemmas) for w in beside)

    def _is_acronym(self, w: Word, english: bool, text: str) -> bool:
        if w.lower in self.acronyms or w.info.abbr or any(c.isdigit() for c in w.lower):
            return True  # listed, a dictionary abbreviation, or a code («AB12CD»)
        start, end = w.token.start, w.token.end
        if glued(text, start, end) or text[end:end + 1] == "+" or text[start - 1:start] == "+":
            return True  # «COVID-19», "CTRL+C", "^KM"
        if not w.is_cyrillic and not english:
            return True  # Latin capitals inside Russian text are codes and names: «промокод SUMMER»
        letters = len(w.token.text)
        if w.is_cyrillic:
            return not w.info.known and letters <= 5
        if letters <= 3:
            return w.lower not in EN_FUNCTION_WORDS
        return zipf(w.lower, "en") < ENGLISH_WORD_ZIPF  # not an English word: a name, a brand ("BHIM")

    def _runs(self, draft: TextFacts) -> list[list[Word]]:
        """Runs of consecutive words in capitals that hold at least one shouted word. A one-letter capital
        («Я», «В», "I") joins a run but never makes one; an acronym ends it."""
        runs: list[list[Word]] = []
        current: list[Word] = []
        prev_index = None
        english = draft.lang == "en"

        def close() -> None:
            if any(len(w.token.text) > 1 for w in current):
                runs.append(list(current))
            current.clear()

        for w in draft.words:
            text = w.token.text
            joinable = len(text) == 1 and text.isupper()
            shouting = len(text) >= 2 and text.isupper() and not self._is_acronym(w, english, draft.text)
            adjacent = prev_index is not None and all(
                t.kind != "word" and t.text not in ".!?\n" for t in draft.tokens[prev_index + 1:w.index])
            if shouting or joinable:
                if current and not adjacent:
                    close()
                current.append(w)
            else:
                close()
            prev_index = w.index
        close()
        # a run may not end on a joinable letter: «СРОЧНО В» → «СРОЧНО»
        return [r[: max(i for i, w in enumerate(r) if len(w.token.text) > 1) + 1] for r in runs]

    @staticmethod
    def _named(text: str, start: int, end: int) -> bool:
        """A title in quotes, a menu item after «>», or a heading: a line of its own in capitals with
        ordinary text after it."""
        before = text[:start].rstrip(" \t*#_")
        if before[-1:] in _MENU_MARKS:
            return True
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        if line_end < 0:
            return False  # the last line: a shouted ending, not a heading
        line = text[line_start:line_end]
        return not any(c.islower() for c in line) and any(c.islower() for c in text[line_end:])

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not _TWO_CAPITALS.search(draft.text):
            return  # nothing in capitals at all: the usual case, decided in C
        p = self.params
        for run in self._runs(draft):
            shouted = [w for w in run if len(w.token.text) > 1]
            if len(shouted) < p.min_run:
                continue  # «Это НЕ так», "do NOT share", «статус ОТПРАВЛЕН»: one word is emphasis or a name
            clause = any(w.info.pos in _CLAUSE_POS if w.is_cyrillic else w.lower in _EN_CLAUSE_WORDS for w in run)
            if len(shouted) < p.long_run and not clause:
                continue  # "APPLE MUSIC", «ЛИЧНЫЙ КАБИНЕТ»: a name
            start, end = run[0].token.start, run[-1].token.end
            if draft.is_quoted(start, end) or self._named(draft.text, start, end) or self._labelled(draft, run):
                continue
            if ctx.typing(start, end) and len(shouted) <= p.min_run:
                continue
            text = draft.text[start:end]
            fixed = text.lower()
            if run[0].index in draft.sentence_openers or (len(run[0].token.text) == 1 and run[0].lower in ("я", "i")):
                fixed = text[0] + fixed[1:]  # keep the capital a sentence (or «Я», "I") starts with
            yield self.warning(ctx, start=start, end=end, match=text, suggestion=fixed,
                               trigger="long_run" if len(shouted) >= p.long_run else "clause")
