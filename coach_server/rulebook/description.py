"""A rule's description names its current thresholds through placeholders filled from the rule's `params`.

Syntax (docs/supervisor.md, "Описание с порогами"): `{path}`, where the path walks `params` as the rule file
writes it — a field `{min_letters}`, a value of a table `{max.sentences}`, a row of a list `{steps[0].after}`.
`{{` and `}}` are literal braces. A value in seconds (a field its kind's schema describes as "seconds", like
the `after` of a timer's steps) reads as a duration, worded as warnings word waits («1 мин», «30 с»); a number
as a number (60.0 → 60, 0.5 → 0,5); a switch as да/нет; a list as its items, comma-separated.

A placeholder that names nothing is a rule-file error on `description` (like every other error: the file, the
field, what is wrong), so a description never shows a threshold the rule no longer has.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from ..checks.base import format_duration

DESCRIPTION_LANG = "ru"  # descriptions are written in the supervisors' language

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*$")
_STEP = re.compile(r"\.?([A-Za-z_]\w*)|\[(\d+)\]")


class PlaceholderError(ValueError):
    """A placeholder of a description that cannot be filled: the message says which and why."""


def _pieces(text: str) -> Iterator[tuple[str, str | None]]:
    """(literal text, None) and (the placeholder as written, its path) in order; PlaceholderError on a lone
    brace."""
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            yield text[pos:match.start()], None
        token = match.group(0)
        if token in ("{{", "}}"):
            yield token[0], None
        elif token in ("{", "}"):
            raise PlaceholderError(f"a lone {token!r} at character {match.start() + 1}: a placeholder is "
                                   f"{{name}}, a brace itself is written {token * 2}")
        else:
            yield token, match.group(1).strip()
        pos = match.end()
    if pos < len(text):
        yield text[pos:], None


def _resolve(params: BaseModel, path: str) -> tuple[Any, bool]:
    """The value `path` names in `params`, and whether it is in seconds; PlaceholderError if it names nothing."""
    if not _PATH.match(path):
        raise PlaceholderError(f"{{{path}}} is not a path into params: write {{name}}, {{name.key}} or "
                               "{name[0].key}")
    value: Any = params
    seconds = False
    walked = "params"
    for match in _STEP.finditer(path):
        name, index = match.group(1), match.group(2)
        seconds = False
        if name is not None:
            if isinstance(value, BaseModel):
                fields = type(value).model_fields
                if name not in fields:
                    raise PlaceholderError(f"{{{path}}}: {walked} has no {name!r}; it has: {', '.join(fields)}")
                seconds = (fields[name].description or "").startswith("seconds")
                value = getattr(value, name)
            elif isinstance(value, dict):
                if name not in value:
                    have = ", ".join(value) or "nothing"
                    raise PlaceholderError(f"{{{path}}}: {walked} has no value for {name!r} (it has: {have})")
                value = value[name]
            else:
                raise PlaceholderError(f"{{{path}}}: {walked} is a single value, it has no {name!r}")
            walked += f".{name}"
        else:
            i = int(index)
            if not isinstance(value, list):
                raise PlaceholderError(f"{{{path}}}: {walked} is not a list of rows")
            if i >= len(value):
                raise PlaceholderError(f"{{{path}}}: {walked} has {len(value)} rows "
                                       f"({walked}[0]…{walked}[{len(value) - 1}])" if value else
                                       f"{{{path}}}: {walked} has no rows")
            value = value[i]
            walked += f"[{i}]"
    if isinstance(value, BaseModel | dict) or (isinstance(value, list) and any(
            isinstance(v, BaseModel | dict | list) for v in value)):
        raise PlaceholderError(f"{{{path}}} is a table: name one of its values, e.g. {{{path}{_first_key(value)}}}")
    return value, seconds


def _first_key(value: Any) -> str:
    """The path from a table (or a list of them) to its first value: `.after`, `[0].after`."""
    if isinstance(value, list):
        return "[0]" + (_first_key(value[0]) if value and isinstance(value[0], BaseModel | dict) else "")
    keys = list(type(value).model_fields) if isinstance(value, BaseModel) else list(value)
    return f".{keys[0]}" if keys else ".…"


def _number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def _word(value: Any, seconds: bool) -> str:
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, int | float):
        return format_duration(value, DESCRIPTION_LANG) if seconds else _number(value)
    if isinstance(value, list):
        return ", ".join(_word(v, seconds) for v in value)
    return "" if value is None else str(value)


def problems(text: str, params: BaseModel) -> list[str]:
    """What is wrong with the placeholders of `text` for these params (empty: every one can be filled)."""
    found: list[str] = []
    try:
        for _, path in _pieces(text):
            if path is not None:
                try:
                    _resolve(params, path)
                except PlaceholderError as exc:
                    found.append(str(exc))
    except PlaceholderError as exc:
        found.append(str(exc))
    return found


def fill(text: str, params: BaseModel) -> str:
    """The description as readers see it: every placeholder replaced by the value it names now. (One that
    cannot be filled — a rule file is validated before it loads, so only in a half-typed edit — stays as
    written.)"""
    if "{" not in text and "}" not in text:
        return text
    try:
        pieces = list(_pieces(text))
    except PlaceholderError:
        return text
    out = []
    for literal, path in pieces:
        if path is None:
            out.append(literal)
            continue
        try:
            out.append(_word(*_resolve(params, path)))
        except PlaceholderError:
            out.append(literal)
    return "".join(out)
