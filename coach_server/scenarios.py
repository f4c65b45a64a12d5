"""Trainer scenarios: a dialogue with timings and per-message notes, in a bad and a good version.

One TOML file per scenario in `scenarios/` (the id is the file name; format in docs/trainer.md):

    title = "Автосалон: «отписка» вместо ответа"
    situation = "car_dealer"        # the bad and the good version of one situation share it
    version = "bad"                 # bad | good
    lang = "ru"
    operator = "Алина"
    summary = "What happens and what it teaches."

    [[messages]]
    role = "client"                 # client | operator | bot | system | checkpoint
    at = 0                          # seconds since the chat began
    text = "Здравствуйте! Сколько стоит Camry?"

    [[messages]]
    role = "operator"
    at = 150
    typing = 12                     # seconds the operator typed it (optional)
    text = "Добрый день. Менеджеров нет, напишите завтра."
    expect = ["slow_reply", "no_introduction", "come_back_later"]    # what the coach says, and no more
    note = "Why: what the trainer explains here."

A `checkpoint` is a moment when the operator is not typing: the coach is asked what it shows then (the
client waiting, the client gone quiet). Every operator message and checkpoint lists the rules it gets in
`expect`; a good version expects none. `tests/test_scenarios.py` runs every scenario through the engine
and holds the files to what they claim.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .corpus import Chat, CorpusMessage
from .engine import Coach
from .models import CheckRequest, Message, validation_details
from .rulebook.loader import RULE_ID_RE, RuleError, RuleFileInvalid

START = 1_750_000_000.0  # the scenario clock's zero (2025-06-15 15:06 UTC)


class ScenarioMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["client", "operator", "bot", "system", "checkpoint"]
    at: float = Field(ge=0, description="seconds since the chat began")
    text: str = ""
    typing: float | None = Field(default=None, ge=0, description="operator: seconds spent typing this message")
    expect: list[str] = Field(default_factory=list, description="operator/checkpoint: the rules that flag it")
    note: str = ""

    @model_validator(mode="after")
    def _shape(self) -> ScenarioMessage:
        if self.role in ("client", "operator", "bot", "system") and not self.text.strip():
            raise ValueError(f"a {self.role} message needs text")
        if self.role == "checkpoint" and self.text:
            raise ValueError("a checkpoint has no text (the operator is not typing)")
        if self.expect and self.role not in ("operator", "checkpoint"):
            raise ValueError("only operator messages and checkpoints expect warnings")
        if self.typing is not None and self.role != "operator":
            raise ValueError("only operator messages have a typing time")
        for rule in self.expect:
            if not RULE_ID_RE.match(rule):
                raise ValueError(f"not a rule id: {rule!r}")
        return self


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = ""
    title: str = Field(min_length=1)
    situation: str = Field(min_length=1)
    version: Literal["bad", "good"]
    lang: Literal["ru", "en"]
    operator: str = Field(min_length=1, description="the operator's name")
    summary: str = ""
    source: str = ""
    messages: list[ScenarioMessage] = Field(min_length=2)

    @model_validator(mode="after")
    def _order(self) -> Scenario:
        times = [m.at for m in self.messages]
        if any(b < a for a, b in zip(times, times[1:])):
            raise ValueError("messages must be in order of time (`at` never decreases)")
        if self.version == "good" and any(m.expect for m in self.messages):
            raise ValueError("a good version expects no warnings")
        if not any(m.role in ("operator", "checkpoint") for m in self.messages):
            raise ValueError("a scenario needs at least one operator message or checkpoint")
        return self

    # --- as a chat --------------------------------------------------------------------------------------
    def ts(self, message: ScenarioMessage) -> float:
        return START + message.at

    def to_chat(self) -> Chat:
        """The scenario as an exported chat (the audit/back-test format); checkpoints are left out."""
        msgs = []
        for m in self.messages:
            if m.role == "checkpoint":
                continue
            started = self.ts(m) - m.typing if m.typing is not None else None
            msgs.append(CorpusMessage.model_construct(role=m.role, text=m.text, ts=self.ts(m), operator=None,
                                                      draft_started_at=started, id=None, note=m.note or None))
        return Chat.model_construct(chat_id=f"scenario:{self.id}", operator=self.operator, lang=self.lang,
                                    messages=msgs)

    def requests(self) -> list[tuple[int, CheckRequest]]:
        """(message index, the check made at that moment) for every operator message and checkpoint."""
        out = []
        history: list[Message] = []
        for i, m in enumerate(self.messages):
            if m.role in ("operator", "checkpoint"):
                now = self.ts(m)
                started = None
                if m.role == "operator":
                    previous = history[-1].ts if history else None
                    started = now - m.typing if m.typing is not None else previous
                out.append((i, CheckRequest.model_construct(
                    draft=m.text if m.role == "operator" else "", messages=list(history), now=now,
                    draft_started_at=started, chat_id=f"scenario:{self.id}", operator_name=self.operator,
                    lang=None, caret=None)))
            if m.role != "checkpoint":
                history.append(Message.model_construct(role=m.role, text=m.text, ts=self.ts(m), id=None))
        return out


# A problem in a scenario file is told like one in a rule file: the file, the field, what is wrong.
ScenarioError = RuleError
ScenarioInvalid = RuleFileInvalid


def default_scenarios_dir() -> Path:
    """$COACH_SCENARIOS, else the project's `scenarios/` (beside `rules/`)."""
    env = os.environ.get("COACH_SCENARIOS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "scenarios"


def load_scenario(path: Path) -> Scenario:
    """One scenario file; raises ScenarioInvalid listing the problems."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioInvalid([ScenarioError(path.name, "(file)", f"cannot read: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioInvalid([ScenarioError(path.name, "(syntax)", f"not valid TOML: {exc}")]) from None
    data.setdefault("id", path.stem)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioInvalid([ScenarioError(path.name, d.field, d.problem)
                               for d in validation_details(exc)]) from None
    scenario.id = path.stem
    return scenario


@dataclass
class ScenarioSet:
    scenarios: dict[str, Scenario]
    errors: list[ScenarioError]

    def pair_of(self, scenario: Scenario) -> Scenario | None:
        for other in self.scenarios.values():
            if other.situation == scenario.situation and other.version != scenario.version:
                return other
        return None


def load_scenarios(directory: Path | None = None) -> ScenarioSet:
    directory = directory or default_scenarios_dir()
    scenarios, errors = {}, []
    if not directory.is_dir():
        return ScenarioSet({}, [ScenarioError(str(directory), "(directory)", "scenarios directory not found")])
    for path in sorted(directory.glob("*.toml")):
        if path.name.startswith("."):
            continue
        try:
            scenarios[path.stem] = load_scenario(path)
        except ScenarioInvalid as exc:
            errors.extend(exc.errors)
    return ScenarioSet(scenarios, errors)


def play(coach: Coach, scenario: Scenario, ui_lang: str | None = None) -> list[dict[str, Any]]:
    """Every message of the scenario, operator messages and checkpoints with what the coach says there (worded in
    `ui_lang`, the reader's language, when given; else in the chat's)."""
    checks = dict(scenario.requests())
    if ui_lang is not None:
        checks = {i: r.model_copy(update={"ui_lang": ui_lang}) for i, r in checks.items()}
    steps = []
    for i, m in enumerate(scenario.messages):
        step: dict[str, Any] = {"index": i, "role": m.role, "at": m.at, "ts": scenario.ts(m), "text": m.text,
                                "note": m.note}
        if m.role == "operator" and m.typing is not None:
            step["typing"] = m.typing
        if i in checks:
            # the trainer demonstrates every rule: quiet warnings too, marked as such (`quiet`)
            evaluation = coach.evaluate(checks[i].model_copy(update={"include_quiet": True}))
            step["warnings"] = [w.model_dump() for w in evaluation.result.warnings]
            step["expect"] = m.expect
            step["timers"] = evaluation.timers
        steps.append(step)
    return steps
