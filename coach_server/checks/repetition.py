"""`repetition`: the draft is a near-copy of something the operator already sent in this chat.

Clients notice a template the second time and stop trusting the person behind it. Texts are compared
after folding case, «ё» and punctuation, with rapidfuzz's ratio; short acknowledgements («Хорошо!») are
allowed to repeat, and so is a frame filled with other data (another order's number, date, link or code:
the answer to another question), and a stock question standing alone ("Is there anything else I can help you
with?", «Вы ещё здесь?»): asking again is a check-in, not a template.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from ..models import Warning
from ..text.analysis import TextFacts
from .base import Check, Context, LangSection, Settings, format_duration, quote


class Params(Settings):
    min_similarity: float = Field(default=88, ge=50, le=100, description="rapidfuzz ratio, 0–100")
    min_chars: int = Field(default=25, ge=1, description="shorter drafts may repeat («Спасибо!»)")


_DATA_KINDS = frozenset({"number", "url", "email", "phone"})


def data_of(facts: TextFacts) -> frozenset[str]:
    """Numbers, links, addresses and codes («RU456»): what a filled-in template says that is new."""
    return frozenset(t.text.lower() for t in facts.tokens
                     if t.kind in _DATA_KINDS or (t.kind == "word" and any(c.isdigit() for c in t.text)))


# Comparing two texts costs their lengths multiplied: twenty 20,000-character messages against a draft as
# long held the event loop 58 ms in one piece (issue 19). A text longer than this is compared by its first
# and last halves of it — a re-sent template shows there — so one check stays a few milliseconds.
MAX_COMPARED = 4_000


def normalize(text: str) -> str:
    """Lower case, «ё» as «е», punctuation as spaces (rapidfuzz's own processor, in C); a text longer than
    MAX_COMPARED by its beginning and its end."""
    folded = default_process(text.replace("ё", "е").replace("Ё", "Е"))
    if len(folded) > MAX_COMPARED:
        half = MAX_COMPARED // 2
        folded = folded[:half] + folded[-half:]
    return folded


class RepetitionCheck(Check[Params, LangSection]):
    kind = "repetition"
    needs_conversation = True
    language_neutral = True  # what it decides does not depend on the language
    Params = Params
    Lang = LangSection
    placeholders = frozenset({"similarity", "ago", "quote"})

    def run(self, ctx: Context) -> Iterator[Warning]:
        sentences = ctx.draft.sentences
        if len(sentences) == 1 and sentences[0].is_question_mark:
            return  # a stock question on its own: asking again is a check-in
        draft = normalize(ctx.draft.text)
        if len(draft) < self.params.min_chars:
            return
        choices, turns = ctx.conv.remember((self.serial, "normalized"), lambda: (
            [normalize(t.text) for t in ctx.conv.operator_turns], ctx.conv.operator_turns))
        if not choices:
            return
        best = process.extractOne(draft, choices, scorer=fuzz.ratio, score_cutoff=self.params.min_similarity)
        if best is None:
            return
        _, score, index = best
        turn = turns[index]
        data = data_of(ctx.draft)
        if data and data != ctx.conv.remember((self.serial, "data", turn.index), lambda: data_of(turn.facts)):
            return  # «Заказ 123 отправлен» after «Заказ 122 отправлен»: the same frame, another answer
        ago = format_duration(ctx.now - turn.ts, ctx.lang) if turn.ts is not None else ""
        text = ctx.draft.text
        start = len(text) - len(text.lstrip())
        yield self.warning(ctx, start=start, end=len(text.rstrip()),
                           similarity=round(score), ago=ago, quote=quote(turn.text))
