"""Which language a text is written in: Russian, English, another language, or too little to tell.

Evidence is counted in words of prose. What is not prose is left out: lines of logs, stack traces, JSON or
code a client pasted («[2020-03-01 14:30:18] [ordersCreate] Order is not loaded»), words in quotation marks
(quoted, not said), @handles, #hashtags and ^initials. Of what is left:
- a Cyrillic word is Russian, unless it has letters Russian lacks (Ukrainian «ї», Kazakh «қ» …): another
  language; a word in another script (Japanese, Arabic …) is another language;
- Latin words are English when English uses them (function words, or words common in English: wordfreq's
  list), brand names when capitalised («iPhone»), and Russian in translit when most of them transliterate
  to Russian words and not to English ones («privet, skolko stoit»). When English words are few, a language
  identifier (lingua, restricted to the Latin-script languages clients write most, in its low-accuracy mode)
  decides whether the Latin words are another language (Spanish, German …) — never Russian by default.
A text with less than `MIN_WORDS` of evidence has no language of its own: the chat keeps the one it has.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from . import frequency
from .spans import SpanIndex
from .tokens import Token
from .translit import is_translit
from .vocab import EN_FUNCTION_WORDS

RU, EN, OTHER = "ru", "en", "other"
MIN_WORDS = 2.0  # less evidence than this: the text's language is unknown
ENGLISH_WORD_ZIPF = 3.0  # a Latin word this common in English is English evidence
# Cyrillic letters Russian does not use: Ukrainian, Belarusian, Kazakh, Serbian, Macedonian …
_OTHER_CYRILLIC = frozenset("іїєґўәғқңөұүһјљњћђџѓќѕ")
_SIGNATURE_MARKS = frozenset("@#^")


class _Word(Protocol):  # analysis.Word, without importing it (analysis imports this module)
    index: int
    token: Token
    lower: str
    is_cyrillic: bool


@dataclass(frozen=True, slots=True)
class Evidence:
    """Words of prose in each language (fractions: a brand name or an unclear Latin word counts half)."""

    ru: float = 0.0
    en: float = 0.0
    other: float = 0.0

    @property
    def total(self) -> float:
        return self.ru + self.en + self.other

    def __add__(self, more: Evidence) -> Evidence:
        return Evidence(self.ru + more.ru, self.en + more.en, self.other + more.other)

    def scaled(self, factor: float) -> Evidence:
        return Evidence(self.ru * factor, self.en * factor, self.other * factor)

    def language(self) -> str | None:
        """"ru", "en", "other", or None when there is too little to tell."""
        if self.total < MIN_WORDS and self.ru < 1:
            return None  # one Cyrillic word is Russian enough; one Latin word ("thx", "link") is not
        if self.other > self.ru and self.other > self.en:
            return OTHER
        return EN if self.en > self.ru else RU


NO_EVIDENCE = Evidence()

# --- machine text: logs, code, JSON -----------------------------------------------------------------------
_LINE_RE = re.compile(r"[^\n]+")
_STRONG = re.compile(
    r"^\s*(?:\[\d{4}-\d\d-\d\d|\d{4}-\d\d-\d\d[ T]\d\d:\d\d|\d\d:\d\d:\d\d|[{\[<]|#include|\$ |>>>|at [\w.$]+\()"
    r"|=>|->|::|</?\w+>|\{\s*[\"']|[\"']\s*:\s*[\"'\[{\d]|\)\s*;\s*$"
)
_SIGNALS = (
    re.compile(r"(?:^|[\s(\"'])(?:[\w.-]+)?/[\w.-]+/[\w./-]*"),  # a file path or an API route
    re.compile(r"\b[a-z]+[A-Z][a-zA-Z]*\b|\b[A-Z][a-z]+[A-Z][a-zA-Z]*\b"),  # camelCase, PascalCase identifiers
    re.compile(r"\b\w+_\w+\b"),  # snake_case
    re.compile(r"\b[a-zA-Z]\w*\.[a-zA-Z]\w*\.[a-zA-Z]\w*\b"),  # dotted names: error.robot_token.not_found
    re.compile(r"\b\w+=\S"),  # key=value
    # [index], f() { — from the innermost opening bracket (the same lines match; a line of 20,000 «[» is not
    # re-read from each of them)
    re.compile(r"\[[^\[\]\s]*+\]|\([^()]*+\)\s*+\{"),
    re.compile(r"\b\d\d:\d\d:\d\d\b|\bline \d+\b|\b0x[0-9a-f]+\b", re.IGNORECASE),
    re.compile(r"\b\w+\.(?:php|js|py|json|xml|html|css|log|txt|java|rb|go|ts)\b"),
)


_LATIN = re.compile(r"[a-zA-Z]")
# without one of these a line has none of the signs above (most lines: decided in C). Three patterns, not one
# alternation: each is searched by what it starts with (a character set, a literal «.»), where the alternation
# tried all three at every character (~3 µs for a 300-character draft, on every keystroke; now ~0.5)
_SIGN_CHARS = re.compile(r"[\[\]{}<>=_/\\;:$]")
_CAMEL = re.compile(r"[a-z][A-Z]")
_DOTTED = re.compile(r"\.(?<=\w\.)(?=\w)")  # (a word character on each side of a dot)


def _any_sign(text: str) -> bool:
    return (_SIGN_CHARS.search(text) is not None or ("." in text and _DOTTED.search(text) is not None)
            or _CAMEL.search(text) is not None)


# what an exported chat hides («__email__», "__phone__", "__name__») and @handles are no code in a sentence
_NOT_CODE = re.compile(r"\b__[a-z]+__\b|@\w+")
_PROSE_WORD = re.compile(r"\b[^\W\d_]{2,}\b")
_PROSE_LINE_WORDS = 15  # a line of prose this long needs a third weak sign to be taken for code


# For each of `_SIGNALS`, a pattern every match of it contains, found fast (a literal first: Python's regex
# engine jumps to it) — or None, where a cheaper test stands in (see `_weak_signs`)
_SIGNAL_GUARDS = (
    re.compile(r"/[\w.-]+/"),
    re.compile(r"[a-z][A-Z]"),
    None,  # "_" in the line
    re.compile(r"\.[a-zA-Z]\w*\.[a-zA-Z]"),
    None,  # "=" in the line
    None,  # "[" or "{" in the line
    re.compile(r"\d"),  # a time, "line 12", "0x1f": each has a digit
    re.compile(r"\.(?:php|js|py|json|xml|html|css|log|txt|java|rb|go|ts)\b"),
)


def _weak_signs(line: str) -> int:
    """How many of `_SIGNALS` the line shows, counted up to 3 (what `machine_spans` tells apart: 3 or more,
    2, fewer). A sign's pattern runs only where the line has what it cannot match without (tested in C
    first: a line of prose with a colon is not read by eight patterns), and not at all once the signs left
    cannot make two."""
    latin = _LATIN.search(line) is not None
    dotted = latin and "." in line
    may = ("/" in line, latin, "_" in line, dotted, "=" in line, "[" in line or "{" in line,
           latin or _may_be_time(line), dotted)
    left = sum(may)
    signs = 0
    for pattern, guard, possible in zip(_SIGNALS, _SIGNAL_GUARDS, may):
        if signs >= 3 or signs + left < 2:
            break
        if not possible:
            continue
        left -= 1
        if (guard is None or guard.search(line)) and pattern.search(line):
            signs += 1
    return signs


def _may_be_time(line: str) -> bool:
    """A digit before a colon: what «12:30:05» needs (the sign's other forms need a Latin letter)."""
    at = line.find(":")
    while at >= 0:
        if at and line[at - 1].isdecimal():
            return True
        at = line.find(":", at + 1)
    return False


def _may_be_strong(line: str) -> bool:
    """Has the line a character each of `_STRONG`'s signs needs (decided in C for most lines of prose)?"""
    head = line.lstrip()[:1]
    return (head in "{[<#$>a" or head.isdecimal() or "=>" in line or "->" in line or "::" in line or "<" in line
            or "{" in line or ")" in line or (":" in line and ('"' in line or "'" in line)))


def machine_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of the lines that are logs, code or data rather than prose: a line with one strong
    sign (a leading timestamp or bracket, «=>», «::», a JSON key, a trailing «);») or two weaker ones (a
    path, a camelCase or snake_case name, key=value, a time of day, a file name …)."""
    spans: list[tuple[int, int]] = []
    if not _any_sign(text):
        return spans
    one_line = "\n" not in text
    for m in _LINE_RE.finditer(text):
        line = m.group()
        if not one_line and not _any_sign(line):
            continue
        if _may_be_strong(line) and _STRONG.search(line):
            spans.append((m.start(), m.end()))
            continue
        bare = _NOT_CODE.sub(" ", line) if "@" in line or "__" in line else line
        signs = _weak_signs(bare)
        if signs >= 3 or (signs == 2 and len(_PROSE_WORD.findall(bare)) < _PROSE_LINE_WORDS):
            spans.append((m.start(), m.end()))
    return spans


# --- Latin-script languages other than English ---------------------------------------------------------
_detector: LanguageDetector | None = None


def _lingua() -> LanguageDetector:
    global _detector
    if _detector is None:
        _detector = (LanguageDetectorBuilder.from_languages(
            Language.ENGLISH, Language.SPANISH, Language.PORTUGUESE, Language.FRENCH, Language.GERMAN,
            Language.ITALIAN, Language.DUTCH, Language.POLISH, Language.TURKISH)
            .with_low_accuracy_mode().with_preloaded_language_models().build())
    return _detector


# lingua reads at most this much of a text's prose: its confidence is settled long before, and the cache
# below must not hold thousands of 20,000-character keys
LINGUA_CHARS = 2_000


@lru_cache(maxsize=4_096)
def english_confidence(text: str) -> float:
    """How sure lingua is that these Latin words are English rather than another Latin-script language."""
    return float(_lingua().compute_language_confidence(text, Language.ENGLISH))


def preload() -> None:
    """Load lingua's models and the frequency lists now, not on the first keystroke."""
    _lingua()
    frequency.preload()


