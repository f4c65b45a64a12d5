"""`timer`: warnings that the clock alone brings on — nobody has to type for them to appear.

Clocks:
- `client_wait`: the client's oldest unanswered message has waited this long (bots and system notes are
  not an answer). Before the operator's first reply `first_reply_steps` apply: a visitor leaves after ~2 min.
  A goodbye, or a bare «спасибо»/«ок» after an answer, waits for nothing: no clock.
- `draft`: the operator has been composing this draft this long, or the client wrote again meanwhile.
- `client_silence`: the operator wrote last and the client has been quiet this long — check in, don't close.

`steps` raise the severity as time passes; `next_change` tells the live service when to push again.
A clock's warning carries `clock`, `since` (when that clock started) and `template` (the message with `{wait}`
left in), so a client can keep its wording true second by second between the service's pushes.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field, model_validator

from ..conversation import OPERATOR
from ..models import Clock, Severity, Warning
from ..text.lexicon import Lexicon
from .base import Check, Context, LangSection, Settings, format_duration, render


class Step(Settings):
    after: float = Field(ge=0, description="seconds")
    severity: Severity


class Params(Settings):
    clock: Clock
    steps: list[Step] = Field(min_length=1)
    first_reply_steps: list[Step] = Field(default_factory=list, description="client_wait before the first reply")
    new_client_message: bool = Field(default=False, description="draft: warn when the client wrote meanwhile")
    new_client_severity: Severity = "info"

    @model_validator(mode="after")
    def _increasing(self) -> Params:
        for name in ("steps", "first_reply_steps"):
            steps = getattr(self, name)
            if any(b.after <= a.after for a, b in zip(steps, steps[1:])):
                raise ValueError(f"{name} must be in increasing order of 'after'")
        return self


class Lang(LangSection):
    message_first: str | None = Field(default=None, description="client_wait: before the first reply")
    message_new: str | None = Field(default=None, description="draft: the client wrote while you typed")
    message_send: str | None = Field(default=None, description="client_wait: the draft already holds the short "
                                                               "answer the message advises («Минуту, уточняю»)")
    done_lemmas: list[str] = Field(default_factory=list,
                                   description="the client said goodbye with these words: client_silence does not "
                                               "run, nor client_wait unless they also asked something")
    acks: list[str] = Field(default_factory=list,
                            description="client_wait: a message of only these words («спасибо», «ок») needs no "
                                        "answer — unless it answers the operator's question or promise")
    holding: list[str] = Field(default_factory=list,
                               description="client_silence: the operator's last message promises the answer "
                                           "(«минутку», «уточню», \"let me check\"): the client waits, not silent")
    left_lemmas: list[str] = Field(default_factory=list,
                                   description="a system note with these says the client left: no clock runs")
    thanks: list[str] = Field(default_factory=list,
                              description="client_wait: after an answer, a message that thanks («спасибо, всё "
                                          "заработало», \"thank you, I'll call them\") and asks nothing needs no answer")
    requests: list[str] = Field(default_factory=list,
                                description="…unless it asks for something with these: «помогите», \"please help\"")


_NEGATIONS = frozenset({"not", "no", "never", "cannot", "не", "нет", "ни", "никак"})


def _step(steps: list[Step], elapsed: float) -> tuple[Step | None, float | None]:
    """The step reached after `elapsed` seconds, and the elapsed time at which the next one is reached."""
    reached = None
    for step in steps:
        if elapsed >= step.after:
            reached = step
        else:
            return reached, step.after
    return reached, None



TimerLang = Lang  # the section model under a name the class attribute `Lang` does not shadow

class TimerCheck(Check[Params, Lang]):
    kind = "timer"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"wait"})
    timed = True
    language_neutral = True  # what it decides does not depend on the language

    def compile(self) -> None:
        self.done = Lexicon(lemmas=[w for s in self.langs.values() for w in s.done_lemmas])
        self.left = Lexicon(lemmas=[w for s in self.langs.values() for w in s.left_lemmas])
        self.holding = Lexicon(words=[w for s in self.langs.values() for w in s.holding])
        self.acks = frozenset(w for s in self.langs.values() for phrase in s.acks for w in phrase.lower().split())
        self.thanks = Lexicon(lemmas=[w for s in self.langs.values() for w in s.thanks])
        self.requests = Lexicon(lemmas=[w for s in self.langs.values() for w in s.requests])

    def _nothing_to_answer(self, ctx: Context) -> bool:
        """«Спасибо, до свидания!», or a bare «спасибо»/«ок» after an answer: the client is not waiting."""
        def compute() -> bool:
            conv = ctx.conv
            pending = conv.pending
            if not pending or any(t.facts.questions for t in pending):
                return False
            if self.done and any(self.done.contains(t.facts) for t in pending):
                return True
            if (self.thanks and conv.operator_turns and any(self.thanks.contains(t.facts) for t in pending)
                    and not any(self.requests.contains(t.facts) for t in pending)
                    and not any(w.lower in _NEGATIONS or w.lower.endswith("n't") for t in pending for w in t.facts.words)):
                # "Finally, it works! Thank you", «Спасибо, перезвоню им»: thanks after an answer — not "it still
                # doesn't work, thanks", which reports a failure
                return True
            if not self.acks or not all(w.lower in self.acks for t in pending for w in t.facts.words):
                return False
            last = next((t for t in reversed(conv.operator_turns)), None)
            # «ок» to «Оформить заказ?» is a yes, and to «минутку, уточню» it waits for the promised answer
            return last is not None and not last.facts.questions and not self.holding.contains(last.facts)
        return ctx.conv.remember((self.serial, "nothing to answer"), compute)

    def _client_left(self, ctx: Context) -> bool:
        """A system note after the client's last message says they left or the chat was closed."""
        if not self.left:
            return False

        def compute() -> bool:
            turns = ctx.conv.turns
            last_client = max((t.index for t in turns if t.role == "client"), default=-1)
            return any(t.role == "system" and self.left.contains(t.facts) for t in turns[last_client + 1:])
        return ctx.conv.remember((self.serial, "left"), compute)

    # --- when does the clock start, and which steps apply ----------------------------------------------
    def _clock(self, ctx: Context) -> tuple[float | None, list[Step], str]:
        """(start time, steps, template name) — start None when the clock is not running."""
        key = f"clock:{self.serial}"
        clock: tuple[float | None, list[Step], str] | None = ctx.scratch.get(key)
        if clock is None:
            clock = ctx.scratch[key] = self._read_clock(ctx)
        return clock

    def _read_clock(self, ctx: Context) -> tuple[float | None, list[Step], str]:
        p = self.params
        conv = ctx.conv
        if p.clock != "draft" and self._client_left(ctx):
            return None, p.steps, "message"
        if p.clock == "client_wait":
            pending = [t.ts for t in conv.pending if t.ts is not None]
            if not pending or self._nothing_to_answer(ctx):
                return None, p.steps, "message"
            if not conv.has_operator_reply and p.first_reply_steps:
                # «greet them now» is for an empty reply box: an operator already writing is told to send
                template = "message" if ctx.draft.words else "message_first"
                return min(pending), p.first_reply_steps, template
            # the draft is already «минуту, уточняю»: say «send it», not «write „one moment“»
            return min(pending), p.steps, "message_send" if self.holding.contains(ctx.draft) else "message"
        if p.clock == "draft":
            started = ctx.request.draft_started_at
            if started is None or not ctx.draft.words:
                return None, p.steps, "message"
            return started, p.steps, "message"
        # client_silence
        last = conv.last_speaker_turn
        if (last is None or last.role != OPERATOR or last.ts is None or not conv.client_turns
                or ctx.draft.words or self._client_said_goodbye(ctx) or self.holding.contains(last.facts)):
            return None, p.steps, "message"
        return last.ts, p.steps, "message"

    def _client_said_goodbye(self, ctx: Context) -> bool:
        last_client = ctx.conv.client_turns[-1]
        return bool(self.done) and self.done.contains(last_client.facts)

    def run(self, ctx: Context) -> Iterator[Warning]:
        start, steps, template_name = self._clock(ctx)
        section = self.section(ctx.lang)
        if start is not None:
            elapsed = ctx.now - start
            step, _ = _step(steps, elapsed)
            if step is not None:
                template = getattr(section, template_name, None) or section.message
                warning = self.warning(ctx, severity=step.severity, template=template,
                                       suggestion=self._suggestion(ctx, self.fix_section(ctx)),
                                       start=0 if self.params.clock == "client_silence" else None,
                                       end=0 if self.params.clock == "client_silence" else None,
                                       wait=format_duration(elapsed, ctx.lang))
                warning.clock = self.params.clock
                warning.since = start
                warning.template = render(template, {})  # {wait} stays for the client to fill
                yield warning
                return
        if self.params.clock == "draft" and self.params.new_client_message and ctx.draft.words:
            started = ctx.request.draft_started_at
            if started is not None and any(t.ts is not None and t.ts > started for t in ctx.conv.pending):
                yield self.warning(ctx, severity=self.params.new_client_severity,
                                   template=section.message_new or section.message, wait="")

    def _suggestion(self, ctx: Context, section: TimerLang) -> str | None:
        # a check-in phrase only makes sense typed into the empty reply box
        if self.params.clock == "client_silence" and section.suggestion:
            return section.suggestion
        return None

    def next_change(self, ctx: Context) -> float | None:
        start, steps, _ = self._clock(ctx)
        if start is None:
            return None
        _, next_after = _step(steps, ctx.now - start)
        return None if next_after is None else start + next_after

