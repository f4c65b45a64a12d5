"""Running a rule's own examples: each `[[invalid]]` must be flagged (at its span, with its severity and
suggestion when given, worded by the template it names — `message` unless it says otherwise), each
`[[valid]]` must not. Used by the test suite and `coach rules check`."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

from ..engine import Coach
from ..models import DEFAULT_CHANNEL, CheckRequest, Message, Warning
from .loader import Rule
from .schema import LANGS, Example

# Examples happen at a fixed moment so that `ago` and `draft_age` mean the same on every run.
EXAMPLE_NOW = 1_750_000_000.0


@dataclass
class ExampleFailure:
    rule: str
    kind: str  # "invalid" or "valid"
    index: int
    example: Example
    problem: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.kind}[{self.index}] ({self.example.lang}) {self.example.draft!r}: {self.problem}"


def example_request(example: Example) -> CheckRequest:
    messages = [
        Message(role=m.role, text=m.text, ts=EXAMPLE_NOW - m.ago if m.ago is not None else None)
        for m in example.messages
    ]
    return CheckRequest(
        draft=example.draft,
        messages=messages,
        now=EXAMPLE_NOW,
        draft_started_at=EXAMPLE_NOW - example.draft_age if example.draft_age is not None else None,
        chat_id=None,
        operator_name=example.operator_name,
        lang=None,
        channel=example.channel,
    )


def _describe(draft: str, warnings: list[Warning]) -> str:
    if not warnings:
        return "no warning"
    parts = []
    for w in warnings:
        span = f" at {draft[w.start:w.end]!r}" if w.start is not None and w.end is not None else ""
        parts.append(f"{w.severity}{span} suggestion={w.suggestion!r} message={w.message!r}")
    return "; ".join(parts)


DEFAULT_TEMPLATE = "message"


def template_named(rule: Rule, lang: str, name: str, channel: str | None = None) -> str | None:
    """The template `name` (a field of the kind's language section, or `field.key` of a table of templates)
    in the rule's `lang` section — as worded in `channel`; None when there is no such template."""
    check = rule.check.for_channel(channel or DEFAULT_CHANNEL) or rule.check
    section = check.langs.get(lang) or check.langs["ru"]
    field, _, key = name.partition(".")
    value = getattr(section, field, None) if field in type(section).model_fields else None
    if key:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def template_pattern(template: str) -> re.Pattern[str]:
    """A pattern that matches exactly the messages `template` renders: its text, any value per placeholder."""
    parts = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append("(?s:.*?)")
    return re.compile("".join(parts), re.DOTALL)


def _matches(example: Example, draft: str, w: Warning, worded: re.Pattern[str] | None) -> bool:
    if example.span is not None and (w.start is None or w.end is None or draft[w.start:w.end] != example.span):
        return False
    if worded is not None and not worded.fullmatch(w.message):
        return False
    if example.severity is not None and w.severity != example.severity:
        return False
    return example.suggestion is None or w.suggestion == example.suggestion


def run_examples(coach: Coach, rule: Rule) -> list[ExampleFailure]:
    failures: list[ExampleFailure] = []
    for kind, examples in (("invalid", rule.spec.invalid), ("valid", rule.spec.valid)):
        for i, example in enumerate(examples):
            problem = example_problem(coach, rule, kind, example)
            if problem is not None:
                failures.append(ExampleFailure(rule.id, kind, i, example, problem))
    return failures


def example_problem(coach: Coach, rule: Rule, kind: str, example: Example) -> str | None:
    """What is wrong with one example ("invalid" or "valid") of `rule` as `coach` judges it; None: it holds."""
    if kind == "valid" and example.message is not None:
        return "`message` names the template of a warning: invalid examples only"
    result = coach.check(example_request(example), only=[rule.id], calibrated=False)
    warnings = [w for w in result.warnings if w.rule == rule.id]
    if kind == "valid":
        return "flagged but should not be: " + _describe(example.draft, warnings) if warnings else None
    name = example.message or DEFAULT_TEMPLATE
    template = template_named(rule, result.lang, name, example.channel)
    if template is None and example.message is not None:
        return f"message = {name!r}: the {result.lang} section has no such template"
    worded = template_pattern(template) if template is not None else None
    if any(_matches(example, example.draft, w, worded) for w in warnings):
        return None
    wanted = ", ".join(f"{k}={v!r}" for k, v in (("span", example.span), ("severity", example.severity),
                                                  ("suggestion", example.suggestion), ("message", name))
                       if v is not None)
    return f"expected a warning{' with ' + wanted if wanted else ''}; got " + _describe(example.draft, warnings)


def missing_examples(rule: Rule) -> list[str]:
    """What a rule's examples lack: a valid and an invalid example in each language."""
    missing = []
    for lang in LANGS:
        for kind, examples in (("invalid", rule.spec.invalid), ("valid", rule.spec.valid)):
            if not any(e.lang == lang for e in examples):
                missing.append(f"no {kind} example in {lang}")
    return missing
