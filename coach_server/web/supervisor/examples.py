"""A rule change and the rule's own examples (`[[invalid]]`/`[[valid]]`), before it is saved: which examples the
change affects, said in Russian for the supervisor; the examples tied to a threshold in seconds follow it; and
whether the set stays valid — the page saves only then, so `coach rules check` passes after every save it allows.

- **Follows.** A timer's example happens at moments relative to its thresholds («the client has waited 75 s»
  with steps at 60 and 120 s is a warning). When a threshold in seconds moves (60 → 90), the times of an example
  the change would break move with it, kept in the same place between the thresholds (75 → 98 s: a warning still)
  — written into the file with the save, and shown before it.
- **Breaks.** Any other example the change would break (a limit of sentences, a word list) cannot be moved by
  itself: the save is refused, saying which example and why («перестанет помечаться: …»).
- An example that already failed before the change is reported, and does not stop the save.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tomlkit
from pydantic import BaseModel

from ...checks.base import AnyCheck, format_duration, quote
from ...engine import Coach
from ...models import DEFAULT_CHANNEL
from ...rulebook.examples import example_problem, example_request
from ...rulebook.loader import Rule, Rulebook
from ...rulebook.schema import Example

SEVERITY_RU = {"error": "ошибка", "warning": "предупреждение", "info": "подсказка"}
LANG_RU = {"ru": "по-русски", "en": "по-английски"}
CHANNEL_RU = {"chat": "чат", "messenger": "мессенджер", "social": "соцсети", "email": "почта"}
KIND_RU = {"invalid": "пример нарушения", "valid": "пример допустимого ответа"}

Scale = Callable[[float], float]


@dataclass
class Review:
    """What a change does to the rule's examples: entries for the page, the file with the followed examples
    written in, and whether it may be saved."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    content: bytes = b""
    rule: Rule | None = None
    saveable: bool = True


# --- thresholds in seconds -----------------------------------------------------------------------------------
def _seconds_pairs(old: BaseModel, new: BaseModel) -> list[tuple[list[float], list[float]]]:
    """(old values, new values) of each threshold in seconds that differs: a field the kind describes as
    seconds, alone or in the rows of a list (a timer's `steps`)."""
    out = []
    for name, info in type(old).model_fields.items():
        a, b = getattr(old, name), getattr(new, name, None)
        if (info.description or "").startswith("seconds") and isinstance(a, int | float) \
                and isinstance(b, int | float) and a != b:
            out.append(([float(a)], [float(b)]))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and a \
                and all(isinstance(r, BaseModel) for r in a + b):
            for col, col_info in type(a[0]).model_fields.items():
                if (col_info.description or "").startswith("seconds"):
                    olds = [float(getattr(r, col)) for r in a]
                    news = [float(getattr(r, col)) for r in b]
                    if olds != news:
                        out.append((olds, news))
    return out


def _scale(olds: list[float], news: list[float]) -> Scale | None:
    """Time mapped from the old thresholds to the new, linearly between them (and past the last, moved by as
    much as it moved): a moment keeps its place between the thresholds. None unless both rise."""
    points = sorted(zip(olds, news))
    xs, ys = [0.0] + [p[0] for p in points], [0.0] + [p[1] for p in points]
    if any(b <= a for a, b in zip(xs, xs[1:])) or any(b <= a for a, b in zip(ys, ys[1:])):
        return None

    def scale(t: float) -> float:
        for i in range(1, len(xs)):
            if t <= xs[i]:
                return ys[i - 1] + (t - xs[i - 1]) * (ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1])
        return t + ys[-1] - xs[-1]
    return scale


def _scales(old: AnyCheck | None, new: AnyCheck | None) -> list[Scale]:
    if old is None or new is None:
        return []
    return [s for olds, news in _seconds_pairs(old.params, new.params) if (s := _scale(olds, news)) is not None]


def _moment(value: float, scale: Scale) -> float:
    moved = max(0.0, scale(value))
    return float(math.ceil(moved)) if moved != int(moved) else moved


def _follow(example: Example, scale: Scale) -> tuple[Example, list[tuple[float, float]]] | None:
    """The example with its times moved by `scale`: (the example, [(was, now)]), or None if nothing moves."""
    moves: list[tuple[float, float]] = []
    messages = []
    for m in example.messages:
        if m.ago is not None and (moved := _moment(m.ago, scale)) != m.ago:
            moves.append((m.ago, moved))
            m = m.model_copy(update={"ago": moved})
        messages.append(m)
    update: dict[str, Any] = {"messages": messages}
    if example.draft_age is not None and (age := _moment(example.draft_age, scale)) != example.draft_age:
        moves.append((example.draft_age, age))
        update["draft_age"] = age
    return (example.model_copy(update=update), moves) if moves else None


# --- the file: examples rewritten where they stand ----------------------------------------------------------
_HEADER = re.compile(r"(?m)^[ \t]*\[")
_EXAMPLE = re.compile(r"(?m)^[ \t]*\[\[(valid|invalid)\]\]")


