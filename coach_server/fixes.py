"""Fixes that compose: the one place where the warnings' suggestions are made to fit together.

Each check offers its own fix for its own remark; two of them may touch the same words. Applied one after the
other they can break the message («Здраствуйте!» with a typo fix *and* «Здравствуйте! » inserted before it gives
«Здравствуйте! Здравствуйте!»), and a fix can bring on a remark of another rule. So after the checks ran:

1. **Overlapping fixes merge into one.** Fixes whose spans overlap or touch form a group. The group's first
   fix is applied — a fix that corrects what is written before one that inserts new text, a longer one before a
   shorter — and the other rules of the group are asked again about the fixed text:
   - a remark that is gone was a consequence of the first fix's mistake (the greeting *is* there, misspelt):
     it is dropped — the typo fix wins over inserting a greeting;
   - a remark that comes back with the same fix, moved, is independent of it: it keeps its own fix;
   - a remark that comes back with another fix is composed with it: «посмотри» → «посмотрите» (formality)
     and → «посмотри, пожалуйста,» (please) become one fix, «посмотрите, пожалуйста,», that both remarks
     carry (over the union of their spans);
   - a remark that comes back without a fix keeps no fix (its old one would undo the first).
2. **A fix never makes a new remark of another rule.** Each fix left is applied and the whole draft checked
   again; if a rule that had nothing to say about those words now has, the fix is withdrawn (the remark
   stays, without Apply).

The checks know nothing of this: the engine hands over the warnings and a way to check another text
(`Recheck`). A draft longer than VERIFY_MAX_CHARS (a pasted document, not a chat reply) skips step 2: checking
it again per fix would cost more than a keystroke may.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from .models import SEVERITY_RANK, Warning

# Check the draft again with a fix applied: (text, the rules to run — None: all) → the warnings.
Recheck = Callable[[str, Iterable[str] | None], list[Warning]]

VERIFY_MAX_CHARS = 4_000
MAX_ROUNDS = 4  # compositions within one group (a group is two or three fixes in practice)


def _has_fix(w: Warning) -> bool:
    return w.suggestion is not None and w.start is not None and w.end is not None


def touches(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Do two spans overlap or meet (an insertion at either end of a span meets it)?"""
    return a_start <= b_end and b_start <= a_end


def apply_fix(text: str, start: int, end: int, suggestion: str) -> str:
    return text[:start] + suggestion + text[end:]


def _groups(fixes: list[Warning]) -> list[list[Warning]]:
    """Fixes whose spans overlap or touch, transitively, in order of position."""
    groups: list[list[Warning]] = []
    end = -1
    for w in sorted(fixes, key=lambda w: (w.start, w.end)):
        assert w.start is not None and w.end is not None
        if groups and w.start <= end:
            groups[-1].append(w)
            end = max(end, w.end)
        else:
            groups.append([w])
            end = w.end
    return groups


def _priority(w: Warning) -> tuple[int, int, int, str]:
    assert w.start is not None and w.end is not None
    # a correction of what is written before an insertion; the longer first; then the more severe
    return (int(w.start == w.end), -(w.end - w.start), SEVERITY_RANK[w.severity], w.rule)


class _Edit:
    """The text being composed: `cur` differs from the draft only in [lo, hi) of the draft, which is
    [lo, chi) of `cur`."""

    def __init__(self, draft: str, w: Warning):
        assert w.start is not None and w.end is not None and w.suggestion is not None
        self.draft = draft
        self.lo, self.hi = w.start, w.end
        self.cur = apply_fix(draft, w.start, w.end, w.suggestion)
        self.chi = w.start + len(w.suggestion)

    def touches(self, w: Warning) -> bool:
        return w.start is not None and w.end is not None and touches(w.start, w.end, self.lo, self.chi)

    def moved(self, w: Warning) -> tuple[int, int] | None:
        """Where an untouched span of the draft is in `cur` (None: it overlaps the edit)."""
        assert w.start is not None and w.end is not None
        if w.end <= self.lo:
            return w.start, w.end
        if w.start >= self.hi:
            shift = self.chi - self.hi
            return w.start + shift, w.end + shift
        return None

    def apply(self, w: Warning) -> None:
        """Apply a fix given in `cur`'s offsets, growing the edited region to cover it."""
        assert w.start is not None and w.end is not None and w.suggestion is not None
        xs, xe = w.start, w.end
        self.hi = max(self.hi, xe + (self.hi - self.chi))
        self.lo = min(self.lo, xs)
        self.chi = max(self.chi, xe) + len(w.suggestion) - (xe - xs)
        self.cur = apply_fix(self.cur, xs, xe, w.suggestion)

    @property
    def suggestion(self) -> str:
        return self.cur[self.lo:self.chi]


