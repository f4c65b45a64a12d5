"""Supervisors' regular expressions, matched in linear time.

A `pattern` rule is written by a person, pushed to every node and run on every keystroke: a pattern that
backtracks (`(\\w+\\s?)+карт[аыуе]`) would hold the event loop for minutes on a 40-character draft. So rule
patterns are never run by Python's `re` (a backtracking engine); they run on RE2 (google-re2), whose time is
linear in the text whatever the pattern.

The patterns keep Python's syntax, as docs/rules.md promises: `re`'s own parser reads them, and the tree is
written out again in RE2's syntax, with Python's Unicode meaning of `\\w`, `\\d`, `\\s` (RE2's are ASCII).
What RE2 cannot do in linear time — backreferences, lookahead and lookbehind, conditionals, atomic groups,
possessive quantifiers — is refused when the rule is validated, with the reason in Russian (the supervisor
page shows it). `\\b` and `\\B` (a word boundary, Unicode in Python, ASCII in RE2) are worked out from the
pattern where its neighbours decide them (`\\bслово\\b`, `\\bфраза из слов\\b`); at the pattern's edges the
character beside the match is matched too, outside the reported span.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import re2

MAX_PATTERN_CHARS = 2_000
MAX_MEMORY = 8 << 20  # RE2's budget for one compiled pattern (its default); a bigger one is refused
_WORD_RE = re.compile(r"\w")  # Python's own idea of a word character, for the analysis below
_RANGE_SCAN = 4_096  # ranges up to this wide are looked at char by char; wider ones count as mixed

# What a position next to a `\b` may hold: a word character, another character, or the edge of the match.
W, N, E = 1, 2, 4
UNICODE_WORD = r"\p{L}\p{N}_"
ASCII_WORD = "0-9A-Za-z_"
UNICODE_SPACE = r"\t-\r\x{1c}-\x{1f} \x{85}\p{Z}"


class PatternRefused(ValueError):
    """A pattern the linear engine cannot run; the message is for the supervisor (Russian)."""


@dataclass(frozen=True)
class _Node:
    regex: str
    first: int  # W/N of the characters it may start with
    last: int
    nullable: bool


class _Writer:
    """Python's parse tree of a pattern → RE2's syntax, with the analysis `\\b` needs."""

    def __init__(self, flags: int):
        self.ascii = bool(flags & re.ASCII)
        self.dotall = bool(flags & re.DOTALL)
        self.multiline = bool(flags & re.MULTILINE)
        self.starts = 0  # empty groups that mark where the reported span starts (after a matched neighbour)
        self.ends = 0

    # --- the analysis: which kind of character sits where ---------------------------------------------
    @staticmethod
    def char_kind(code: int) -> int:
        return W if _WORD_RE.match(chr(code)) else N

    def class_kind(self, items: list[tuple[Any, Any]]) -> int:
        negate = bool(items) and items[0][0] is sre.NEGATE
        body = items[1:] if negate else items
        kind = 0
        for op, av in body:
            if op is sre.LITERAL:
                kind |= self.char_kind(av)
            elif op is sre.RANGE:
                lo, hi = av
                if hi - lo > _RANGE_SCAN:
                    return W | N
                for code in range(lo, hi + 1):
                    kind |= self.char_kind(code)
                    if kind == W | N:
                        return kind
            elif op is sre.CATEGORY:
                kind |= {sre.CATEGORY_WORD: W, sre.CATEGORY_DIGIT: W, sre.CATEGORY_SPACE: N,
                         sre.CATEGORY_NOT_WORD: N}.get(av, W | N)
            else:
                kind |= W | N
        if negate:  # the complement of all-word is all-other, of all-other all-word; of anything else: mixed
            return {W: N, N: W}.get(kind, W | N)
        return kind

    # --- writing -----------------------------------------------------------------------------------------
    def word(self) -> str:
        return ASCII_WORD if self.ascii else UNICODE_WORD

    def category(self, cat: Any, in_class: bool) -> str:
        if self.ascii:
            plain = {sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W", sre.CATEGORY_DIGIT: r"\d",
                     sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s", sre.CATEGORY_NOT_SPACE: r"\S"}
            return plain[cat]
        if cat is sre.CATEGORY_WORD:
            return UNICODE_WORD if in_class else f"[{UNICODE_WORD}]"
        if cat is sre.CATEGORY_DIGIT:
            return r"\p{Nd}"
        if cat is sre.CATEGORY_NOT_DIGIT:
            return r"\P{Nd}"
        if cat is sre.CATEGORY_SPACE:
            return UNICODE_SPACE if in_class else f"[{UNICODE_SPACE}]"
        if in_class:
            raise PatternRefused("\\W и \\S внутри [...] не поддерживаются: перечислите символы явно или "
                                 "напишите [^...]")
        return f"[^{UNICODE_WORD}]" if cat is sre.CATEGORY_NOT_WORD else f"[^{UNICODE_SPACE}]"

    def klass(self, items: list[tuple[Any, Any]]) -> str:
        negate = bool(items) and items[0][0] is sre.NEGATE
        body = items[1:] if negate else items
        if len(body) == 1 and body[0][0] is sre.CATEGORY and not self.ascii and \
                body[0][1] in (sre.CATEGORY_NOT_WORD, sre.CATEGORY_NOT_SPACE):
            inner = UNICODE_WORD if body[0][1] is sre.CATEGORY_NOT_WORD else UNICODE_SPACE
            return f"[{inner}]" if negate else f"[^{inner}]"
        parts = []
        for op, av in body:
            if op is sre.LITERAL:
                parts.append(_char(av))
            elif op is sre.RANGE:
                parts.append(f"{_char(av[0])}-{_char(av[1])}")
            elif op is sre.CATEGORY:
                parts.append(self.category(av, in_class=True))
            else:
                raise PatternRefused(f"не поддерживается внутри [...]: {op}")
        return "[" + ("^" if negate else "") + "".join(parts) + "]"

    def sequence(self, items: list[tuple[Any, Any]], before: int, after: int) -> _Node:
        """A sequence of items; `before`/`after`: what may sit just before and after it in a match."""
        shapes = [self.shape(op, av) for op, av in items]
        # what may sit before each item, and after it
        befores, b = [], before
        for _first, last, nullable in shapes:
            befores.append(b)
            b = last | (b if nullable else 0)
        afters, a = [0] * len(shapes), after
        for i in range(len(shapes) - 1, -1, -1):
            afters[i] = a
            first, _, nullable = shapes[i]
            a = first | (a if nullable else 0)
        out = [self.item(op, av, befores[i], afters[i]) for i, (op, av) in enumerate(items)]
        return _Node("".join(n.regex for n in out), *_combine([(n.first, n.last, n.nullable) for n in out]))

    def shape(self, op: Any, av: Any) -> tuple[int, int, bool]:
        """(first, last, nullable) of an item, without writing it."""
        if op is sre.LITERAL:
            k = self.char_kind(av)
            return k, k, False
        if op in (sre.NOT_LITERAL, sre.ANY):
            return W | N, W | N, False
        if op is sre.IN:
            k = self.class_kind(av)
            return k, k, False
        if op is sre.AT:
            return 0, 0, True
        if op is sre.SUBPATTERN:
            return _combine([self.shape(o, a) for o, a in av[3]])
        if op is sre.BRANCH:
            shapes = [_combine([self.shape(o, a) for o, a in branch]) for branch in av[1]]
            return (_union(s[0] for s in shapes), _union(s[1] for s in shapes), any(s[2] for s in shapes))
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            first, last, nullable = _combine([self.shape(o, a) for o, a in av[2]])
            return first, last, nullable or av[0] == 0
        return W | N, W | N, True  # refused when written

    def item(self, op: Any, av: Any, before: int, after: int) -> _Node:
        if op is sre.LITERAL:
            k = self.char_kind(av)
            return _Node(_char(av), k, k, False)
        if op is sre.NOT_LITERAL:
            return _Node(f"[^{_char(av)}]", W | N, W | N, False)
        if op is sre.ANY:
            return _Node("(?s:.)" if self.dotall else r"[^\n]", W | N, W | N, False)
        if op is sre.IN:
            k = self.class_kind(av)
            if len(av) == 1 and av[0][0] is sre.CATEGORY:
                return _Node(self.category(av[0][1], in_class=False), k, k, False)
            return _Node(self.klass(av), k, k, False)
        if op is sre.AT:
            return _Node(self.at(av, before, after), 0, 0, True)
        if op is sre.SUBPATTERN:
            _group, add, remove, body = av
            if (add | remove) & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE | re.UNICODE):
                raise PatternRefused("флаги (?a), (?L) внутри выражения не поддерживаются")
            saved = (self.dotall, self.multiline)
            self.dotall = bool(add & re.DOTALL) or (self.dotall and not remove & re.DOTALL)
            self.multiline = bool(add & re.MULTILINE) or (self.multiline and not remove & re.MULTILINE)
            inner = self.sequence(body, before, after)
            self.dotall, self.multiline = saved
            flags = ("i" if add & re.IGNORECASE else "") + ("-i" if remove & re.IGNORECASE else "")
            return _Node(f"(?{flags}:{inner.regex})", inner.first, inner.last, inner.nullable)
        if op is sre.BRANCH:
            branches = [self.sequence(b, before, after) for b in av[1]]
            return _Node("(?:" + "|".join(b.regex for b in branches) + ")", _union(b.first for b in branches),
                         _union(b.last for b in branches), any(b.nullable for b in branches))
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            lo, hi, body = av
            inner_shape = _combine([self.shape(o, a) for o, a in body])
            if hi == sre.MAXREPEAT or hi > 1:  # a repetition follows (and precedes) another
                before, after = before | inner_shape[1], after | inner_shape[0]
            inner = self.sequence(body, before, after)
            if hi == sre.MAXREPEAT:
                count = {0: "*", 1: "+"}.get(lo, f"{{{lo},}}")
            elif (lo, hi) == (0, 1):
                count = "?"
            else:
                count = f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
            lazy = "?" if op is sre.MIN_REPEAT else ""
            return _Node(f"(?:{inner.regex}){count}{lazy}", inner.first, inner.last, inner.nullable or lo == 0)
        raise PatternRefused(_UNSUPPORTED.get(op, f"конструкция {op} не поддерживается"))

    def at(self, where: Any, before: int, after: int) -> str:
        if where is sre.AT_BEGINNING:
            return "(?m:^)" if self.multiline else "^"
        if where is sre.AT_BEGINNING_STRING:
            return r"\A"
        if where is sre.AT_END:
            return "(?m:$)" if self.multiline else "$"
        if where is sre.AT_END_STRING:
            return r"\z"
        if where not in (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY):
            raise PatternRefused(f"конструкция {where} не поддерживается")
        boundary = where is sre.AT_BOUNDARY
        name = "\\b" if boundary else "\\B"
        if before & E and after & E:
            raise PatternRefused(f"{name} не может стоять там, где совпадение может быть пустым")
        if before & E or after & E:
            edge_start = bool(before & E)
            inside = after if edge_start else before
            if (before if edge_start else after) != E:
                raise PatternRefused(f"{name} допустим в начале или в конце выражения и между известными "
                                     "символами; здесь перед ним может быть и начало совпадения, и символ")
            if inside not in (W, N):
                raise PatternRefused(f"{name}: рядом с ним могут оказаться и буква, и другой знак — уточните "
                                     "символы рядом (например, \\w, [а-я] или пробел)")
            # the neighbour outside the match: a word character, or anything else (or the text's edge)
            wants_word = (inside == N) == boundary
            word = self.word()
            if edge_start:
                self.starts += 1
                context = f"[{word}]" if wants_word else f"(?:^|[^{word}])"
                return f"{context}()"
            self.ends += 1
            context = f"[{word}]" if wants_word else f"(?:[^{word}]|$)"
            return f"(){context}"
        outcomes = {(p == W) != (q == W) for p in (W, N) if before & p for q in (W, N) if after & q}
        if outcomes == {boundary}:
            return ""  # always so here: nothing to check
        if outcomes == {not boundary}:
            raise PatternRefused(f"{name} здесь никогда не выполняется: выражение ничего не найдёт")
        raise PatternRefused(f"{name}: по обе стороны могут оказаться и буква, и другой знак — уточните "
                             "символы рядом (например, \\w, [а-я] или пробел)")


_UNSUPPORTED = {
    sre.GROUPREF: "обратные ссылки (\\1, (?P=имя)) не поддерживаются: поиск должен идти за линейное время",
    sre.GROUPREF_EXISTS: "условные группы (?(1)…) не поддерживаются",
    sre.ASSERT: "просмотр вперёд и назад ((?=…), (?<=…)) не поддерживается: поиск должен идти за линейное время",
    sre.ASSERT_NOT: "просмотр вперёд и назад ((?!…), (?<!…)) не поддерживается: поиск должен идти за линейное время",
    sre.ATOMIC_GROUP: "атомарные группы (?>…) не поддерживаются: напишите обычную группу",
    sre.POSSESSIVE_REPEAT: "«жадные без возврата» квантификаторы (*+, ++, ?+) не поддерживаются: уберите последний +",
}


def _char(code: int) -> str:
    return f"\\x{{{code:x}}}"


def _union(kinds: Iterator[int] | Any) -> int:
    out = 0
    for k in kinds:
        out |= k
    return out


def _combine(shapes: list[tuple[int, int, bool]]) -> tuple[int, int, bool]:
    """(first, last, nullable) of a sequence from its items'."""
    first = last = 0
    nullable = True
    for f, _, n in shapes:
        if nullable:
            first |= f
        nullable = nullable and n
    nullable_tail = True
    for _, l_, n in reversed(shapes):
        if nullable_tail:
            last |= l_
        nullable_tail = nullable_tail and n
    return first, last, nullable


