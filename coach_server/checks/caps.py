"""`caps`: shouting in capitals. Acronyms are fine («СДЭК», «ИНН», "SMS").

A word in capitals is an acronym when it is listed, marked as one in the dictionary, or short and not a
word (an unknown Cyrillic word of up to 5 letters, a Latin one of up to 4). Other words in capitals are
shouting; so is a run of capitalised words, and a draft written mostly in capitals.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from ..text.analysis import TextFacts, Word
from ..text.vocab import EN_FUNCTION_WORDS
from .base import Check, Context, LangSection, Settings

_TWO_CAPITALS = re.compile(r"[A-ZА-ЯЁ]{2}")


class Params(Settings):
    min_letters: int = Field(default=4, ge=2, description="a lone word in capitals this long is shouting")
    min_run: int = Field(default=2, ge=2, description="this many words in capitals in a row are shouting")


class Lang(LangSection):
    acronyms: list[str] = Field(default_factory=list, description="capitalised words that are fine")


class CapsCheck(Check[Params, Lang]):
    kind = "caps"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"match"})

    def compile(self) -> None:
        self.acronyms = frozenset(a.lower() for s in self.langs.values() for a in s.acronyms)

    def _is_acronym(self, w: Word, english: bool) -> bool:
        if w.lower in self.acronyms or w.info.abbr or any(c.isdigit() for c in w.lower):
            return True  # listed, a dictionary abbreviation, or a code («AB12CD»)
        if not w.is_cyrillic and not english:
            return True  # Latin capitals inside Russian text are codes and names: «промокод SUMMER»
        letters = len(w.token.text)
        if w.is_cyrillic:
            return not w.info.known and letters <= 5
        return letters <= 3 and w.lower not in EN_FUNCTION_WORDS

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
            shouting = len(text) >= 2 and text.isupper() and not self._is_acronym(w, english)
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

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not _TWO_CAPITALS.search(draft.text):
            return  # nothing in capitals at all: the usual case, decided in C
        p = self.params
        for run in self._runs(draft):
            shouted = [w for w in run if len(w.token.text) > 1]
            if len(shouted) < p.min_run and max(len(w.token.text) for w in shouted) < p.min_letters:
                continue  # «Это НЕ так»: one short word of emphasis
            start, end = run[0].token.start, run[-1].token.end
            if ctx.typing(start, end) and len(shouted) == 1:
                continue
            text = draft.text[start:end]
            fixed = text.lower()
            if run[0].index in draft.sentence_openers or (len(run[0].token.text) == 1 and run[0].lower in ("я", "i")):
                fixed = text[0] + fixed[1:]  # keep the capital a sentence (or «Я», "I") starts with
            yield self.warning(ctx, start=start, end=end, match=text, suggestion=fixed)
