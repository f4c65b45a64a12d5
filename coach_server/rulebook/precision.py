"""How often each rule's warnings are right: the measured precision every warning's `confidence` comes from.

The figures are counts of blind, double-labelled verdicts on the **sealed** part of real chats
(docs/quality.md): per rule, per trigger (the path of the check that fired) and per language, how many
warnings both labellers judged right and how many both judged wrong; and, for the warnings that offered a
fix, how many fixes gave a correct message. `coach quality calibrate` writes them to `quality/precision.json`.

A warning's confidence is the Wilson 95 % lower bound of the most specific figure that has enough labels to
say something — its rule, trigger and language (≥ 20 labels); else its rule and trigger, pooled over the
languages and channels where the check does the same thing (≥ 10); else its rule in its language (≥ 20); else
its rule as a whole. A check that decides the same way in every language (a timer, a copy) is never split by
language: its languages are pooled from the start. A rule nobody measured has no confidence (null), and is quiet. A fix is offered only
where fixes of that rule and trigger were measured right at least 95 % of the time over ≥ 10 labels.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
OWN_LANG_LABELS = 20  # a rule and trigger in one language speaks for itself from this many labels
OWN_TRIGGER_LABELS = 10  # a trigger (languages pooled) speaks for itself from this many
RULE_LANG_LABELS = 20  # a rule in one language (triggers pooled) from this many
FIX_LABELS = 10  # fixes of a rule and trigger measured at least this often…
FIX_TARGET = 0.95  # …and right this often are offered
# The default min_confidence: warnings whose confidence is under it are quiet. 0.8 is the bar a rule shown by
# default must clear (a Wilson lower bound of 80 %, which at the sealed sample's sizes means at least ~92 % right);
# 0.9 as a lower bound would need ≥ 35 unanimous labels per rule, more than most rules fire on the sealed part.
DEFAULT_FLOOR = 0.8


def default_floor() -> float:
    """$COACH_MIN_CONFIDENCE when set (0 turns the calibration off), else DEFAULT_FLOOR."""
    raw = os.environ.get("COACH_MIN_CONFIDENCE", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_FLOOR
    except ValueError:
        return DEFAULT_FLOOR
    return value if 0.0 <= value <= 1.0 else DEFAULT_FLOOR


def wilson_low(correct: int, n: int, z: float = 1.96) -> float | None:
    """The Wilson score interval's lower bound: how low the true share may be, given `n` labels."""
    if n <= 0:
        return None
    p = correct / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z * z / n))


@dataclass(frozen=True)
class Count:
    """Agreed verdicts: right and wrong."""

    correct: int = 0
    wrong: int = 0

    @property
    def n(self) -> int:
        return self.correct + self.wrong

    @property
    def precision(self) -> float | None:
        return self.correct / self.n if self.n else None

    @property
    def low(self) -> float | None:
        return wilson_low(self.correct, self.n)

    def __add__(self, other: Count) -> Count:
        return Count(self.correct + other.correct, self.wrong + other.wrong)


@dataclass(frozen=True)
class Basis:
    """What a confidence rests on: the level of the figure used and its counts."""

    level: str  # "rule+trigger+lang", "rule+trigger", "rule+lang", "rule", or "unmeasured"
    count: Count

    @property
    def confidence(self) -> float | None:
        return None if self.level == "unmeasured" else self.count.low


def _total(counts: Any) -> Count:
    total = Count()
    for c in counts:
        total = total + c
    return total


