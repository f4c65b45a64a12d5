"""The form in the page's language: a Russian name for every field of every rule kind, and a Russian line
under it.

The kinds' pydantic models name and describe their fields in English (for docs/rules.md and the API); the
supervisor's form is Russian, so its hints come from `hints_ru.toml` — `[common]` for the fields every kind's
language sections have (message, suggestion), `[<kind>]` for the kind's own params and word lists — and the
fields' names from `labels_ru.toml` (a field means the same in every kind). `tests/test_supervisor_hints.py`
fails when a field has no hint or no name, or a hint no field.
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import get_args

from pydantic import BaseModel

from ...checks import KINDS

HINTS_FILE = Path(__file__).parent / "hints_ru.toml"
LABELS_FILE = Path(__file__).parent / "labels_ru.toml"


@cache
def _table() -> dict[str, dict[str, str]]:
    with HINTS_FILE.open("rb") as f:
        return tomllib.load(f)


def hints(kind: str) -> dict[str, dict[str, str]]:
    """{"params": {field: hint}, "lang": {field: hint}} for the form of a rule of this kind."""
    check = KINDS[kind]
    table = _table()
    own = {**table.get("common", {}), **table.get(kind, {})}
    return {"params": {f: own[f] for f in check.Params.model_fields if f in own},
            "lang": {f: own[f] for f in check.Lang.model_fields if f in own}}


@cache
def _labels() -> dict[str, str]:
    with LABELS_FILE.open("rb") as f:
        return tomllib.load(f)


def _field_names(model: type[BaseModel]) -> list[str]:
    """A model's fields, and the fields of the rows of its lists (a timer's steps: after, severity)."""
    names = []
    for name, info in model.model_fields.items():
        names.append(name)
        for arg in get_args(info.annotation) or (info.annotation,):
            inner = get_args(arg)
            for row in inner or (arg,):
                if isinstance(row, type) and issubclass(row, BaseModel):
                    names += _field_names(row)
    return names


def labels(kind: str) -> dict[str, str]:
    """{field: its Russian name} for every field of a rule of this kind (rows of lists included)."""
    check = KINDS[kind]
    table = _labels()
    return {f: table[f] for f in _field_names(check.Params) + _field_names(check.Lang) if f in table}


def missing_labels() -> list[str]:
    """`kind.field` for every field of every kind without a Russian name."""
    out = []
    for kind, check in KINDS.items():
        given = labels(kind)
        out += [f"{kind}.{f}" for f in _field_names(check.Params) + _field_names(check.Lang) if f not in given]
    return out


def missing() -> list[str]:
    """`kind.field` for every field of every kind without a Russian hint."""
    out = []
    for kind, check in KINDS.items():
        given = hints(kind)
        for section, model in (("params", check.Params), ("lang", check.Lang)):
            out += [f"{kind}.{field}" for field in model.model_fields if field not in given[section]]
    return out


def unused() -> list[str]:
    """`kind.field` for every hint whose field no kind has (renamed or removed)."""
    table = _table()
    out = [f"(kind) {kind}" for kind in table if kind != "common" and kind not in KINDS]
    for kind, fields in table.items():
        if kind == "common":
            out += [f"common.{f}" for f in fields if not any(f in c.Lang.model_fields for c in KINDS.values())]
        elif kind in KINDS:
            check = KINDS[kind]
            out += [f"{kind}.{f}" for f in fields if f not in check.Params.model_fields and f not in check.Lang.model_fields]
    return out
