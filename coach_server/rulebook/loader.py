"""Reading `rules/`: one TOML file per rule, the id is the file name.

TOML rather than YAML: Python reads it without a dependency (`tomllib`), its errors carry line and column,
and it has no implicit typing — in YAML a word list holding `no`, `on` or `yes` silently turns those words
into booleans, which is exactly the kind of list this project keeps.

Loading never gives up on the whole set: each file is validated on its own, every problem is reported with
the file, the field and what is wrong, and a file that breaks on reload keeps its last good version active.
"""
from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..checks import KINDS
from ..checks.base import AnyCheck, template_fields
from ..models import Severity, validation_details
from .description import fill as fill_description
from .description import problems as description_problems
from .ruleset import RuleSet, UnusableVersion, file_digest, rule_files
from .schema import LANGS, RuleFile

M = TypeVar("M", bound=BaseModel)

RULE_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class RuleError:
    file: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.problem}"

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "field": self.field, "problem": self.problem}


class RuleFileInvalid(Exception):
    def __init__(self, errors: list[RuleError]):
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


@dataclass
class Rule:
    id: str
    path: Path
    digest: str  # sha256 of the file's bytes: tells a changed file from an unchanged one
    spec: RuleFile
    check: AnyCheck
    stale: bool = False  # the file is broken now; this is its last good version
    raw: bytes = b""  # the file's bytes as loaded (the last good version's, when stale)

    @property
    def enabled(self) -> bool:
        """On in some channel: the rule's own `enabled`, or a channel that switches it on."""
        return self.spec.enabled or any(c.enabled for c in self.spec.channels.values())

    @property
    def description(self) -> str:
        """The description as readers see it: its placeholders filled from the rule's params (description.py)."""
        return fill_description(self.spec.description.strip(), self.check.params)

    def description_in(self, channel: str) -> str | None:
        """The description with the thresholds of `channel` filled in, or None when the rule is off there."""
        check = self.check.for_channel(channel)
        return None if check is None else fill_description(self.spec.description.strip(), check.params)

    def traits(self) -> dict[str, bool | str]:
        """What a client may want to know of the rule's kind: does it read the conversation, the clock; how far
        past its words what is typed next may change its remark (checks/base.py `typing_reach`)."""
        return {"needs_conversation": self.check.needs_conversation, "timed": self.check.timed,
                "reach": self.check.reach()}


@dataclass(frozen=True)
class Rulebook:
    """The rules as loaded, never changed afterwards: a reload makes a new book."""

    directory: Path | None
    rules: Mapping[str, Rule] = field(default_factory=dict)
    errors: list[RuleError] = field(default_factory=list)
    ruleset: RuleSet | None = None  # the stored version the book was loaded from (None: a directory)

    @cached_property
    def active(self) -> list[Rule]:
        """The enabled rules (worked out once: the book does not change after loading)."""
        return [r for r in self.rules.values() if r.enabled]

    @cached_property
    def titles(self) -> dict[str, str]:
        """Rule id → its title, for every report that names rules."""
        return {rule_id: rule.spec.title for rule_id, rule in self.rules.items()}

    def title(self, rule_id: str) -> str:
        """The rule's title, or its id when the book has no such rule (any more)."""
        return self.titles.get(rule_id, rule_id)

    def changed_since(self, before: Rulebook) -> frozenset[str]:
        """The ids of the rules added, removed or edited since `before` (a broken edit is no change: the
        last good version stays)."""
        ids = set(self.rules) | set(before.rules)
        return frozenset(i for i in ids if (i in self.rules) != (i in before.rules)
                         or (i in self.rules and self.rules[i].digest != before.rules[i].digest))

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for rule_id, rule in sorted(self.rules.items()):
            h.update(rule_id.encode())
            h.update(rule.digest.encode())
        return h.hexdigest()[:16]

    @cached_property
    def loaded_files(self) -> RuleSet:
        """The files of the rules in force (a broken file's last good version): what this book enforces, as
        a rule set, with the stored version's number and author when it is exactly that version."""
        files = {rule.path.name: rule.raw for rule in self.rules.values()}
        loaded = RuleSet(files)
        source = self.ruleset
        if source is not None and source.digest == loaded.digest:
            return source
        return loaded


def _errors_from(exc: ValidationError, file: str, prefix: tuple[str | int, ...] = ()) -> list[RuleError]:
    return [RuleError(file, d.field, d.problem) for d in validation_details(exc, prefix)]


