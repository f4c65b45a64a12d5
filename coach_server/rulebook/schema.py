"""The shape of a rule file (`rules/<id>.toml`), validated with pydantic.

The common part is checked here; what `params` and the `[ru]`/`[en]` sections may hold is decided by the
rule's kind (see `coach_server.checks`).
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..models import Lang, Role, Severity

LANGS: tuple[str, ...] = ("ru", "en")


class ExampleMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    text: str
    ago: float | None = Field(default=None, ge=0, description="seconds before the moment of the check")


class Example(BaseModel):
    """A situation the rule must (invalid) or must not (valid) flag."""

    model_config = ConfigDict(extra="forbid")

    lang: Lang
    draft: str = ""
    messages: list[ExampleMessage] = Field(default_factory=list)
    operator_name: str | None = None
    draft_age: float | None = Field(default=None, ge=0, description="seconds the operator has been typing")
    span: str | None = Field(default=None, description="invalid only: the text the warning points at")
    severity: Severity | None = Field(default=None, description="invalid only: the expected severity")
    suggestion: str | None = Field(default=None, description="invalid only: the expected suggestion")
    message: str | None = Field(default=None, pattern=r"^[a-z_]+(\.[A-Za-z0-9_]+)?$",
                                description="invalid only: the language section's template the warning's message "
                                            "must come from, e.g. message_many or messages.long (default: message)")
    note: str = ""


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    title: str = Field(min_length=1)
    description: str = ""
    severity: Severity = "warning"
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)
    ru: dict[str, Any]
    en: dict[str, Any]
    valid: list[Example] = Field(default_factory=list)
    invalid: list[Example] = Field(default_factory=list)
