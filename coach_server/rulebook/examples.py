"""Running a rule's own examples: each `[[invalid]]` must be flagged (at its span, with its severity and
suggestion when given), each `[[valid]]` must not. Used by the test suite and `coach rules check`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models import CheckRequest, Message, Warning
from .schema import LANGS, Example

if TYPE_CHECKING:
    from ..engine import Coach
    from .loader import Rule

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
        parts.append(f"{w.severity}{span} suggestion={w.suggestion!r}")
    return "; ".join(parts)


def _matches(example: Example, draft: str, w: Warning) -> bool:
    if example.span is not None and (w.start is None or w.end is None or draft[w.start:w.end] != example.span):
        return False
    if example.severity is not None and w.severity != example.severity:
        return False
    if example.suggestion is not None and w.suggestion != example.suggestion:
        return False
    return True


def run_examples(coach: Coach, rule: Rule) -> list[ExampleFailure]:
    failures: list[ExampleFailure] = []
    for kind, examples in (("invalid", rule.spec.invalid), ("valid", rule.spec.valid)):
        for i, example in enumerate(examples):
            warnings = [w for w in coach.check(example_request(example), only=[rule.id]).warnings
                        if w.rule == rule.id]
            if kind == "valid" and warnings:
                failures.append(ExampleFailure(rule.id, kind, i, example,
                                               "flagged but should not be: " + _describe(example.draft, warnings)))
            elif kind == "invalid" and not any(_matches(example, example.draft, w) for w in warnings):
                wanted = ", ".join(f"{k}={v!r}" for k, v in (("span", example.span), ("severity", example.severity),
                                                              ("suggestion", example.suggestion)) if v is not None)
                failures.append(ExampleFailure(rule.id, kind, i, example,
                                               f"expected a warning{' with ' + wanted if wanted else ''}; got "
                                               + _describe(example.draft, warnings)))
    return failures


def missing_examples(rule: Rule) -> list[str]:
    """What a rule's examples lack: a valid and an invalid example in each language."""
    missing = []
    for lang in LANGS:
        for kind, examples in (("invalid", rule.spec.invalid), ("valid", rule.spec.valid)):
            if not any(e.lang == lang for e in examples):
                missing.append(f"no {kind} example in {lang}")
    return missing
