"""The word a misspelt word was meant to be — only when that is clear.

A word is taken for a slip when it is unknown (Russian: not in pymorphy3's dictionary, not built of known
parts, not common in wordfreq's list, not an English borrowing; English: not among the ~96k words wordfreq
lists for English) and a word one edit away (a letter missed, doubled, swapped or mistyped) is both known
and much more common. A rare word with no such neighbour («кастомный», "hotspot") is left alone: a wrong
warning costs more than a missed typo.
"""
from __future__ import annotations

from functools import lru_cache

from . import frequency, morph
from .translit import english_source

_RU_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_EN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CONNECTORS = "оеи"
_PREFIXED = ("DictionaryAnalyzer", "KnownPrefixAnalyzer")
# a correction must be at least this common (Zipf: 3 is once per million words); the English word itself is
# rarer than Zipf 2 (not listed), so its correction is at least a hundred times more common
MIN_FIX_ZIPF = {"ru": 3.0, "en": 4.0}
# English words shorter than this are not judged ("recd", "dced": abbreviations and gamer talk); a short one
# with two likely corrections is no clear slip ("iero": hero? zero?), nor is one with a letter too many at
# its end ("bouta", "salen": slang or another language more often than a slip)
EN_MIN_LETTERS, SHORT_WORD, MIN_LEAD = 5, 6, 0.7
EN_INFLECTIONS = ("s", "es", "ed", "d", "ing", "er", "ers", "est", "ly", "'s", "s'", "n't")


def _confusable(rows: list[str], groups: tuple[str, ...]) -> dict[str, str]:
    """Letters a slip of the finger or of spelling turns each letter into: its neighbours on the keyboard
    (the key left and right, and the three above and below), and the letters of its confusion groups."""
    out: dict[str, set[str]] = {}
    for r, row in enumerate(rows):
        for i, ch in enumerate(row):
            near = out.setdefault(ch, set())
            near |= {row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)}
            for other in (r - 1, r + 1):
                if 0 <= other < len(rows):
                    near |= {rows[other][j] for j in (i - 1, i, i + 1) if 0 <= j < len(rows[other])}
    for group in groups:
        for ch in group:
            out.setdefault(ch, set()).update(set(group) - {ch})
    return {ch: "".join(sorted(near)) for ch, near in out.items()}


# ЙЦУКЕН, and the classic confusions of Russian spelling: unstressed vowels, voiced/voiceless pairs, signs
_RU_SLIPS = _confusable(["йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"],
                        ("аоя", "еиэяё", "ео", "ыи", "уюё", "бп", "вф", "гк", "дт", "жш", "зс", "шщ", "ьъ", "цс",
                         "чщ", "йи"))
# QWERTY, and English vowels (written by ear: "dollers", "accaunt")
_EN_SLIPS = _confusable(["qwertyuiop", "asdfghjkl", "zxcvbnm"], ("aeiou", "sc", "sz", "ck"))


def edits(word: str, letters: str, slips: dict[str, str]) -> set[str]:
    """Every string one slip from `word`: a letter missed, doubled or added, two letters swapped, or one
    letter typed for a neighbouring or confusable one."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in slips.get(b[0], "")}
    out |= {a + c + b for a, b in splits for c in letters}
    out.discard(word)
    return out


@lru_cache(maxsize=20_000)
def is_compound(form: str) -> bool:
    """A Russian word the dictionary lacks but built of known parts: a known prefix on a dictionary word
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


def is_russian_word(form: str) -> bool:
    """Known to pymorphy3 or built of known parts (hyphenated words part by part: «какой-нибудь»)."""
    if morph.russian(form).known or is_compound(form):
        return True
    if "-" in form:
        return all(morph.russian(p).known or is_compound(p) or p in ("нибудь", "либо", "то", "таки")
                   for p in form.split("-") if p)
    return False


@lru_cache(maxsize=20_000)
def russian_zipf(form: str) -> tuple[float, float]:
    """How common a Russian word is: (its own form, its commonest form) in wordfreq's list. A word's
    frequency is split among its many forms: «расскажете» is rare, «рассказал» is not."""
    def z(f: str) -> float:
        return max(frequency.zipf(f, "ru"), frequency.zipf(f.replace("ё", "е"), "ru"))
    forms = {f.word for f in morph.analyzer().parse(form)[0].lexeme}
    own = z(form)
    return own, max([own] + [z(f) for f in forms])


@lru_cache(maxsize=20_000)
def russian_correction(form: str) -> str | None:
    """The word a lower-case Cyrillic form was clearly meant to be, or None (a real word, a borrowing, a
    rare word, or no clear candidate)."""
    if is_russian_word(form) or frequency.zipf(form.replace("ё", "е"), "ru") or english_source(form):
        return None
    candidates = sorted(edits(form, _RU_LETTERS, _RU_SLIPS))
    known = morph.analyzer().word_is_known
    # the common case, cheap: a candidate common in its own form («установлена», «могли», not «моги»)
    listed = [(frequency.zipf(c, "ru"), c) for c in candidates]
    best = max((item for item in listed if item[0] >= MIN_FIX_ZIPF["ru"] and known(item[1])), default=None)
    if best is not None:
        return best[1]
    # else a rare form of a common word («расскажете»): every known candidate, by its commonest form
    best_rank, found = (0.0, MIN_FIX_ZIPF["ru"]), None
    for candidate in candidates:
        if known(candidate):
            rank = russian_zipf(candidate)
            if rank[1] >= MIN_FIX_ZIPF["ru"] and rank > best_rank:
                best_rank, found = rank, candidate
    return found


@lru_cache(maxsize=20_000)
def english_correction(form: str) -> str | None:
    """The word a lower-case English form was clearly meant to be, or None."""
    if len(form) < EN_MIN_LETTERS or not form.isascii() or not form.isalpha():
        return None
    if frequency.zipf(form, "en"):
        return None  # listed: a real word, however rare
    ranked = sorted(((frequency.zipf(c, "en"), c) for c in edits(form, _EN_LETTERS, _EN_SLIPS)), reverse=True)
    if not ranked or ranked[0][0] < MIN_FIX_ZIPF["en"]:
        return None
    best_zipf, best = ranked[0]
    if len(form) <= SHORT_WORD and ((len(ranked) > 1 and best_zipf - ranked[1][0] < MIN_LEAD)
                                    or best == form[:-1]):
        return None
    if best == form[1:]:
        return None  # "vbucks", "iphone": a prefix letter, a name more often than a slip
    if any(form == best + ending or form == best[:-1] + ending for ending in EN_INFLECTIONS):
        return None  # an inflection of a known word ("tiktoks"): rare, not wrong
    return best
