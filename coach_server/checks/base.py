"""What every check kind shares: its typed settings, the context it reads, and how it words a warning.

A check kind is a class registered under a name (`kind = "lexicon"` in a rule file), generic in its two
models — `class LexiconCheck(Check[Params, Lang])` — so that `self.params.<field>` and
`self.section(lang).<field>` are typed. It declares:
- `Params`: language-independent settings (thresholds), a pydantic model;
- `Lang`: what each language section (`[ru]`, `[en]`) holds: the messages and word lists;
- `placeholders`: the `{names}` its messages may use;
- `needs_conversation`: whether it judges the draft against the conversation (else the draft alone);
- `timed`: whether its answer changes with the clock alone;
- `typing_reach`: how far past its own words what the operator types next may still change a remark — "word"
  (the word alone: judged once finished), "sentence" (the words after it in its sentence: «Подскажите,» before
  «пожалуйста»), "message" (the whole draft: a greeting may still come). The extension holds a remark back
  while typing can still change it (docs/extension.md); `reach()` may refine it by the rule's settings.
The rule file supplies the values; `run` reads a `Context` and yields warnings.
"""
from __future__ import annotations

import itertools
import string
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict

from ..conversation import Conversation
from ..models import CheckRequest, Severity, Warning
from ..text.analysis import TextFacts

_serial = itertools.count(1)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoParams(Settings):
    pass


class LangSection(Settings):
    """A language section of a rule file. `message` is what the operator reads."""

    message: str
    suggestion: str | None = None


Reach = Literal["word", "sentence", "message"]

P = TypeVar("P", bound=Settings)
L = TypeVar("L", bound=LangSection)


class Context:
    """What a check reads. The engine notes whether a check read anything but the conversation and the
    language — the draft, the request, the clock, the caret (`read_input`): one that did not gives the
    same answer for the same conversation whatever is typed, and is not run again while only the draft
    changes. `scratch` is the running check's own notes for this check (from `run` to `next_change`)."""

    __slots__ = ("_draft", "_now", "_request", "_text_lang", "_typing_span", "channel", "conv", "lang", "read_input",
                 "scratch")

    def __init__(self, request: CheckRequest, now: float, draft: TextFacts, conv: Conversation, lang: str,
                 channel: str = "chat", typing_span: tuple[int, int] | None = None, text_lang: str | None = None):
        self._request = request
        self._now = now
        self._draft = draft
        self.conv = conv
        self.lang = lang  # the language the operator reads: warnings are worded in it
        self.channel = channel  # chat, messenger, social or email (models.CHANNELS)
        self.scratch: dict[str, Any] = {}
        self._typing_span = typing_span  # the word under the caret, still being typed
        # the language of the draft: a fix is written in it (a Russian reply to an English client gets a Russian
        # greeting, worded for an operator who may read the remark in either); None: the same as `lang`
        self._text_lang = text_lang
        self.read_input = False

    @property
    def text_lang(self) -> str | None:
        self.read_input = True  # the draft's language is the draft's
        return self._text_lang

    @text_lang.setter
    def text_lang(self, lang: str | None) -> None:
        self._text_lang = lang

    @property
    def fix_lang(self) -> str:
        return self.text_lang or self.lang

    @property
    def request(self) -> CheckRequest:
        self.read_input = True
        return self._request

    @property
    def now(self) -> float:
        self.read_input = True
        return self._now

    @property
    def draft(self) -> TextFacts:
        self.read_input = True
        return self._draft

    @property
    def typing_span(self) -> tuple[int, int] | None:
        self.read_input = True
        return self._typing_span

    @typing_span.setter
    def typing_span(self, span: tuple[int, int] | None) -> None:
        self._typing_span = span

    def typing(self, start: int, end: int) -> bool:
        """Does [start, end) touch the word the operator is still typing?"""
        self.read_input = True
        span = self._typing_span
        return span is not None and start <= span[1] and end >= span[0]