def is_english_word(lower: str) -> bool:
    return lower in EN_FUNCTION_WORDS or frequency.zipf(lower, EN) >= ENGLISH_WORD_ZIPF


# --- the evidence ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Tally:
    """What the words of a piece of text show of its language, before it is weighed (`weigh`): tallies of
    consecutive pieces add up to the tally of the whole (a draft's finished sentences keep theirs)."""

    ru: float = 0.0
    other: float = 0.0
    other_cyrillic: int = 0
    function_words: int = 0
    brands: int = 0
    plain: tuple[str, ...] = ()
    prose: tuple[str, ...] = ()  # the Latin words that are not names, in order (what lingua reads)

    @staticmethod
    def of(parts: Iterable[Tally]) -> Tally:
        ru = other = 0.0
        other_cyrillic = function_words = brands = 0
        plain: list[str] = []
        prose: list[str] = []
        for t in parts:
            ru += t.ru
            other += t.other
            other_cyrillic += t.other_cyrillic
            function_words += t.function_words
            brands += t.brands
            plain += t.plain
            prose += t.prose
        return Tally(ru, other, other_cyrillic, function_words, brands, tuple(plain), tuple(prose))


def evidence(text: str, words: Iterable[_Word], sentence_openers: frozenset[int],
             skip: Sequence[tuple[int, int]]) -> Evidence:
    """The language evidence of a text's words, leaving out those that start inside the `skip` ranges."""
    return weigh(tally(text, words, sentence_openers, skip))