@dataclass
class PrecisionTable:
    """The measured figures: (rule, trigger, lang) → Count, and (rule, trigger) → Count of fixes."""

    warnings: dict[tuple[str, str, str], Count] = field(default_factory=dict)
    fixes: dict[tuple[str, str], Count] = field(default_factory=dict)
    categories: dict[str, dict[str, int]] = field(default_factory=dict)  # rule → why its wrong warnings were wrong
    source: str = ""  # where the figures come from, for /healthz and the supervisor page
    measured: str = ""  # when
    _bases: dict[tuple[str, str, str], Basis] = field(default_factory=dict, repr=False)

    def basis(self, rule: str, trigger: str, lang: str, *, pool_langs: bool = False) -> Basis:
        """What a warning's confidence rests on. `pool_langs`: the check decides the same way in every
        language (a timer): its languages are one figure."""
        key = (rule, trigger, "*" if pool_langs else lang)
        found = self._bases.get(key)
        if found is None:
            found = self._bases[key] = self._basis(rule, trigger, lang, pool_langs)
        return found

    def _basis(self, rule: str, trigger: str, lang: str, pool_langs: bool) -> Basis:
        own = self.warnings.get((rule, trigger, lang), Count())
        if own.n >= OWN_LANG_LABELS and not pool_langs:
            return Basis("rule+trigger+lang", own)
        trig = _total(c for (r, t, _), c in self.warnings.items() if r == rule and t == trigger)
        if trig.n >= OWN_TRIGGER_LABELS:
            return Basis("rule+trigger", trig)
        in_lang = _total(c for (r, _, lg), c in self.warnings.items() if r == rule and lg == lang)
        if in_lang.n >= RULE_LANG_LABELS and not pool_langs:
            return Basis("rule+lang", in_lang)
        whole = self.rule_count(rule)
        return Basis("rule", whole) if whole.n else Basis("unmeasured", whole)

    def confidence(self, rule: str, trigger: str, lang: str, *, pool_langs: bool = False) -> float | None:
        low = self.basis(rule, trigger, lang, pool_langs=pool_langs).confidence
        return None if low is None else round(low, 3)

    def rule_count(self, rule: str) -> Count:
        return _total(c for (r, _, _), c in self.warnings.items() if r == rule)

    def fix_offered(self, rule: str, trigger: str) -> bool:
        fixes = self.fixes.get((rule, trigger), Count())
        return fixes.n >= FIX_LABELS and (fixes.precision or 0.0) >= FIX_TARGET

    def triggers(self, rule: str) -> list[str]:
        return sorted({t for (r, t, _) in self.warnings if r == rule})

    # --- the file ------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        rules: dict[str, Any] = {}
        for (rule, trigger, lang), c in sorted(self.warnings.items()):
            entry = rules.setdefault(rule, {"warnings": {}, "fixes": {}})
            entry["warnings"].setdefault(trigger, {})[lang] = [c.correct, c.wrong]
        for (rule, trigger), c in sorted(self.fixes.items()):
            rules.setdefault(rule, {"warnings": {}, "fixes": {}})["fixes"][trigger] = [c.correct, c.wrong]
        for rule, cats in sorted(self.categories.items()):
            rules.setdefault(rule, {"warnings": {}, "fixes": {}})["wrong_because"] = dict(sorted(cats.items()))
        return {"format": FORMAT, "measured": self.measured, "source": self.source, "rules": rules}

    @classmethod
    def from_json(cls, data: Any, where: str = "precision file") -> PrecisionTable:
        """Parse the file's JSON; ValueError naming the field at fault."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{where}: not a precision file of format {FORMAT}")
        rules = data.get("rules")
        if not isinstance(rules, dict):
            raise ValueError(f"{where}: rules: expected an object")
        table = cls(source=str(data.get("source", "")), measured=str(data.get("measured", "")))
        for rule, entry in rules.items():
            if not isinstance(entry, dict):
                raise ValueError(f"{where}: rules.{rule}: expected an object")
            for trigger, langs in (entry.get("warnings") or {}).items():
                if not isinstance(langs, dict):
                    raise ValueError(f"{where}: rules.{rule}.warnings.{trigger}: expected an object of languages")
                for lang, pair in langs.items():
                    table.warnings[(rule, trigger, lang)] = _count(pair, f"{where}: rules.{rule}.warnings.{trigger}.{lang}")
            for trigger, pair in (entry.get("fixes") or {}).items():
                table.fixes[(rule, trigger)] = _count(pair, f"{where}: rules.{rule}.fixes.{trigger}")
            cats = entry.get("wrong_because") or {}
            if not isinstance(cats, dict) or not all(type(n) is int and n >= 0 for n in cats.values()):
                raise ValueError(f"{where}: rules.{rule}.wrong_because: expected category → count")
            if cats:
                table.categories[rule] = dict(cats)
        return table


def _count(pair: Any, where: str) -> Count:
    if (not isinstance(pair, list) or len(pair) != 2
            or not all(type(v) is int and v >= 0 for v in pair)):
        raise ValueError(f"{where}: expected [correct, wrong], two counts")
    return Count(pair[0], pair[1])


def default_precision_file() -> Path:
    """$COACH_PRECISION, else the project's `quality/precision.json` beside the package."""
    env = os.environ.get("COACH_PRECISION")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "quality" / "precision.json"


def load_precision(path: Path | None = None) -> tuple[PrecisionTable, str | None]:
    """The table at `path` (default: the project's), and an error when it cannot be read — then the table is
    empty, every warning is unmeasured and quiet unless a supervisor shows its rule regardless."""
    path = path or default_precision_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        table = PrecisionTable.from_json(data, path.name)
    except FileNotFoundError:
        return PrecisionTable(), f"{path.name}: not found; every warning is unmeasured (quiet)"
    except (OSError, ValueError) as exc:
        return PrecisionTable(), f"{exc}; every warning is unmeasured (quiet)"
    table.source = table.source or path.name
    return table, None
