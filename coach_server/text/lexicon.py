"""Word lists compiled for matching inside analysed text, by exact form or by lemma, phrases included.

A rule file lists words the way a person writes them: `words` match those exact forms (case-insensitive),
`lemmas` match any inflected form ("не мочь" finds «не можем», «не смогу» needs "не смочь"). Phrases are
consecutive words. Matching is one pass over the words with a dictionary lookup per word.

A draft revised a keystroke at a time (`analysis.revise`) remembers what each list found in it (in the
whole of it, or in a range of tokens): the next revision keeps what was found before the first token that
changed — less the list's longest phrase, which could reach it — and looks only at the words after that.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from . import morph
from .analysis import TextFacts
from .tokens import WORD, tokenize


class Entry(NamedTuple):
    """One item of a list. Tuples of strings all through (no set, no list): the collector stops tracking them
    after its first look, so a list of 100,000 words a supervisor installs does not lengthen every later
    collection (a full one walked such a list for ~60 ms with the event loop held)."""

    raw: str  # as written in the rule file
    parts: tuple[tuple[str, ...], ...]  # accepted keys for each word of the phrase
    by_lemma: bool
    order: int  # its place in the list: of two as long matching at one place, the first listed is found


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    first: int  # token index of the first word
    last: int  # token index of the last word (inclusive)
    start: int  # character offsets into the text
    end: int


def _words_of(phrase: str) -> list[str]:
    return [t.lower for t in tokenize(phrase) if t.kind == WORD]


_serials = itertools.count(1)
# A range of tokens this short is looked at word by word rather than through the text's indexes of forms
# and lemmas (built once per text and shared by every list: worth it for more than a few words of a draft,
# which many lists search on every keystroke; a chat message is searched by a few, once, and its indexes
# would stay in memory as long as the chat).
_SCAN_TOKENS = 12
_SCAN_MESSAGE_TOKENS = 64


class Lexicon:
    def __init__(self, words: Iterable[str] = (), lemmas: Iterable[str] = ()):
        by_form: dict[str, list[Entry]] = {}
        by_lemma: dict[str, list[Entry]] = {}
        self.entries: list[Entry] = []
        self.serial = next(_serials)  # what a text's memo of matches knows this list by
        self.longest = 0  # words in its longest phrase
        parts: tuple[tuple[str, ...], ...]
        for raw in words:
            parts = tuple((w,) for w in _words_of(raw))
            self._add(Entry(raw, parts, False, len(self.entries)), by_form)
        for raw in lemmas:
            parts = tuple(tuple(sorted(morph.lemma_set(w) | {w})) for w in _words_of(raw))
            self._add(Entry(raw, parts, True, len(self.entries)), by_lemma)
        # (tuples, not lists: see Entry)
        self._by_form: dict[str, tuple[Entry, ...]] = {k: tuple(v) for k, v in by_form.items()}
        self._by_lemma: dict[str, tuple[Entry, ...]] = {k: tuple(v) for k, v in by_lemma.items()}

    def _add(self, entry: Entry, index: dict[str, list[Entry]]) -> None:
        if not entry.parts:
            return
        self.entries.append(entry)
        self.longest = max(self.longest, len(entry.parts))
        for key in entry.parts[0]:
            index.setdefault(key, []).append(entry)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def find(self, facts: TextFacts, first: int = 0, last: int | None = None) -> list[Match]:
        """All matches among tokens [first, last), leftmost-longest, not overlapping.

        Only the positions whose form or lemma can start an entry are tried: a set intersection in C
        finds them, so a list that does not occur in the text costs next to nothing."""
        return list(self._matches(facts, first, last))

    def _matches(self, facts: TextFacts, first: int, last: int | None) -> list[Match]:
        """`find`'s matches — a draft's remembered list itself, not a copy: not to be changed."""
        memo = facts.finds
        if memo is None:  # a chat message: searched once
            return self._find(facts, first, len(facts.tokens) if last is None else last)
        key = (self.serial, first, last)
        found = memo.get(key)
        if found is None:
            end = len(facts.tokens) if last is None else last
            carried = facts.carried_finds
            before = carried[0].get(key) if carried is not None else None
            if before is None or carried is None:
                found = self._find(facts, first, end)
            elif last is None and first < carried[1]:  # to the end of a revised draft: what was found where
                # no phrase reaches the first token that changed holds, the rest is looked at again
                since = max(first, carried[1] - self.longest + 1)
                kept = [m for m in before if m.first < since]
                found = kept + self._find(facts, max(since, kept[-1].last + 1) if kept else since, end)
            elif last is not None and last <= carried[1]:  # a range of tokens that did not change: as found
                found = before
            else:
                found = self._find(facts, first, end)
            memo[key] = found
        return found

    def _find(self, facts: TextFacts, first: int, last: int) -> list[Match]:
        starts: dict[int, list[Entry]] = {}
        draft = facts.finds is not None
        # a range inside a draft (a sentence) is scanned too while the draft has no indexes yet: building
        # them for the whole draft costs more than reading the range (a revised draft is new every keystroke)
        if last - first <= _SCAN_TOKENS or (last - first <= _SCAN_MESSAGE_TOKENS and (
                not draft or (last < len(facts.tokens) and "lemma_positions" not in facts.__dict__))):
            word_at = facts.word_at
            by_form, by_lemma = self._by_form, self._by_lemma
            for i in range(first, last):
                word = word_at.get(i)
                if word is None:
                    continue
                entries = by_form.get(word.lower)
                if entries:
                    starts[i] = list(entries)
                if by_lemma:
                    for key in word.info.keys:
                        entries = by_lemma.get(key)
                        if entries:
                            starts.setdefault(i, []).extend(entries)
        else:
            # a draft's indexes from `first` to its end (its new part, after a revision); else the whole
            # text's (a range inside a long text must not build indexes of all that follows it)
            indexes = facts.positions(first if draft and last == len(facts.tokens) else 0)
            for index, positions in zip((self._by_form, self._by_lemma), indexes):
                if not index:
                    continue
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
                if i + n > last or n < best_len or (best is not None and n == best_len
                                                    and entry.order >= best.entry.order):
                    continue
                for k in range(1, n):  # the rest of the phrase, word by word (a plain loop: this is hot)
                    word = word_at.get(i + k)
                    if word is None:
                        break
                    keys = parts[k]
                    if word.lower not in keys and (not entry.by_lemma or word.info.lemmas.isdisjoint(keys)):
                        break
                else:
                    best = Match(entry, i, i + n - 1, tokens[i].start, tokens[i + n - 1].end)
                    best_len = n
            if best is not None:
                out.append(best)
                taken_until = best.last
        return out

    def contains(self, facts: TextFacts, first: int = 0, last: int | None = None) -> bool:
        return bool(self._matches(facts, first, last))