def _compose_group(draft: str, group: list[Warning], recheck: Recheck) -> set[int]:
    """Compose one group in place (see the module's docstring); returns the ids of the warnings to drop."""
    order = sorted(group, key=_priority)
    edit = _Edit(draft, order[0])
    composed = [order[0]]
    pending = order[1:]
    dropped: set[int] = set()
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        fresh = recheck(edit.cur, {w.rule for w in pending})
        next_pending: list[Warning] = []
        progressed = False
        for w in pending:
            if progressed:
                next_pending.append(w)  # asked again about the text with the composition so far
                continue
            again = [x for x in fresh if x.rule == w.rule and edit.touches(x)]
            if not again:
                # gone with the first fix (or moved away from it: still there, its own fix still fits)
                moved = edit.moved(w)
                if moved is None or not any(x.rule == w.rule and (x.start, x.end) == moved for x in fresh):
                    dropped.add(id(w))
                continue
            x = again[0]
            if x.suggestion is None:
                w.suggestion = None  # its fix would undo the one applied; the remark stays
                continue
            if edit.moved(w) == (x.start, x.end) and x.suggestion == w.suggestion:
                continue  # independent of the fix applied: it keeps its own
            edit.apply(x)
            composed.append(w)
            progressed = True
        pending = next_pending
    if len(composed) > 1:
        for w in composed:
            w.start, w.end, w.suggestion = edit.lo, edit.hi, edit.suggestion
    return dropped


def _same_remark(new: Warning, old: Warning, edit_start: int, edit_end: int, shift: int) -> bool:
    """Is `new` (on the fixed text) the remark `old` (on the draft) made again?"""
    if new.rule != old.rule:
        return False
    if new.start is None or old.start is None or new.end is None or old.end is None:
        return new.start is None and old.start is None
    if old.end <= edit_start:
        span = (old.start, old.end)
    elif old.start >= edit_end:
        span = (old.start + shift, old.end + shift)
    else:  # it overlapped the fixed words: anywhere about them is the same remark
        span = (min(old.start, edit_start), max(old.end, edit_end) + shift)
    return touches(new.start, new.end, span[0], span[1])


def _verify(draft: str, warnings: list[Warning], recheck: Recheck) -> None:
    """Withdraw each fix that would bring on a remark of another rule (step 2)."""
    by_fix: dict[tuple[int, int, str], list[Warning]] = {}
    for w in warnings:
        if _has_fix(w):
            assert w.start is not None and w.end is not None and w.suggestion is not None
            by_fix.setdefault((w.start, w.end, w.suggestion), []).append(w)
    for (start, end, suggestion), owners in by_fix.items():
        rules = {w.rule for w in owners}
        fixed = apply_fix(draft, start, end, suggestion)
        shift = len(suggestion) - (end - start)
        edit_end = start + len(suggestion)
        others = [w for w in warnings if w.rule not in rules]
        unmatched = list(others)
        for new in recheck(fixed, None):
            if new.rule in rules:
                continue
            match = next((old for old in unmatched if _same_remark(new, old, start, end, shift)), None)
            if match is None and new.start is not None and new.end is not None \
                    and not touches(new.start, new.end, start, edit_end):
                # a remark elsewhere whose span only moved: matched by rule and text
                match = next((old for old in unmatched if old.rule == new.rule and old.start is not None
                              and old.end is not None
                              and draft[old.start:old.end] == fixed[new.start:new.end]), None)
            if match is None:
                for w in owners:
                    w.suggestion = None
                break
            unmatched.remove(match)


def compose(draft: str, warnings: list[Warning], recheck: Recheck, *, verify: bool = True) -> list[Warning]:
    """The warnings with their fixes made to fit together (see the module's docstring; `verify=False` skips step
    2, for a caller that counts remarks and offers no fix). The
    warnings with a fix are copies (a check may keep the warnings it made); the list keeps their order."""
    warnings = [w.model_copy() if _has_fix(w) else w for w in warnings]
    fixes = [w for w in warnings if _has_fix(w) and 0 <= w.start <= w.end <= len(draft)]  # type: ignore[operator]
    dropped: set[int] = set()
    for group in _groups(fixes):
        if len(group) > 1:
            dropped |= _compose_group(draft, group, recheck)
    out = [w for w in warnings if id(w) not in dropped]
    if verify and len(draft) <= VERIFY_MAX_CHARS and any(_has_fix(w) for w in out):
        _verify(draft, out, recheck)
    return out