class LinearPattern:
    """A supervisor's pattern compiled for RE2. `finditer(text)` yields the (start, end) of each match, in
    characters, left to right, not overlapping — as `re.finditer` would, in time linear in the text."""

    def __init__(self, source: str, *, ignore_case: bool):
        if len(source) > MAX_PATTERN_CHARS:
            raise PatternRefused(f"выражение длиннее {MAX_PATTERN_CHARS} символов")
        flags = re.IGNORECASE if ignore_case else 0
        try:
            tree = sre_parse.parse(source, flags)
        except re.error as exc:
            raise PatternRefused(f"не регулярное выражение: {exc}") from None
        except (OverflowError, RecursionError, MemoryError):
            raise PatternRefused("выражение слишком сложное (огромное число повторов или вложенность)") from None
        flags = tree.state.flags
        writer = _Writer(flags)
        try:
            node = writer.sequence(list(tree.data), E, E)
        except RecursionError:
            raise PatternRefused("выражение слишком глубоко вложено") from None
        if node.nullable:
            raise PatternRefused("выражение совпадает с пустым текстом — оно отметило бы любой черновик")
        self.source = source
        self.regex = node.regex
        self._starts = range(1, writer.starts + 1)  # the groups that mark a span's start, then its end
        self._ends = range(writer.starts + 1, writer.starts + writer.ends + 1)
        options = re2.Options()
        options.case_sensitive = not flags & re.IGNORECASE
        options.log_errors = False
        options.max_mem = MAX_MEMORY
        try:
            self._re = re2.compile(self.regex.encode("ascii"), options)
        except re2.error as exc:
            reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) \
                else str(exc)
            raise PatternRefused(f"выражение не подходит для поиска за линейное время: {reason}") from None

    def finditer(self, text: str) -> Iterator[tuple[int, int]]:
        data = text.encode("utf-8", "surrogatepass")
        chars = _Offsets(text, data)
        end = 0  # where the last match reported ended (bytes)
        pos = 0
        while pos <= len(data):
            match = self._re.search(data, pos)
            if match is None:
                return
            start, stop = self._span(match)
            if start < end:  # found from one character back (for the neighbour of a `\b`): overlaps
                match = self._re.search(data, end)
                if match is None:
                    return
                start, stop = self._span(match)
            if stop <= start:  # nothing of the text itself: look on from the next character
                pos = _next_char(data, max(pos, start))
                continue
            yield chars.at(start), chars.at(stop)
            end = stop
            # a `\b` at the start matches the character before the span: give it the last one back
            pos = _prev_char(data, stop) if self._starts else stop

    def _span(self, match: Any) -> tuple[int, int]:
        start, stop = match.span()
        for group in self._starts:
            if match.start(group) >= 0:
                start = match.start(group)
        for group in self._ends:
            if match.start(group) >= 0:
                stop = match.start(group)
        return start, stop


class _Offsets:
    """Byte offsets into the UTF-8 text → character offsets, for offsets that never decrease (linear)."""

    def __init__(self, text: str, data: bytes):
        self.ascii = len(text) == len(data)
        self.data = data
        self.byte = 0
        self.char = 0

    def at(self, offset: int) -> int:
        if self.ascii:
            return offset
        if offset < self.byte:  # not expected; start over rather than be wrong
            self.byte = self.char = 0
        self.char += len(self.data[self.byte:offset].decode("utf-8", "surrogatepass"))
        self.byte = offset
        return self.char


def _next_char(data: bytes, i: int) -> int:
    i += 1
    while i < len(data) and data[i] & 0xC0 == 0x80:
        i += 1
    return i


def _prev_char(data: bytes, i: int) -> int:
    i -= 1
    while i > 0 and data[i] & 0xC0 == 0x80:
        i -= 1
    return max(i, 0)
