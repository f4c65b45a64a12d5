"""Editing a rule file from the supervisor's form: values in, the same file out with only those values changed.

The form is generated from the rule kind's own pydantic models (`Params`, `Lang`): `rule_document` sends
their JSON schema and the rule's current values. An edit comes back as plain values; `apply_edit` writes
them into the file with tomlkit, so comments, key order and the layout of everything else stay as the
supervisor (or a developer) left them. The result is validated by the very function that loads rule files
(`parse_rule`), so the form shows exactly the errors `coach rules check` would.
"""
from __future__ import annotations

import math
import re
from typing import Any

import tomlkit
from pydantic import BaseModel
from tomlkit.items import AoT, Array, InlineTable, Table

from ...checks import KINDS
from ...engine import Coach
from ...models import CHANNELS, DEFAULT_CHANNEL
from ...rulebook.description import fill as fill_description
from ...rulebook.examples import run_examples
from ...rulebook.loader import Rule, Rulebook, RuleError, RuleFileInvalid, parse_rule
from ...rulebook.ruleset import file_digest, text_diff
from ...rulebook.schema import LANGS, RuleFile
from .examples import review
from .hints import hints, labels
from .russian import with_russian

COMMON_FIELDS = ("enabled", "severity", "title", "description", "show", "min_confidence")
# what an edit carries beside the file's values: the version it was made from, and why (for the history)
EDIT_META = ("base_digest", "reason")
SECTIONS = ("params", *LANGS)
# the channels a rule may have norms of its own in (a chat's are the rule's own params: models.CHANNELS)
OTHER_CHANNELS = tuple(c for c in CHANNELS if c != DEFAULT_CHANNEL)


class EditError(ValueError):
    """An edit that cannot even be applied (not values of the right shape)."""

    def __init__(self, errors: list[RuleError]):
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


