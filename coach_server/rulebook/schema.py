"""The shape of a rule file (`rules/<id>.toml`), validated with pydantic.

The common part is checked here; what `params` and the `[ru]`/`[en]` sections may hold is decided by the
rule's kind (see `coach_server.checks`).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import Channel, Lang, Role, Severity

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
    channel: Channel | None = Field(default=None, description="the channel of the chat (default: chat)")
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


class ChannelSettings(BaseModel):
    """What a rule does differently in one channel: off, another severity, other thresholds or wording.
    `params`, `ru` and `en` hold only the fields that differ; the rest come from the rule's own sections."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    severity: Severity | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    ru: dict[str, Any] = Field(default_factory=dict, description="messages or word lists that differ in this channel")
    en: dict[str, Any] = Field(default_factory=dict, description="messages or word lists that differ in this channel")


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    title: str = Field(min_length=1)
    description: str = ""
    severity: Severity = "warning"
    enabled: bool = True
    # Shown to operators when its measured confidence reaches the floor ("auto"), whatever it is ("always":
    # a supervisor's pin), or never (it still runs: the audit and supervisors see it as quiet).
    show: Literal["auto", "always", "never"] = "auto"
    min_confidence: float | None = Field(default=None, ge=0, le=1,
                                         description="this rule's own floor (default: the service's, 0.9)")
    params: dict[str, Any] = Field(default_factory=dict)
    channels: dict[Channel, ChannelSettings] = Field(
        default_factory=dict, description="per channel (chat, messenger, social, email): enabled, severity, params")
    ru: dict[str, Any]
    en: dict[str, Any]
    valid: list[Example] = Field(default_factory=list)
    invalid: list[Example] = Field(default_factory=list)
