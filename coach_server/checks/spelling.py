"""`spelling`: misspelt words. Russian words unknown to pymorphy3's dictionary, and known misspellings of
either language listed in the rule file («извените», "recieve").

Not judged: names (capitalised words inside a sentence, or words pymorphy3 guesses to be names), words in
capitals (acronyms), Latin words beyond the list, numbers, links, words in quotes, words the client
used in this chat (their product, their town), the operator's name, and the word still being typed.
The suggestion is a dictionary word one edit away, preferring one the client used.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from pydantic import Field

from ..models import Warning
from ..text import morph
from ..text.analysis import Word
from ..text.tokens import script_of
from ..text.translit import fix_lookalikes
from .base import Check, Context, LangSection, Settings
from .lexicon import match_case

_RU_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_KEYBOARD = ["йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"]
# Letters a slip of the finger or of spelling turns into each other: keyboard neighbours (ЙЦУКЕН), and
# the classic confusions of Russian spelling (unstressed vowels, voiced/voiceless pairs, signs).
_CONFUSABLE: dict[str, set[str]] = {c: set() for c in _RU_LETTERS}
for _row_i, _row in enumerate(_KEYBOARD):
    for _i, _c in enumerate(_row):
        _near = {_row[j] for j in (_i - 1, _i + 1) if 0 <= j < len(_row)}
        for _other_i in (_row_i - 1, _row_i + 1):
            if 0 <= _other_i < len(_KEYBOARD):
                _other = _KEYBOARD[_other_i]
                _near |= {_other[j] for j in (_i - 1, _i, _i + 1) if 0 <= j < len(_other)}
        _CONFUSABLE[_c] |= _near
for _group in ("аоя", "еиэяё", "ыи", "уюё", "бп", "вф", "гк", "дт", "жш", "зс", "шщ", "ьъ", "цс", "чщ", "йи"):
    for _c in _group:
        _CONFUSABLE[_c] |= set(_group) - {_c}


_PREFIXED = ("DictionaryAnalyzer", "KnownPrefixAnalyzer")
_CONNECTORS = "оеи"


@lru_cache(maxsize=20_000)
def _compound(form: str) -> bool:
    """A word the dictionary lacks but that is built of known parts: a known prefix on a dictionary word
    («суперскидка», «автодилеров») or two words joined by a linking vowel («клиентоориентированный»)."""
    analyzer = morph.analyzer()
    for parse in analyzer.parse(form):
        if tuple(type(step[0]).__name__ for step in parse.methods_stack) == _PREFIXED:
            return True
    known = analyzer.word_is_known
    for i in range(3, len(form) - 3):
        if form[i] in _CONNECTORS and known(form[i + 1:]) and (known(form[:i]) or known(form[:i + 1])):
            return True
    return False


class Params(Settings):
    min_letters: int = Field(default=3, ge=1, description="shorter words are not judged")
    max_warnings: int = Field(default=5, ge=1, description="at most this many per draft")
    suggest: bool = True


class Lang(LangSection):
    misspellings: dict[str, str] = Field(default_factory=dict, description="known misspelling → correct word")
    ignore: list[str] = Field(default_factory=list, description="words never flagged: brands, company terms")


@lru_cache(maxsize=20_000)
def dictionary_neighbours(word: str) -> tuple[str, ...]:
    """Known Russian words one slip from `word`, likeliest slips first: swapped letters, a letter typed
    twice or missed, a neighbouring key or a confusable letter hit instead."""
    known = morph.analyzer().word_is_known
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    seen: dict[str, None] = {}
    candidates = (
        [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
        + [a + b[1:] for a, b in splits if b]
        + [a + c + b for a, b in splits for c in _RU_LETTERS]
        + [a + c + b[1:] for a, b in splits if b for c in sorted(_CONFUSABLE.get(b[0], ()))]
    )
    for cand in candidates:
        if cand and cand not in seen and known(cand):
            seen[cand] = None
            if len(seen) >= 3:
                break
    return tuple(seen)


class SpellingCheck(Check[Params, Lang]):
    kind = "spelling"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"match", "replacement"})

    def compile(self) -> None:
        self.misspellings = {k.lower(): v for s in self.langs.values() for k, v in s.misspellings.items()}
        self.misspelled_forms = frozenset(self.misspellings)
        self.ignore = frozenset(w.lower() for s in self.langs.values() for w in s.ignore)
        self._verdicts: dict[str, bool] = {}

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

    def _unknown(self, form: str) -> bool:
        """Is this lower-case Cyrillic form a misspelling, whatever its context? Cached per form."""
        verdict = self._verdicts.get(form)
        if verdict is None:
            if len(self._verdicts) > 50_000:
                self._verdicts.clear()
            if len(form) < self.params.min_letters or any(c.isdigit() for c in form) or self._ignored(form):
                verdict = False
            elif "-" in form:
                verdict = not all(morph.russian(part).known or _compound(part) for part in form.split("-") if part)
            else:
                verdict = not morph.russian(form).known and not _compound(form)
            self._verdicts[form] = verdict
        return verdict

    def _is_typo(self, w: Word, sentence_starts: frozenset[int], chat_words: frozenset[str]) -> bool:
        if w.token.script == "mixed":
            # «Сейчaс» with a Latin «a»: the wrong keyboard layout for one letter; «IT-отдел» is fine
            return any(script_of(part) == "mixed" for part in w.token.text.split("-"))
        if not w.is_cyrillic or w.info.known or not self._unknown(w.lower):
            return False  # the common case: a dictionary word
        text = w.token.text
        if w.lower in chat_words or text.isupper():
            return False  # the client's own word; an acronym
        if text[0].isupper() and (w.index not in sentence_starts or w.info.name):
            return False  # a name
        return True

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        listed = draft.forms & self.misspelled_forms
        # only words outside the dictionary, mixed-script words and listed misspellings can be typos
        suspects = [w for w in draft.words if w.token.script == "mixed" or (w.is_cyrillic and not w.info.known)
                    or (listed and w.lower in listed)]
        if not suspects:
            return  # the usual case
        sentence_starts = draft.sentence_openers
        chat_words = self._chat_words(ctx)
        name = (ctx.request.operator_name or "").lower().split()
        count = 0
        for w in suspects:
            if count >= self.params.max_warnings:
                return
            fix = self.misspellings.get(w.lower)
            if fix is None and not self._is_typo(w, sentence_starts, chat_words):
                continue
            start, end = w.token.start, w.token.end
            if ctx.typing(start, end) or draft.is_quoted(start, end) or w.lower in name:
                continue
            if fix is None and w.token.script == "mixed":
                fixed = fix_lookalikes(w.token.text)
                fix = fixed if morph.russian(fixed.lower()).known else None
            elif fix is None and self.params.suggest:
                options = dictionary_neighbours(w.lower.replace("ё", "е"))
                preferred = [o for o in options if o in chat_words]
                fix = (preferred or list(options) or [None])[0]
            suggestion = match_case(w.token.text, fix) if fix else None
            count += 1
            yield self.warning(ctx, start=start, end=end, suggestion=suggestion,
                               match=w.token.text, replacement=suggestion or "")
