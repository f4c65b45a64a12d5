"""Word lists compiled for matching inside analysed text, by exact form or by lemma, phrases included.

A rule file lists words the way a person writes them: `words` match those exact forms (case-insensitive),
`lemmas` match any inflected form ("не мочь" finds «не можем», «не смогу» needs "не смочь"). Phrases are
consecutive words. Matching is one pass over the words with a dictionary lookup per word.

A draft revised a keystroke at a time (`analysis.revise`) remembers what each list found in it (in the
whole of it, or in a range of tokens), and where entries of several words could start and how far each could
reach: the next revision keeps what was found before the first place that could reach a token that changed,
and looks only at the words from there.
"""
from __future__ import annotations

import itertools
from bisect import bisect_left
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


# What a list found in a draft, remembered by the draft (a revision of it starts from there): the matches, and
# (token index, last token reachable) of each place tried where entries of several words start, in order.
# (Plain tuples: built on every keystroke by each list.)
_Found = tuple[list[Match], list[tuple[int, int]]]


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
        self._start_keys = frozenset(by_form) | frozenset(by_lemma)  # what a first word may be

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
            return self._find(facts, first, len(facts.tokens) if last is None else last, None)
        if last is not None and last >= len(facts.tokens):
            last = None  # to the end (the sentence being typed): found from what the previous draft found
        key = (self.serial, first, last)
        found: _Found | None = memo.get(key)
        if found is None:
            end = len(facts.tokens) if last is None else last
            carried = facts.carried_finds
            before = carried[0].get(key) if carried is not None else None
            if before is None or carried is None:
                reach: list[tuple[int, int]] = []
                found = (self._find(facts, first, end, reach), reach)
            elif last is None and first < carried[1]:  # to the end of a revised draft: see `_revised_matches`
                found = self._revised_matches(facts, first, end, before, carried[1])
            elif last is not None and last <= carried[1]:  # a range of tokens that did not change: as found
                found = before
            else:
                reach = []
                found = (self._find(facts, first, end, reach), reach)
            memo[key] = found
        return found[0]

    def _revised_matches(self, facts: TextFacts, first: int, end: int, before: _Found, alike: int) -> _Found:
        """The matches from token `first` to the end of a revised draft whose first `alike` tokens are those
        of the draft `before` was found in. What was found holds up to the first place where an entry could
        reach a token that changed (`before`'s reach: the places where entries of several words may start,
        and the last token each could reach); from there on the words are looked at again."""
        old_matches, old_reach = before
        since = alike
        if old_reach and old_reach[-1][0] > alike - self.longest:  # a place near enough to reach the change
            k = bisect_left(old_reach, (alike - self.longest + 1, -1))
            while k < len(old_reach) and old_reach[k][0] < alike:
                if old_reach[k][1] >= alike:
                    since = old_reach[k][0]  # (sorted: the first such place is the earliest)
                    break
                k += 1
        if since < first:
            since = first
        # (a match kept ends before `alike`: its start would otherwise be a place that reaches it)
        kept = [m for m in old_matches if m.first < since] if old_matches else []
        rescan = kept[-1].last + 1 if kept and kept[-1].last >= since else since
        if old_reach and old_reach[-1][0] >= rescan:
            old_reach = old_reach[:bisect_left(old_reach, (rescan, -1))]
        more: list[tuple[int, int]] = []
        found = self._find(facts, rescan, end, more)
        return (kept + found if kept else found), (old_reach + more if more else old_reach)

    def _find(self, facts: TextFacts, first: int, last: int, reach: list[tuple[int, int]] | None) -> list[Match]:
        """The matches among tokens [first, last); with `reach`, the places tried where entries of several
        words start, and the last token each could reach, are added to it."""
        starts: dict[int, list[Entry]] = {}
        draft = facts.finds is not None
        if draft and first == 0 and last == len(facts.tokens) and self._start_keys.isdisjoint(facts.word_keys):
            return []  # a whole draft none of whose words can begin an entry (one set test in C)
        # a draft's indexes from `first` to its end (its new part, after a revision); else the whole text's (a
        # range inside a long text must not build indexes of all that follows it). A range of a draft is
        # scanned too while those indexes are not built: building them costs more than reading the range, and
        # a revised draft is new every keystroke.
        at = first if draft and last == len(facts.tokens) else 0
        if last - first <= _SCAN_TOKENS or (last - first <= _SCAN_MESSAGE_TOKENS
                                            and (not draft or not facts.has_positions(at))):
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
            indexes = facts.positions(at)
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
                continue  # (inside a match: its start's reach covers it)
            best: Match | None = None
            best_len = 0
            longest = 1
            for entry in starts[i]:
                parts = entry.parts
                n = len(parts)
                if n > longest:
                    longest = n
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
            if reach is not None and longest > 1:
                reach.append((i, i + longest - 1))
            if best is not None:
                out.append(best)
                taken_until = best.last
        return out

    def contains(self, facts: TextFacts, first: int = 0, last: int | None = None) -> bool:
        return bool(self._matches(facts, first, last))