def _validate_part(model: type[M], data: Any, file: str, where: str, errors: list[RuleError]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors.extend(_errors_from(exc, file, (where,)))
        return None


MAX_RULE_FILE_BYTES = 4 << 20  # a word list of a hundred thousand entries fits; a runaway file does not


def parse_rule(rule_id: str, raw: bytes, file: str) -> tuple[RuleFile, AnyCheck]:
    """Validate one rule file's bytes; raise RuleFileInvalid listing every problem. Whatever the bytes hold —
    TOML nested 800 deep, a quantifier no engine takes — the outcome is that: one file's errors, never an
    exception of another kind (a watcher, `coach rules check` and the supervisor's routes all rely on it)."""
    try:
        return _parse_rule(rule_id, raw, file)
    except RuleFileInvalid:
        raise
    except RecursionError:
        raise RuleFileInvalid([RuleError(file, "(syntax)", "nested too deeply (arrays or tables inside one "
                                                           "another hundreds of levels deep)")]) from None
    except MemoryError:
        raise RuleFileInvalid([RuleError(file, "(file)", "too large to load")]) from None
    except Exception as exc:  # a value no check kind foresaw: this file's error, not the service's
        raise RuleFileInvalid([RuleError(file, "(rule)", f"cannot be loaded: {type(exc).__name__}: "
                                                         f"{str(exc)[:200]}")]) from None


def _parse_rule(rule_id: str, raw: bytes, file: str) -> tuple[RuleFile, AnyCheck]:
    if len(raw) > MAX_RULE_FILE_BYTES:
        raise RuleFileInvalid([RuleError(file, "(file)", f"{len(raw)} bytes; a rule file may hold at most "
                                                         f"{MAX_RULE_FILE_BYTES >> 20} MiB")])
    if not RULE_ID_RE.match(rule_id):
        raise RuleFileInvalid([RuleError(file, "(file name)", "a rule id is lower-case latin letters, digits "
                                                              "and _ and starts with a letter")])
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RuleFileInvalid([RuleError(file, "(encoding)", f"not UTF-8 text: {exc.reason} at byte {exc.start}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileInvalid([RuleError(file, "(syntax)", f"not valid TOML: {exc}")]) from None
    try:
        spec = RuleFile.model_validate(data)
    except ValidationError as exc:
        raise RuleFileInvalid(_errors_from(exc, file)) from None
    kind = KINDS.get(spec.kind)
    if kind is None:
        raise RuleFileInvalid([RuleError(file, "kind", f"unknown kind {spec.kind!r}; known kinds: "
                                                       + ", ".join(sorted(KINDS)))])
    errors: list[RuleError] = []
    params, langs = _validate_settings(kind, spec.params, {lang: getattr(spec, lang) for lang in LANGS}, file, "",
                                       errors)
    if params is not None:
        errors.extend(RuleError(file, "description", p) for p in description_problems(spec.description, params))
    # a channel's own settings make a check of its own; channels not named share the rule's check
    variants: dict[str, tuple[Severity, Any, dict[str, Any]] | None] = {}
    if params is not None and len(langs) == len(LANGS):
        for channel, settings in spec.channels.items():
            if settings.enabled is False:
                variants[channel] = None
                continue
            own = {lang: {**getattr(spec, lang), **getattr(settings, lang)} for lang in LANGS}
            c_params, c_langs = _validate_settings(kind, {**spec.params, **settings.params}, own, file,
                                                   f"channels.{channel}.", errors)
            if c_params is not None and len(c_langs) == len(LANGS):
                variants[channel] = (settings.severity or spec.severity, c_params, c_langs)
    if errors:
        raise RuleFileInvalid(errors)
    try:
        check = kind(rule_id, spec.severity, params, langs)
        check.channels = {channel: None if v is None else kind(rule_id, v[0], v[1], v[2])
                          for channel, v in variants.items()}
        check.enabled = spec.enabled
    except ValueError as exc:  # a pattern that does not compile, a word list that makes no sense
        raise RuleFileInvalid([RuleError(file, getattr(exc, "field", "(rule)"), str(exc))]) from None
    return spec, check


def _validate_settings(kind: type[AnyCheck], params_data: dict[str, Any], lang_data: dict[str, dict[str, Any]], file: str,
                       prefix: str, errors: list[RuleError]) -> tuple[Any, dict[str, Any]]:
    """Validate a rule's params and language sections (or a channel's merged ones, under `prefix`)."""
    params = _validate_part(kind.Params, params_data, file, prefix + "params", errors)
    langs = {}
    for lang in LANGS:
        section = _validate_part(kind.Lang, lang_data[lang], file, prefix + lang, errors)
        if section is None:
            continue
        langs[lang] = section
        for name, value in section:
            if isinstance(value, str) and (name == "message" or name.startswith("message_")):
                _check_template(value, kind, file, f"{prefix}{lang}.{name}", errors)
            elif isinstance(value, dict) and name == "messages":
                for key, text in value.items():
                    if isinstance(text, str):
                        _check_template(text, kind, file, f"{prefix}{lang}.{name}.{key}", errors)
    if params is not None and len(langs) == len(LANGS):
        for path, problem in kind.validate_langs(langs) + kind.validate_params(params):
            errors.append(RuleError(file, prefix + path, problem))
    return params, langs


def _check_template(text: str, kind: type[AnyCheck], file: str, where: str, errors: list[RuleError]) -> None:
    try:
        names = template_fields(text)
    except ValueError as exc:
        errors.append(RuleError(file, where, f"bad message template: {exc}"))
        return
    unknown = names - kind.placeholders
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in sorted(kind.placeholders)) or "none"
        errors.append(RuleError(file, where, f"unknown placeholder {', '.join('{' + u + '}' for u in sorted(unknown))}"
                                             f"; this kind offers: {allowed}"))


def load_rulebook(directory: Path, previous: Rulebook | None = None) -> Rulebook:
    """Load every rule file; a broken file is reported and, if it loaded before, keeps its last good version.
    So does a file that is gone, and every rule when the whole directory is (moved, unmounted): rules never
    vanish from a running service without a word — the error says what is missing, the last good version
    stays active (`stale`) until the file is back or the service restarts."""
    rules: dict[str, Rule] = {}
    errors: list[RuleError] = []
    old = previous.rules if previous is not None else {}
    if not directory.is_dir():
        problem = "rules directory not found"
        if old:
            problem += f"; the last good version of its {len(old)} rules stays active"
        return Rulebook(directory, {rule_id: _stale(rule) for rule_id, rule in old.items()},
                        [RuleError(str(directory), "(directory)", problem)])
    for path in rule_files(directory):
        rule_id = path.stem
        try:
            raw = path.read_bytes()
        except OSError as exc:
            errors.append(RuleError(path.name, "(file)", f"cannot read: {exc.strerror}"))
            if rule_id in old:
                rules[rule_id] = _stale(old[rule_id])
            continue
        _load_file(rule_id, path, raw, old.get(rule_id), rules, errors)
    for rule_id, rule in old.items():
        if rule_id not in rules:  # its file is no longer there
            errors.append(RuleError(rule.path.name, "(file)", "the file is gone; its last good version stays active "
                                                             "until it is back or the service restarts (to turn a "
                                                             "rule off, set enabled = false)"))
            rules[rule_id] = _stale(rule)
    return Rulebook(directory, rules, errors)


def load_ruleset(ruleset: RuleSet, previous: Rulebook | None = None) -> Rulebook:
    """Load a stored version of the rule files, as `load_rulebook` loads a directory: each file on its own,
    a broken one keeping its last good version from `previous` (a version written by a newer Operator Coach
    may hold a kind this one does not know)."""
    rules: dict[str, Rule] = {}
    errors: list[RuleError] = []
    old = previous.rules if previous is not None else {}
    for name, raw in sorted(ruleset.files.items()):
        rule_id = name.removesuffix(".toml")
        _load_file(rule_id, Path(name), raw, old.get(rule_id), rules, errors)
    return Rulebook(None, rules, errors, ruleset)


def check_version(ruleset: RuleSet) -> None:
    """Refuse (UnusableVersion) a stored version whose files do not all load, or that holds none: what a
    rollback would restore is checked as a push is."""
    book = load_ruleset(ruleset)
    problems = [str(e) for e in book.errors] or ([] if book.rules else ["it holds no rule files"])
    if problems:
        raise UnusableVersion(ruleset.version or 0, problems)


def _load_file(rule_id: str, path: Path, raw: bytes, previous_rule: Rule | None, rules: dict[str, Rule],
               errors: list[RuleError]) -> None:
    """Parse one rule file into `rules` (unchanged: its compiled check is kept); its problems go to `errors`."""
    digest = file_digest(raw)
    if previous_rule is not None and previous_rule.digest == digest and not previous_rule.stale:
        rules[rule_id] = previous_rule if previous_rule.path == path else Rule(
            rule_id, path, digest, previous_rule.spec, previous_rule.check, raw=raw)
        return
    try:
        spec, check = parse_rule(rule_id, raw, path.name)
    except RuleFileInvalid as exc:
        errors.extend(exc.errors)
        if previous_rule is not None:
            rules[rule_id] = _stale(previous_rule)
        return
    rules[rule_id] = Rule(rule_id, path, digest, spec, check, raw=raw)


def _stale(rule: Rule) -> Rule:
    return Rule(rule.id, rule.path, rule.digest, rule.spec, rule.check, stale=True, raw=rule.raw)


def directory_signature(directory: Path) -> tuple[object, ...]:
    """A cheap fingerprint of the rules directory (names, sizes, mtimes) to notice edits without reading."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return ("missing",)
    sig = []
    for entry in entries:
        if entry.name.endswith(".toml"):
            try:
                st = entry.stat()
            except OSError:
                continue
            sig.append((entry.name, st.st_size, st.st_mtime_ns))
    return tuple(sig)


def default_rules_dir() -> Path:
    """$COACH_RULES, else the project's `rules/` beside the package (the checkout it is installed from)."""
    env = os.environ.get("COACH_RULES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "rules"
