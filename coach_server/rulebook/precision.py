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

**A team's own verdicts** (its supervisors judge warnings on its chats, docs/supervisor.md) update that figure:
once the team agrees on ≥ 10 warnings of a rule and trigger (both languages), the figure is the project's counts
plus the team's — the project's measure is the prior, the team's verdicts the evidence (a Beta prior from the
project's labels, updated by the team's) — and its confidence the Wilson lower bound of the sum, as before.
Dismissals never enter it: they say what operators disliked, not whether the warning was wrong.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

FORMAT = 1
OWN_LANG_LABELS = 20  # a rule and trigger in one language speaks for itself from this many labels
OWN_TRIGGER_LABELS = 10  # a trigger (languages pooled) speaks for itself from this many
RULE_LANG_LABELS = 20  # a rule in one language (triggers pooled) from this many
FIX_LABELS = 10  # fixes of a rule and trigger measured at least this often…
FIX_TARGET = 0.95  # …and right this often are offered
TEAM_DECIDES = 10  # a team's agreed verdicts on a rule and trigger from which the team's own figure is used
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
    """What a confidence rests on: the level of the figure used and its counts. With the team's own verdicts
    deciding (level "team"), `count` is `prior` (the project's figure, at `prior_level`) plus `team`."""

    level: str  # "team", "rule+trigger+lang", "rule+trigger", "rule+lang", "rule", or "unmeasured"
    count: Count
    team: Count = Count()  # the team's agreed verdicts on this rule and trigger (both languages), deciding or not
    prior: Count | None = None  # "team": the project's counts it starts from
    prior_level: str = ""  # "team": the level of the project's figure

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
    team: Mapping[tuple[str, str], Count] = field(default_factory=dict)  # (rule, trigger) → the team's agreed verdicts
    _bases: dict[tuple[str, str, str], Basis] = field(default_factory=dict, repr=False)

    def with_team(self, team: Mapping[tuple[str, str], Count]) -> PrecisionTable:
        """The same project figures with this team's verdicts (a table of its own: the one in force is never
        changed under a check that reads it)."""
        return replace(self, team=dict(team), _bases={})

    def basis(self, rule: str, trigger: str, lang: str, *, pool_langs: bool = False) -> Basis:
        """What a warning's confidence rests on. `pool_langs`: the check decides the same way in every
        language (a timer): its languages are one figure."""
        key = (rule, trigger, "*" if pool_langs else lang)
        found = self._bases.get(key)
        if found is None:
            found = self._bases[key] = self._basis(rule, trigger, lang, pool_langs)
        return found

    def _basis(self, rule: str, trigger: str, lang: str, pool_langs: bool) -> Basis:
        project = self._project_basis(rule, trigger, lang, pool_langs)
        team = self.team.get((rule, trigger))
        if team is None or not team.n:
            return project
        if team.n < TEAM_DECIDES:
            return replace(project, team=team)
        prior = project.count if project.level != "unmeasured" else Count()
        return Basis("team", prior + team, team=team, prior=prior, prior_level=project.level)

    def _project_basis(self, rule: str, trigger: str, lang: str, pool_langs: bool) -> Basis:
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

    def team_count(self, rule: str) -> Count:
        return _total(c for (r, _), c in self.team.items() if r == rule)

    def triggers(self, rule: str) -> list[str]:
        """The ways the rule fired that anyone judged: the project's labellers or the team."""
        return sorted({t for (r, t, _) in self.warnings if r == rule} | {t for (r, t) in self.team if r == rule})

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


# --- a team's verdicts ------------------------------------------------------------------------------------------
# One supervisor's verdict on one warning: (the warning's item key, who, rule, trigger, lang, "correct" | "wrong").
VerdictRow = tuple[str, str, str, str, str, str]


@dataclass(frozen=True)
class TeamCounts:
    """A team's verdicts as the engine uses them: per rule and trigger, the warnings its supervisors agree on
    (judged by one, or by several who all said the same); `disagreed` items count for neither side."""

    counts: Mapping[tuple[str, str], Count] = field(default_factory=dict)
    verdicts: int = 0  # verdicts given in all (every supervisor's)
    disagreed: int = 0  # items whose supervisors differ: left out
    revision: int | None = None  # the store's counter of verdict changes, where the counts were read from one

    @property
    def digest(self) -> str:
        """Names the counts (not the revision): the same figures on every node give the same digest."""
        h = hashlib.sha256()
        for (rule, trigger), c in sorted(self.counts.items()):
            h.update(f"{rule}\0{trigger}\0{c.correct}\0{c.wrong}\n".encode())
        h.update(f"{self.verdicts}/{self.disagreed}".encode())
        return h.hexdigest()[:16]

    @classmethod
    def of(cls, rows: Iterable[VerdictRow], revision: int | None = None) -> TeamCounts:
        by_item: dict[str, list[VerdictRow]] = defaultdict(list)
        total = 0
        for row in rows:
            by_item[row[0]].append(row)
            total += 1
        counts: dict[tuple[str, str], Count] = {}
        disagreed = 0
        for item_rows in by_item.values():
            verdicts = {r[5] for r in item_rows}
            if len(verdicts) != 1:
                disagreed += 1
                continue
            _, _, rule, trigger, _, verdict = item_rows[0]
            key = (rule, trigger)
            counts[key] = counts.get(key, Count()) + (Count(1, 0) if verdict == "correct" else Count(0, 1))
        return cls(counts, total, disagreed, revision)

    def to_json(self) -> dict[str, Any]:
        rules: dict[str, dict[str, list[int]]] = {}
        for (rule, trigger), c in sorted(self.counts.items()):
            rules.setdefault(rule, {})[trigger] = [c.correct, c.wrong]
        return {"format": FORMAT, "digest": self.digest, "verdicts": self.verdicts, "disagreed": self.disagreed,
                "revision": self.revision, "rules": rules}

    @classmethod
    def from_json(cls, data: Any, where: str = "team figures") -> TeamCounts:
        """The counts a team node sends its followers; ValueError naming the field at fault."""
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("rules"), dict):
            raise ValueError(f"{where}: not the team's figures of format {FORMAT}")
        counts: dict[tuple[str, str], Count] = {}
        for rule, triggers in data["rules"].items():
            if not isinstance(triggers, dict):
                raise ValueError(f"{where}: rules.{str(rule)[:60]}: expected trigger → [correct, wrong]")
            for trigger, pair in triggers.items():
                counts[(str(rule), str(trigger))] = _count(pair, f"{where}: rules.{str(rule)[:60]}.{str(trigger)[:60]}")
        numbers = [data.get(k, 0) for k in ("verdicts", "disagreed")]
        if not all(type(n) is int and n >= 0 for n in numbers):
            raise ValueError(f"{where}: verdicts, disagreed: expected counts")
        revision = data.get("revision")
        if revision is not None and type(revision) is not int:
            raise ValueError(f"{where}: revision: expected a whole number or null")
        found = cls(counts, numbers[0], numbers[1], revision)
        if "digest" in data and data["digest"] != found.digest:
            raise ValueError(f"{where}: the counts do not match their digest")
        return found


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
