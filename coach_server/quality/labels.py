"""The labels file: a person's verdict on each sampled warning, kept in the repo (`quality/labels.jsonl`).

One JSON object per line, sorted by rule, language and id so that a diff shows what changed:

    {"id": "3f9a1c02b4", "rule": "missing_please", "lang": "en", "channel": "social", "corpus": "devchats",
     "chat_id": "ibmtw-dev-…", "message": 1, "span": "Check", "quote": "… Check your spam folder …",
     "client": "I never got the code", "verdict": "correct", "reason": ""}

`verdict` is `correct`, `wrong`, or null while the warning waits for a person to judge it; a `wrong` verdict
says why in `reason`. A correct warning that a rule knowingly stopped giving (the price of precision) says
why in `miss`: it is reported as an accepted miss, not as a regression. Quotes are short (the corpus itself stays where it is); the id ties the label to the
warning (corpus, chat, message, rule, flagged text), so a label outlives changes to the rules.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..models import CHANNELS, validation_details
from ..rulebook.ruleset import write_atomically
from .findings import Finding, place_of, shorten

Verdict = Literal["correct", "wrong"]


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[0-9a-f]{10}$")
    rule: str
    lang: Literal["ru", "en"]
    channel: str
    corpus: str
    chat_id: str
    message: int = Field(ge=0)
    span: str | None = None
    quote: str = Field(max_length=400)
    client: str = Field(default="", max_length=400)
    verdict: Verdict | None = None
    reason: str = ""
    miss: str = Field(default="", description="a correct warning knowingly given up for precision: why")

    @property
    def place(self) -> tuple[str, str, int, str, str]:
        return place_of(self.corpus, self.chat_id, self.message, self.rule, self.span)

    @classmethod
    def pending(cls, finding: Finding) -> Label:
        return cls(id=finding.key, rule=finding.rule, lang=finding.lang, channel=finding.channel,
                   corpus=finding.corpus, chat_id=finding.chat_id, message=finding.message, span=finding.span,
                   quote=finding.quote(), client=shorten(finding.client))


class LabelsError(ValueError):
    pass


def load_labels(path: Path) -> dict[str, Label]:
    """The labels by id; a missing file is no labels. Raises LabelsError naming the line and field at fault."""
    if not path.exists():
        return {}
    labels: dict[str, Label] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            label = Label.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise LabelsError(f"{path.name}: line {number}: not valid JSON: {exc.msg}") from None
        except ValidationError as exc:
            details = "; ".join(f"{d.field}: {d.problem}" for d in validation_details(exc))
            raise LabelsError(f"{path.name}: line {number}: {details}") from None
        if label.channel not in CHANNELS:
            raise LabelsError(f"{path.name}: line {number}: channel: unknown channel {label.channel!r}")
        if label.verdict == "wrong" and not label.reason.strip():
            raise LabelsError(f"{path.name}: line {number}: reason: a wrong verdict says why")
        if label.id in labels:
            raise LabelsError(f"{path.name}: line {number}: id {label.id} is labelled twice")
        labels[label.id] = label
    return labels


def save_labels(path: Path, labels: dict[str, Label]) -> None:
    """Write all labels in a stable order, atomically (a crash never leaves half a file)."""
    ordered = sorted(labels.values(), key=lambda lb: (lb.rule, lb.lang, lb.corpus, lb.chat_id, lb.message, lb.id))
    text = "".join(json.dumps(lb.model_dump(), ensure_ascii=False) + "\n" for lb in ordered)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text.encode("utf-8"))