def rule_document(rule: Rule, precision: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the supervisor's form needs for one rule: values, their schema, where they live, and what
    is measured of its precision (`Coach.precision_of`)."""
    kind = KINDS[rule.spec.kind]
    check = rule.check
    return {
        "id": rule.id,
        "file": rule.path.name,
        "kind": rule.spec.kind,
        "title": rule.spec.title,
        "description": rule.spec.description.strip(),  # as written, placeholders and all: the form edits it
        "description_text": rule.description,  # as readers see it, the thresholds filled in
        "severity": rule.spec.severity,
        "enabled": rule.spec.enabled,
        "show": rule.spec.show,
        "min_confidence": rule.spec.min_confidence,
        "precision": precision,
        "stale": rule.stale,
        "digest": rule.digest,
        "values": {
            "params": check.params.model_dump(mode="json"),
            **{lang: check.langs[lang].model_dump(mode="json") for lang in LANGS},
        },
        "schema": {"params": kind.Params.model_json_schema(), "lang": kind.Lang.model_json_schema()},
        "hints": hints(rule.spec.kind),  # the form's Russian line under each field (the schema's are English)
        "labels": labels(rule.spec.kind),  # …and each field's Russian name
        "placeholders": sorted(kind.placeholders),
        "examples": {"valid": len(rule.spec.valid), "invalid": len(rule.spec.invalid)},
        "channels": channel_document(rule),
    }


def channel_document(rule: Rule) -> dict[str, Any]:
    """Per channel other than a chat: what the file sets for it (`enabled`, `severity`, `params` — the values it
    overrides), and how the rule reads there (`description_text`, or null when it is off in that channel)."""
    out: dict[str, Any] = {}
    for channel in OTHER_CHANNELS:
        own = rule.spec.channels.get(channel)  # type: ignore[call-overload]
        check = rule.check.for_channel(channel)
        out[channel] = {
            "enabled": own.enabled if own is not None else None,
            "severity": own.severity if own is not None else None,
            "params": dict(own.params) if own is not None else {},
            "active": check is not None,
            "description_text": fill_description(rule.spec.description.strip(), check.params)
            if check is not None else None,
        }
    return out


# --- writing values into a TOML document -------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A tomlkit item as plain Python (dicts, lists, scalars)."""
    if hasattr(value, "unwrap"):
        return value.unwrap()
    return value


def _is_multiline(item: Any) -> bool:
    try:
        return "\n" in item.as_string()
    except AttributeError:
        return False


def _toml_value(value: Any, like: Any = None) -> Any:
    """A Python value as a tomlkit item, in the style of the item it replaces (`like`)."""
    if isinstance(value, str):
        if "\n" in value:
            return tomlkit.string(value, multiline=True)
        return value
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        for k, v in value.items():
            table[k] = _toml_value(v)
        return table
    if isinstance(value, list):
        array = tomlkit.array()
        for v in value:
            array.append(_toml_value(v))
        if (like is not None and _is_multiline(like)) or (
                like is None and value and all(isinstance(v, dict) for v in value)):
            array.multiline(True)
        return array
    return value


def _set(container: Any, key: str, value: Any) -> None:
    """Set container[key] = value, keeping the existing item's style (inline table, one-line array)."""
    if value is None:
        if key in container:
            del container[key]
        return
    old = container.get(key) if key in container else None
    if old is not None and _plain(old) == value:
        return
    if (isinstance(value, dict) and isinstance(old, Table)) or (
            isinstance(value, dict) and isinstance(old, InlineTable) and all(k in value for k in old)):
        for k in [k for k in old if k not in value]:
            del old[k]
        for k, v in value.items():
            _set(old, k, v)
        return
    if (isinstance(value, list) and isinstance(old, Array) and len(old) == len(value)
            and all(isinstance(v, dict) for v in value) and all(isinstance(o, InlineTable) for o in old)):
        for item, v in zip(old, value):  # the same rows, edited: keep each row's layout
            for k in [k for k in item if k not in v]:
                del item[k]
            for k, x in v.items():
                _set(item, k, x)
        return
    container[key] = _toml_value(value, like=old)


def _model_default(model: type[BaseModel], name: str) -> Any:
    field = model.model_fields.get(name)
    if field is None:
        return object()  # an unknown key: always written, so that validation names it
    return field.get_default(call_default_factory=True, validated_data={})


_AOT_HEADER = re.compile(r"(?m)^[ \t]*\[\[")
_SECTION_HEADER = re.compile(r"(?m)^[ \t]*\[(params|ru|en)\]")


def split_examples(text: str) -> tuple[str, str]:
    """(settings, examples): the file up to its first `[[valid]]`/`[[invalid]]`, and the rest verbatim.

    The form never edits examples, and tomlkit does not write interleaved arrays of tables back in their
    order, so only the settings part goes through tomlkit; the examples are kept byte for byte. A file
    with a settings section after its examples is edited whole."""
    match = _AOT_HEADER.search(text)
    if match is None or _SECTION_HEADER.search(text, match.start()):
        return text, ""
    return text[:match.start()], text[match.start():]


def apply_edit(raw: bytes, kind_name: str, edit: dict[str, Any], file: str = "rule") -> bytes:
    """The rule file `raw` with the values of `edit` written in (only what differs from the file)."""
    try:
        head, tail = split_examples(raw.decode("utf-8"))
        doc = tomlkit.parse(head)
    except Exception as exc:  # the file on disk is broken: the form cannot edit what it cannot read
        raise EditError([RuleError(file, "(syntax)", f"the file cannot be edited from the form: {exc}")]) from None
    if not isinstance(edit, dict):
        raise EditError([RuleError(file, "(edit)", "an edit is a JSON object")])
    unknown = [k for k in edit if k not in (*COMMON_FIELDS, *SECTIONS, "channels", *EDIT_META)]
    if unknown:
        raise EditError([RuleError(file, k, "unknown field (check its spelling)") for k in unknown])
    problems = [RuleError(file, where, problem) for where, problem in _unwritable(edit)]
    if problems:
        raise EditError(problems[:20])
    for name in COMMON_FIELDS:
        if name in edit:
            value = edit[name]
            if value is None and name == "min_confidence":
                if name in doc:
                    del doc[name]  # back to the service's floor
                continue
            if name == "description" and isinstance(value, str):
                value = value.strip()
                if not value:
                    if "description" in doc:
                        del doc["description"]
                    continue
            if name not in doc and value == _model_default(RuleFile, name):
                continue
            _set(doc, name, value)
    kind = KINDS.get(kind_name)
    for section in SECTIONS:
        if section not in edit:
            continue
        values = edit[section]
        if not isinstance(values, dict):
            raise EditError([RuleError(file, section, "must be a table (a JSON object)")])
        model = (kind.Params if section == "params" else kind.Lang) if kind is not None else None
        table = doc.get(section)
        if table is None:
            table = tomlkit.table()
            wrote = False
            for key, value in values.items():
                if value is not None and (model is None or value != _model_default(model, key)):
                    table[key] = _toml_value(value)
                    wrote = True
            if wrote:
                _insert_section(doc, section, table)
            continue
        for key, value in values.items():
            if key not in table and (value is None or (model is not None and value == _model_default(model, key))):
                continue  # not in the file and the default anyway: keep the file short
            _set(table, key, value)
    if "channels" in edit:
        _apply_channels(doc, edit["channels"], file)
    out = tomlkit.dumps(doc)
    if tail and not out.endswith("\n\n"):
        out = out.rstrip("\n") + "\n\n"
    return (out + tail if tail else out).encode("utf-8")


MAX_EDIT_DEPTH = 6  # a section, a field, a list, a table in it…: deeper is not a rule file's shape


def _unwritable(edit: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, problem) for each value of an edit that no TOML file can hold: null inside a list or an inline
    table (a field's own null removes it, and is fine), nesting deeper than any rule file's."""
    out: list[tuple[str, str]] = []

    def walk(value: Any, where: str, depth: int, null_at: int) -> None:
        if len(out) >= 20:
            return
        if value is None:
            if depth != null_at:
                out.append((where, "null has no place inside a list or a table: leave the item out"))
        elif depth > MAX_EDIT_DEPTH:
            out.append((where, f"nested deeper than {MAX_EDIT_DEPTH} levels"))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]", depth + 1, null_at)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}", depth + 1, null_at)
        elif isinstance(value, float) and not math.isfinite(value):
            out.append((where, "not a finite number"))

    # null removes a field: a rule's own (`title`) or a section's (`ru.words`), nothing deeper
    for name in COMMON_FIELDS:
        if name in edit:
            walk(edit[name], name, 1, 1)
    for name in SECTIONS:
        if name in edit:
            walk(edit[name], name, 1, 2)
    if "channels" in edit:  # a channel's own value set to null goes back to the rule's own
        walk(edit["channels"], "channels", 1, 3)
    return out


def _apply_channels(doc: Any, channels: Any, file: str) -> None:
    """Write a channel's own settings as `[channels.<name>]` with dotted keys (`params.steps = […]`): `enabled` and
    `severity` (null: as the rule's own), `params` — the values it overrides (a key left out: as the rule's own).
    Only the channels given are touched; their other keys (their messages) stay."""
    if not isinstance(channels, dict):
        raise EditError([RuleError(file, "channels", "must be a table of channels (a JSON object)")])
    for name, values in channels.items():
        if name not in OTHER_CHANNELS:
            raise EditError([RuleError(file, f"channels.{name}", f"not a channel; channels: {', '.join(OTHER_CHANNELS)}")])
        if not isinstance(values, dict) or not isinstance(values.get("params", {}), dict):
            raise EditError([RuleError(file, f"channels.{name}", "must be a table: enabled, severity, params")])
        if "channels" not in doc:
            _insert_section(doc, "channels", tomlkit.table(is_super_table=True))
        table = doc["channels"].get(name)
        if table is None:
            table = tomlkit.table()
            doc["channels"][name] = table
        for key in ("enabled", "severity"):
            if key in values:
                _set(table, key, values[key])
        if "params" in values:
            wanted = values["params"]
            current = table.get("params")
            if current is not None and any(k not in wanted for k in current):
                # a value no longer overridden: the table is written anew (tomlkit cannot delete a dotted key
                # of a table it spread over several lines), its other settings as they were
                table = _rebuilt(table, {"params": wanted})
                doc["channels"][name] = table
            else:
                for key, value in wanted.items():
                    if current is not None and key in current:
                        _set(current, key, value)
                    else:
                        table.append(tomlkit.key(["params", key]), _toml_value(value))
                        current = table.get("params")
        if not len(table):
            del doc["channels"][name]
    if "channels" in doc and not len(doc["channels"]):
        del doc["channels"]


def _rebuilt(table: Any, replace: dict[str, dict[str, Any]]) -> Any:
    """A channel's table with the sections in `replace` written anew as dotted keys (`params.x = …`), its other
    keys as they were."""
    out = tomlkit.table()
    for key, item in list(table.items()):
        if key in replace:
            continue
        value = _plain(item)
        if isinstance(value, dict) and not isinstance(item, InlineTable):  # a dotted section (`ru.message = …`)
            for sub_key, sub_value in value.items():
                out.append(tomlkit.key([key, sub_key]), _toml_value(sub_value))
        else:
            out[key] = item
    for section, values in replace.items():
        for key, value in values.items():
            out.append(tomlkit.key([section, key]), _toml_value(value))
    return out


def _insert_section(doc: Any, name: str, table: Any) -> None:
    """Add a missing [section] before the examples ([[valid]]/[[invalid]]), where a reader expects it."""
    body = list(doc.items())
    if not any(isinstance(v, AoT) for _, v in body):
        doc[name] = table
        return
    keep = [(k, v) for k, v in body]
    for k, _ in keep:
        del doc[k]
    placed = False
    for k, v in keep:
        if isinstance(v, AoT) and not placed:
            doc[name] = table
            placed = True
        doc[k] = v
    if not placed:
        doc[name] = table


def diff(old: bytes, new: bytes, file: str) -> str:
    return text_diff(old, new, f"{file} (now)", f"{file} (proposed)")


# --- validation ------------------------------------------------------------------------------------------
def proposed_rule(rule: Rule, new: bytes) -> Rule:
    """The rule as the proposed bytes would load it; raises RuleFileInvalid (the `coach rules check` errors)."""
    spec, check = parse_rule(rule.id, new, rule.path.name)
    return Rule(rule.id, rule.path, file_digest(new), spec, check, raw=new)


def proposed_book(book: Rulebook, rules: dict[str, Rule]) -> Rulebook:
    merged = dict(book.rules)
    merged.update(rules)
    return Rulebook(None, merged)


def example_failures(book: Rulebook, rule: Rule) -> list[dict[str, Any]]:
    """The rule's own examples run against the proposed rule: which no longer hold."""
    coach = Coach(proposed_book(book, {rule.id: rule}))
    return [{"kind": f.kind, "index": f.index, "lang": f.example.lang, "draft": f.example.draft,
             "note": f.example.note, "problem": f.problem} for f in run_examples(coach, rule)]


def describe_edit(rule: Rule, edit: dict[str, Any]) -> dict[str, Any]:
    """The description the edited rule would show, thresholds filled in: {text, errors}. Cheap (no examples
    run, no diff): the form asks for it as thresholds are typed. `text` is None while the edit is invalid."""
    try:
        candidate = proposed_rule(rule, apply_edit(rule.raw, rule.spec.kind, edit, rule.path.name))
    except (EditError, RuleFileInvalid) as exc:
        return {"text": None, "errors": with_russian([e.to_json() for e in exc.errors])}
    return {"text": candidate.description, "errors": []}


def check_edit(rule: Rule, book: Rulebook, edit: dict[str, Any]) -> dict[str, Any]:
    """Apply an edit to the rule as loaded, in memory: {ok, errors, example_failures, examples, saveable, diff,
    changed}. `examples` says in Russian which of the rule's examples the edit affects (examples.py): those tied
    to a threshold in seconds follow it (written into the file with the edit: see `diff`), and `saveable` is
    false when one would break — `coach rules check` passes after every save allowed."""
    raw = rule.raw
    try:
        new = apply_edit(raw, rule.spec.kind, edit, rule.path.name)
        candidate = proposed_rule(rule, new)
        checked = review(book, rule, candidate, new, proposed_rule)
    except (EditError, RuleFileInvalid) as exc:
        return {"ok": False, "errors": with_russian([e.to_json() for e in exc.errors]), "example_failures": [],
                "examples": [],
                "saveable": False, "diff": "", "changed": True}
    final = checked.rule or candidate
    return {"ok": True, "errors": [], "example_failures": example_failures(book, final),
            "examples": checked.entries, "saveable": checked.saveable,
            "diff": diff(raw, checked.content, rule.path.name), "changed": checked.content != raw,
            "_bytes": checked.content, "_rule": final}