def _rewrite(text: str, kind: str, index: int, example: Example) -> str:
    """`text` (a rule file) with the `index`-th example of `kind` holding `example`'s times; all else as it was."""
    starts = [m for m in _EXAMPLE.finditer(text) if m.group(1) == kind]
    start = starts[index].start()
    following = _HEADER.search(text, starts[index].end())
    end = following.start() if following is not None else len(text)
    block = tomlkit.parse(text[start:end])
    table = block[kind][0]
    for i, m in enumerate(example.messages):
        if m.ago is not None:
            table["messages"][i]["ago"] = int(m.ago) if m.ago == int(m.ago) else m.ago
    if example.draft_age is not None:
        table["draft_age"] = int(example.draft_age) if example.draft_age == int(example.draft_age) \
            else example.draft_age
    return text[:start] + tomlkit.dumps(block) + text[end:]


# --- said for the supervisor ----------------------------------------------------------------------------------
def _label(kind: str, index: int, example: Example) -> str:
    said = example.note or (quote(example.draft, 70) if example.draft else "")
    if not said:
        clients = [m.text for m in example.messages if m.role == "client"]
        said = f"клиент: {quote(clients[-1], 60)}" if clients else ""
    where = LANG_RU.get(example.lang, example.lang)
    if example.channel and example.channel != DEFAULT_CHANNEL:
        where += f", {CHANNEL_RU.get(example.channel, example.channel)}"
    return f"{KIND_RU[kind].capitalize()} №{index + 1} ({where})" + (f": «{said}»" if said else "")


def _why(coach: Coach, rule: Rule, kind: str, example: Example) -> str:
    """In Russian: what the changed rule does with an example it no longer holds to."""
    # (worded for the supervisor, in Russian, whatever the example's language)
    result = coach.check(example_request(example).model_copy(update={"ui_lang": "ru"}), only=[rule.id])
    warnings = [w for w in result.warnings if w.rule == rule.id]
    if kind == "valid":
        return f"начнёт помечаться: «{quote(warnings[0].message, 140)}»" if warnings else "не выполняется"
    if not warnings:
        return "перестанет помечаться: с новыми настройками правило на нём молчит"
    if example.severity is not None and all(w.severity != example.severity for w in warnings):
        return (f"будет помечаться с другой важностью: в примере «{SEVERITY_RU[example.severity]}», "
                f"а станет «{SEVERITY_RU[warnings[0].severity]}»")
    if example.span is not None:
        return f"будет помечать не те слова, что в примере («{example.span}»)"
    return f"будет помечаться другим текстом: «{quote(warnings[0].message, 140)}»"


def _moved(moves: list[tuple[float, float]]) -> str:
    return ", ".join(f"{format_duration(a, 'ru')} → {format_duration(b, 'ru')}" for a, b in moves)


# --- the review ------------------------------------------------------------------------------------------------
def review(book: Rulebook, current: Rule, candidate: Rule, content: bytes,
           parse: Callable[[Rule, bytes], Rule]) -> Review:
    """The change `current` → `candidate` (the file `content`) and the rule's examples: see the module's
    docstring. `parse` makes the rule of a file (the same validation as the save)."""
    def coach_for(rule: Rule) -> Coach:
        merged = dict(book.rules)
        merged[rule.id] = rule
        return Coach(Rulebook(None, merged))

    now, new = coach_for(current), coach_for(candidate)
    out = Review(content=content, rule=candidate)
    text = content.decode("utf-8")
    followed = False
    for kind, examples in (("invalid", candidate.spec.invalid), ("valid", candidate.spec.valid)):
        for i, example in enumerate(examples):
            if example_problem(new, candidate, kind, example) is None:
                continue
            label = _label(kind, i, example)
            before = current.spec.invalid if kind == "invalid" else current.spec.valid
            if i < len(before) and example_problem(now, current, kind, before[i]) is not None:
                out.entries.append({"kind": kind, "index": i, "status": "failed_before",
                                    "text": f"{label} не выполнялся и до этого изменения: исправьте его в файле "
                                            "правила (coach rules check покажет его)"})
                continue
            channel = example.channel or DEFAULT_CHANNEL
            moved = None
            for scale in _scales(current.check.for_channel(channel), candidate.check.for_channel(channel)):
                attempt = _follow(example, scale)
                if attempt is not None and example_problem(new, candidate, kind, attempt[0]) is None:
                    moved = attempt
                    break
            if moved is not None:
                text = _rewrite(text, kind, i, moved[0])
                followed = True
                out.entries.append({"kind": kind, "index": i, "status": "follows",
                                    "text": f"{label}: время сдвинется вслед за порогом — {_moved(moved[1])}"})
            else:
                out.saveable = False
                out.entries.append({"kind": kind, "index": i, "status": "breaks",
                                    "text": f"{label} {_why(new, candidate, kind, example)}"})
    if followed:
        out.content = text.encode("utf-8")
        out.rule = parse(candidate, out.content)
        left = coach_for(out.rule)
        for kind, examples in (("invalid", out.rule.spec.invalid), ("valid", out.rule.spec.valid)):
            for i, example in enumerate(examples):
                if example_problem(left, out.rule, kind, example) is not None and not any(
                        e["kind"] == kind and e["index"] == i and e["status"] == "failed_before" for e in out.entries):
                    out.saveable = False  # (a moved example must hold, or the save does not happen)
    return out
