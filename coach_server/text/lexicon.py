"""Word lists compiled for matching inside analysed text, by exact form or by lemma, phrases included.

A rule file lists words the way a person writes them: `words` match those exact forms (case-insensitive),
`lemmas` match any inflected form ("не мочь" finds «не можем», «не смогу» needs "не смочь"). Phrases are
consecutive words. Matching is one pass over the words with a dictionary lookup per word.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import morph
from .analysis import TextFacts
from .tokens import WORD, tokenize


@dataclass(frozen=True, slots=True)
class Entry:
    raw: str  # as written in the rule file
    parts: tuple[frozenset[str], ...]  # accepted keys for each word of the phrase
    by_lemma: bool


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    first: int  # token index of the first word
    last: int  # token index of the last word (inclusive)
    start: int  # character offsets into the text
    end: int


def _words_of(phrase: str) -> list[str]:
    return [t.lower for t in tokenize(phrase) if t.kind == WORD]


class Lexicon:
    def __init__(self, words: Iterable[str] = (), lemmas: Iterable[str] = ()):
        self._by_form: dict[str, list[Entry]] = {}
        self._by_lemma: dict[str, list[Entry]] = {}
        self.entries: list[Entry] = []
        for raw in words:
            parts = tuple(frozenset({w}) for w in _words_of(raw))
            self._add(Entry(raw, parts, False))
        for raw in lemmas:
            parts = tuple(morph.lemma_set(w) | {w} for w in _words_of(raw))
            self._add(Entry(raw, parts, True))

    def _add(self, entry: Entry) -> None:
        if not entry.parts:
            return
        self.entries.append(entry)
        index = self._by_lemma if entry.by_lemma else self._by_form
        for key in entry.parts[0]:
            index.setdefault(key, []).append(entry)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def find(self, facts: TextFacts, first: int = 0, last: int | None = None) -> list[Match]:
        """All matches among tokens [first, last), leftmost-longest, not overlapping.

        Only the positions whose form or lemma can start an entry are tried: a set intersection in C
        finds them, so a list that does not occur in the text costs next to nothing."""
        last = len(facts.tokens) if last is None else last
        starts: dict[int, list[Entry]] = {}
        for index, where in ((self._by_form, "form_positions"), (self._by_lemma, "lemma_positions")):
            if not index:
                continue
            positions = getattr(facts, where)  # computed on first use, then cached by the text
            for key in index.keys() & positions.keys():
                for i in positions[key]:
                    if first <= i < last:
                        starts.setdefault(i, []).extend(index[key])
        if not starts:
            return []
        tokens = facts.tokens
        word_at = facts.word_at
        out: list[Match] = []
        taken_until = -1
        for i in sorted(starts):
            if i <= taken_until:
                continue
            best: Match | None = None
            best_len = 0
            for entry in starts[i]:
                parts = entry.parts
                n = len(parts)
                if i + n > last or n <= best_len:
                    continue
                for k in range(1, n):  # the rest of the phrase, word by word (a plain loop: this is hot)
                    word = word_at.get(i + k)
                    if word is None:
                        break
                    keys = parts[k]
                    if word.lower not in keys and (not entry.by_lemma or keys.isdisjoint(word.info.lemmas)):
                        break
                else:
                    best = Match(entry, i, i + n - 1, tokens[i].start, tokens[i + n - 1].end)
                    best_len = n
            if best is not None:
                out.append(best)
                taken_until = best.last
        return out

    def contains(self, facts: TextFacts, first: int = 0, last: int | None = None) -> bool:
        return bool(self.find(facts, first, last))
