"""What the engine needs to know about one word form, computed once per form.

pymorphy3 costs microseconds a parse; a chat repeats the same forms all the time, so every form is parsed
once per process and reduced to a small immutable record. Russian words go to pymorphy3, Latin words to the
Snowball English stemmer (the "lemma" of an English word is its stem).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pymorphy3
import snowballstemmer

_NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})
_CONTENT_POS = frozenset({"NOUN", "ADJF", "ADJS", "COMP", "VERB", "INFN", "PRTF", "PRTS", "GRND", "NUMR", "ADVB", "PRED"})


@dataclass(frozen=True, slots=True)
class WordInfo:
    lemma: str  # most likely normal form (Russian) or stem (English)
    lemmas: frozenset[str]  # every normal form the word can have
    pos: str  # part of speech of the most likely parse ("" when unknown, "LATN" for English)
    known: bool  # in the dictionary (Russian only; English words count as known)
    impr: bool  # an imperative: the likeliest parse, or tied with the вы-indicative («посмотрите»)
    impr_plural: bool  # some imperative parse is plural ("пройдите")
    impr_singular: bool  # some imperative parse is singular ("пройди", the ты-form)
    second_singular: bool  # the likeliest parse is a 2nd person singular finite verb ("можешь")
    second_plural: bool  # the likeliest parse is a 2nd person plural finite verb ("можете", "напишете")
    indicative_too: bool  # also parses as an indicative verb ("посмотрите" = you will look)
    past_too: bool  # also parses as a past-tense verb («нашли»: the ты-imperative of «наслать», or "found")
    abbr: bool  # dictionary abbreviation ("МВД")
    name: bool  # a name, surname, place or organisation
    content: bool  # carries meaning (noun, verb, adjective, numeral, adverb)
    infr: bool  # marked informal in the dictionary ("щас")
    keys: frozenset[str]  # the lemmas and the form itself: what a lemma word list may match this word by


_morph: pymorphy3.MorphAnalyzer | None = None
_stemmer = snowballstemmer.stemmer("english")


def analyzer() -> pymorphy3.MorphAnalyzer:
    global _morph
    if _morph is None:
        _morph = pymorphy3.MorphAnalyzer()
    return _morph


@lru_cache(maxsize=50_000)
def russian(form: str) -> WordInfo:
    """Analyse a lower-case Cyrillic word form."""
    morph = analyzer()
    parses = morph.parse(form)
    best = parses[0]
    tags = [p.tag for p in parses]
    top = best.tag
    # «мой» can be the imperative of мыть and «стой» of стоять, but nobody means that: an imperative
    # counts when it is the likeliest reading, or when it ties with the вы-indicative of the same verb
    # («посмотрите», «уточните», «извините» read both ways; the sentence decides).
    top_is_verb_2pl = top.POS == "VERB" and "2per" in top and "plur" in top and "indc" in top
    impr = [p.tag for p in parses
            if "impr" in p.tag and ("impr" in top or (top_is_verb_2pl and p.normal_form == best.normal_form))]
    return WordInfo(
        lemma=best.normal_form,
        lemmas=frozenset(p.normal_form for p in parses),
        pos=str(best.tag.POS or ""),
        known=morph.word_is_known(form),
        impr=bool(impr),
        impr_plural=any("plur" in t for t in impr),
        impr_singular=any("sing" in t for t in impr),
        second_singular=top.POS == "VERB" and "2per" in top and "sing" in top and "indc" in top,
        second_plural=top_is_verb_2pl,
        indicative_too=any("indc" in t for t in tags),
        past_too=any("past" in t for t in tags),
        abbr="Abbr" in best.tag,
        name=any(not _NAME_GRAMMEMES.isdisjoint(t.grammemes) for t in tags),
        content=(best.tag.POS in _CONTENT_POS),
        infr="Infr" in best.tag,
        keys=frozenset(p.normal_form for p in parses) | {form},
    )


@lru_cache(maxsize=20_000)
def english(form: str) -> WordInfo:
    """Analyse a lower-case Latin word form (stem only: no dictionary for English)."""
    stem = _stemmer.stemWord(form)
    return WordInfo(
        lemma=stem,
        lemmas=frozenset({stem, form}),
        pos="LATN",
        known=True,
        impr=False,
        impr_plural=False,
        impr_singular=False,
        second_singular=False,
        second_plural=False,
        indicative_too=False,
        past_too=False,
        abbr=False,
        name=False,
        content=True,
        infr=False,
        keys=frozenset({stem, form}),
    )


def info(form: str, script: str) -> WordInfo:
    """WordInfo for a lower-case word form in the given script ("cyr"/"lat"/"mixed")."""
    if script == "cyr":
        return russian(form)
    return english(form)


def lemma_set(form: str) -> frozenset[str]:
    """All lemmas of a lower-case word, whatever its script (used to compile word lists)."""
    if any("а" <= ch <= "я" or ch == "ё" for ch in form):
        return russian(form).lemmas
    return english(form).lemmas


def lemma_keys(words: Iterable[str]) -> frozenset[str]:
    """Every lemma of the listed words, and the words themselves, lower-cased: what a word of a text is
    matched against (`WordInfo.keys`) when a rule file lists words to be found in any form."""
    out: set[str] = set()
    for word in words:
        form = word.lower()
        out |= lemma_set(form) | {form}
    return frozenset(out)


@lru_cache(maxsize=10_000)  # (a word cache: see memory.py; a draft on «ты» asks on every keystroke)
def inflect_plural(form: str) -> str | None:
    """The вы-form of a ты-form verb or imperative ("посмотри" → "посмотрите"), if pymorphy3 knows one."""
    for parse in analyzer().parse(form):
        if parse.tag.POS == "VERB" and "sing" in parse.tag and ("impr" in parse.tag or "2per" in parse.tag):
            plural = parse.inflect({"plur"})
            if plural is not None:
                return str(plural.word)
    return None
