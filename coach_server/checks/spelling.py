"""`spelling`: misspelt words — only those whose correction is clear.

A word is flagged when it is a known misspelling listed in the rule file («извените», "recieve"), a Russian
word typed with a Latin look-alike letter («Сейчaс»), or an unknown word with a clear correction: a known
word one slip away that is much more common («устрановлена» → «установлена», "accout" → "account"; see
`text.corrections`). Jargon and borrowings («токен», «админке», «кастомный»), rare words and names are
left alone: they have no such neighbour, or sound like the English word they come from.

Not judged: names (capitalised words inside a sentence, or words pymorphy3 guesses to be names; in English
any word with a capital), words in capitals (acronyms), Latin words in Russian text, numbers and words
touching digits («2хх», "1k"), links, code, logs and file names, @handles and #hashtags, abbreviations with
their full stop («пом.», «орг.»), words in quotes, words the client used in this chat (their product, their
town), the operator's name, and the word still being typed.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from ..text.analysis import TextFacts, Word, within_budget
from ..text.corrections import EN_MIN_LETTERS, english_correction, is_russian_word, russian_correction
from ..text.frequency import preload as preload_frequencies
from ..text.frequency import zipf
from ..text.tokens import MAX_WORD_CHARS, Sentence, script_of
from ..text.translit import fix_lookalikes
from ..text.translit import preload as preload_borrowings
from .base import Check, Context, LangSection, Settings
from .lexicon import glued, match_case

# A draft's first this many unknown words are looked at (a correction costs up to ~2 ms for a word never seen):
# more is a paste or a keyboard mash, not a reply with typos in it.
MAX_EXAMINED = 40
_BEFORE_CODE = frozenset(".$%&=<")  # .ext, $var, key=value, <tag — beyond what `glued` knows
_AFTER_CODE = frozenset("=<>")


class Params(Settings):
    min_letters: int = Field(default=3, ge=1, description="shorter words are not judged")
    max_warnings: int = Field(default=5, ge=1, description="at most this many per draft")
    suggest: bool = Field(default=True, description="offer the correction")
    english: bool = Field(default=True, description="also judge English words in English drafts")


class Lang(LangSection):
    misspellings: dict[str, str] = Field(default_factory=dict, description="known misspelling → correct word")
    ignore: list[str] = Field(default_factory=list, description="words never flagged: brands, company terms")


def _touches_code(text: str, start: int, end: int) -> bool:
    """Is the word glued to something that makes it a name, a code or a number: «2хх», "1k", "@anna",
    "file.php", "user_id", "^KM"?"""
    if glued(text, start, end):
        return True
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if before in _BEFORE_CODE or after in _AFTER_CODE:
        return True
    return after == "." and text[end + 1:end + 2].isalnum()  # file.php, example.com


def _abbreviation(text: str, end: int) -> bool:
    """«пом. функции», «орг. условий»: a full stop right after the word and a small letter after it."""
    rest = text[end:end + 3]
    return rest[:1] == "." and len(rest) == 3 and rest[1] == " " and rest[2].islower()


class SpellingCheck(Check[Params, Lang]):
    kind = "spelling"
    typing_reach = "word"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"match", "replacement"})

    def compile(self) -> None:
        self.misspellings = {k.lower(): v for s in self.langs.values() for k, v in s.misspellings.items()}
        self.misspelled_forms = frozenset(self.misspellings)
        self.ignore = frozenset(w.lower() for s in self.langs.values() for w in s.ignore)
        preload_frequencies()
        preload_borrowings()

    def _chat_words(self, ctx: Context) -> frozenset[str]:
        def compute() -> frozenset[str]:
            forms: set[str] = set()
            for turn in ctx.conv.turns:
                if turn.role != "operator":
                    forms |= turn.facts.forms
            return frozenset(forms)
        return ctx.conv.remember((self.serial, "words"), compute)

    def _ignored(self, form: str) -> bool:
        """Listed words and their inflections: «промокод» covers «промокоды», «промокодом»."""
        if form in self.ignore:
            return True
        return any(form[:n] in self.ignore for n in range(max(1, len(form) - 3), len(form)))

    @staticmethod
    def _suspect(w: Word) -> bool:
        """Could this word be a typo at all? (Cheap: most words are known and stop here.)"""
        if len(w.lower) > MAX_WORD_CHARS:
            return False  # no word of any language: nothing to correct (and costly to try)
        script = w.token.script
        if script == "cyr":
            return not w.info.known
        if script == "mixed":
            return True
        return script == "lat" and len(w.lower) >= EN_MIN_LETTERS and not zipf(w.lower, "en")

    def _correction(self, w: Word, draft: TextFacts) -> str | None:
        """The clear correction of a suspect word in its place in the draft, or None."""
        text = w.token.text
        if w.token.script == "mixed":
            # «Сейчaс» with a Latin «a»: the wrong keyboard layout; «ЮKassa», «IT-отдел» are names
            fixed = fix_lookalikes(text)
            if script_of(fixed) == "cyr" and is_russian_word(fixed.lower()):
                return fixed
            return None
        form = w.lower
        if len(form) < self.params.min_letters or self._ignored(form) or text.isupper():
            return None
        if _touches_code(draft.text, w.token.start, w.token.end) or _abbreviation(draft.text, w.token.end):
            return None
        if w.is_cyrillic:
            if text[0].isupper() and (w.index not in draft.sentence_openers or w.info.name):
                return None  # a name
            return within_budget(russian_correction, form, "corrections")
        if text != form:
            return None  # English: a capital makes a name, a brand or an acronym
        return within_budget(english_correction, form, "corrections")

    def _suspects(self, draft: TextFacts, sentence: Sentence) -> tuple[Word, ...]:
        """The words of a sentence that may be typos, or are listed misspellings."""
        listed = self.misspelled_forms
        return tuple(w for w in draft.sentence_words(sentence) if self._suspect(w) or w.lower in listed)

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        listed = self.misspelled_forms
        # a sentence's suspects stay with it (TextFacts.judged): a keystroke looks at the one being typed
        key = (self.serial, "suspects")
        suspects = [w for s in draft.sentences for w in draft.judged(key, s, self._suspects, draft, s)]
        if not suspects:
            return  # the usual case
        if any(w.token.script == "lat" for w in suspects) and not (self.params.english and draft.lang == "en"):
            # English words are judged in English drafts only (in Russian text they are names and terms)
            suspects = [w for w in suspects if w.token.script != "lat" or w.lower in listed]
        chat_words = self._chat_words(ctx)
        name = (ctx.request.operator_name or "").lower().split()
        count = 0
        for examined, w in enumerate(suspects):
            if count >= self.params.max_warnings or examined >= MAX_EXAMINED:
                return
            start, end = w.token.start, w.token.end
            if ctx.typing(start, end) or draft.is_quoted(start, end) or w.lower in name or w.lower in chat_words:
                continue
            fix = self.misspellings.get(w.lower) or self._correction(w, draft)
            if fix is None:
                continue
            if draft.in_machine_text(start):
                continue  # a pasted log or code
            suggestion = match_case(w.token.text, fix) if self.params.suggest or w.token.script == "mixed" else None
            count += 1
            yield self.warning(ctx, start=start, end=end, suggestion=suggestion,
                               match=w.token.text, replacement=suggestion or "")