class Check(Generic[P, L]):
    kind: ClassVar[str]
    Params: ClassVar[type[Settings]] = NoParams
    Lang: ClassVar[type[LangSection]] = LangSection
    placeholders: ClassVar[frozenset[str]] = frozenset()
    # True for checks whose answer changes with the clock alone (they tell when via next_change)
    timed: ClassVar[bool] = False
    # True for checks that judge the draft against the conversation (who wrote what, when); with the
    # request's scope "text" (a console whose conversation cannot be read) they do not run
    needs_conversation: ClassVar[bool] = False
    # True for checks that decide the same way in every language (a clock, a copy): their measured precision
    # is pooled over the languages (rulebook/precision.py)
    language_neutral: ClassVar[bool] = False
    typing_reach: ClassVar[Reach] = "message"

    def __init__(self, rule_id: str, severity: Severity, params: P, langs: dict[str, L]):
        self.rule_id = rule_id
        self.severity = severity
        self.params: P = params
        self.langs: dict[str, L] = langs
        self.serial = next(_serial)  # a key for per-message memos that dies with this check
        self.enabled = True  # the rule file's `enabled` (in the channels it does not name)
        self.channels: dict[str, Check[P, L] | None] = {}  # a channel's own check; None: off in that channel
        self.compile()

    def for_channel(self, channel: str) -> Check[P, L] | None:
        """The check that runs in this channel (its own settings, if the rule file gives some), or None."""
        if channel in self.channels:
            return self.channels[channel]
        return self if self.enabled else None

    # --- for subclasses ------------------------------------------------------------------------------
    def compile(self) -> None:
        """Prepare word lists and patterns once, when the rule is loaded."""

    def run(self, ctx: Context) -> Iterator[Warning]:
        raise NotImplementedError(f"check kind {self.kind!r} has no run()")

    def reach(self) -> Reach:
        """How far past its words a remark of this rule depends on what is typed next (see the docstring)."""
        return self.typing_reach

    def next_change(self, ctx: Context) -> float | None:
        """For timed checks: the Unix time at which this check's answer will next change by itself."""
        return None

    @classmethod
    def validate_langs(cls, langs: dict[str, L]) -> list[tuple[str, str]]:
        """Extra cross-field validation of the language sections: [(field path, problem)]."""
        return []

    @classmethod
    def validate_params(cls, params: P) -> list[tuple[str, str]]:
        """Extra cross-field validation of params: [(field path, problem)]."""
        return []

    # --- helpers -------------------------------------------------------------------------------------
    def section(self, lang: str) -> L:
        return self.langs.get(lang) or self.langs["ru"]

    def fix_section(self, ctx: Context) -> L:
        """The language section a fix is taken from: the draft's language, not the one remarks are worded in."""
        return self.section(ctx.fix_lang)

    def warning(
        self,
        ctx: Context,
        *,
        start: int | None = None,
        end: int | None = None,
        suggestion: str | None = None,
        severity: str | None = None,
        template: str | None = None,
        trigger: str = "main",
        **values: Any,
    ) -> Warning:
        """A warning of this rule, its message rendered from `template` (else the section's message) with
        `values`."""
        text = template if template is not None else self.section(ctx.lang).message
        # The fields are ours and already the right types: not validated (a check is hot). Every field is
        # given, so that pydantic resolves no default either (6.7 µs a warning with seven given, 4.2 with all).
        return Warning.model_construct(
            rule=self.rule_id,
            severity=cast(Severity, severity or self.severity),  # a check passes one of its own Severity values
            message=render(text, values),
            start=start,
            end=end,
            suggestion=suggestion,
            clock=None,
            since=None,
            template=None,
            trigger=trigger,
            confidence=None,
            quiet=False,
        )


# Any check kind, whatever its models: what the registry and the rule loader hold.
AnyCheck = Check[Any, Any]


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, values: dict[str, Any]) -> str:
    return template.format_map(_SafeDict(values)) if "{" in template else template


def template_fields(template: str) -> set[str]:
    """The {placeholders} a message template uses; raises ValueError on a malformed template."""
    names: set[str] = set()
    for _, name, _spec, _ in string.Formatter().parse(template):
        if name is not None:
            if not name.isidentifier():
                raise ValueError(f"placeholder {{{name}}} is not a plain name")
            names.add(name)
    return names


def format_duration(seconds: float, lang: str) -> str:
    """«45 с», «1 мин 4 с», «2 ч 5 мин», «3 дн 4 ч» ("45 s", "1 min 4 s", "2 h 5 min", "3 days 4 h"): the two
    largest units, so a wait of a day does not read «1440 мин»."""
    return _duration(int(max(0, seconds)), lang)


# (a waiting client's timer remark is worded anew on every keystroke; the second in it changes once a second)
@lru_cache(maxsize=4096)
def _duration(seconds: int, lang: str) -> str:
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if lang == "en":
        units = (f"{days} day" + ("s" if days != 1 else ""), f"{hours} h", f"{minutes} min", f"{secs} s")
    else:
        units = (f"{days} дн", f"{hours} ч", f"{minutes} мин", f"{secs} с")
    values = (days, hours, minutes, secs)
    first = next((i for i, v in enumerate(values) if v), 3)
    parts = [units[first]]
    if first < 3 and values[first + 1]:
        parts.append(units[first + 1])
    return " ".join(parts)


def quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