def tally(text: str, words: Iterable[_Word], sentence_openers: frozenset[int],
          skip: Sequence[tuple[int, int]]) -> Tally:
    """The tally of these words of `text`, leaving out those that start inside the `skip` ranges."""
    ru = other = 0.0
    other_cyrillic = 0
    function_words = brands = 0
    plain: list[str] = []
    prose: list[str] = []
    skipped = SpanIndex(skip) if skip else None
    for w in words:
        tok = w.token
        if skipped is not None and skipped.holds(tok.start):
            continue
        if tok.start and text[tok.start - 1] in _SIGNATURE_MARKS:
            continue  # @handle, #hashtag, ^KM (an agent's initials)
        script = tok.script
        if script == "cyr":
            if _OTHER_CYRILLIC.isdisjoint(w.lower):
                ru += 1
            else:
                other_cyrillic += 1
        elif script == "lat":
            raw = tok.text
            if w.lower in EN_FUNCTION_WORDS:
                function_words += 1
                prose.append(w.lower)
            elif any(c.isupper() for c in raw[1:]) or (raw[0].isupper() and w.index not in sentence_openers):
                brands += 1
            else:
                plain.append(w.lower)
                prose.append(w.lower)
        elif script == "" and any(c.isalpha() for c in tok.text):
            if all("\u0400" <= c <= "\u04ff" for c in tok.text):
                other_cyrillic += 1  # «є», «ї»: Cyrillic letters Russian lacks
            else:
                other += max(1.0, len(tok.text) / 2)  # Japanese, Chinese … write words without spaces
    return Tally(ru, other, other_cyrillic, function_words, brands, tuple(plain), tuple(prose))


def weigh(t: Tally) -> Evidence:
    """The evidence a tally gives: what the counts say, with lingua's word where they are unclear."""
    ru, other, other_cyrillic, function_words, brands = t.ru, t.other, t.other_cyrillic, t.function_words, t.brands
    plain, prose = t.plain, t.prose
    if other_cyrillic:
        if other_cyrillic >= 2 and other_cyrillic * 5 >= ru + other_cyrillic:
            ru, other = 0.0, other + ru + other_cyrillic  # Ukrainian, Kazakh …: «все», «але» are theirs too
        else:
            ru += other_cyrillic  # one odd letter in Russian text
    if not plain and not function_words:
        return Evidence(ru, 0.5 * brands if not ru else 0.0, other)
    english = [p for p in plain if frequency.zipf(p, EN) >= ENGLISH_WORD_ZIPF]
    if not function_words:
        translit = [p for p in plain if p not in english and is_translit(p)]
        if len(translit) >= 2 and len(translit) * 2 >= len(plain):
            return Evidence(ru + len(plain), 0.0, other)  # «privet, skolko stoit dostavka»
    latin = function_words + len(english)
    unclear = len(plain) - len(english)
    # few English words among many others: Spanish, German …? lingua decides (never "Russian")
    if unclear >= 2 and latin < 2 * unclear and english_confidence(" ".join(prose)[:LINGUA_CHARS]) < 0.5:
        return Evidence(ru, 0.5 * latin, other + len(plain) + function_words)
    en = latin + 0.5 * unclear + (brands if latin else 0.5 * brands)
    return Evidence(ru, en, other)
