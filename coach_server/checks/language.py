"""`language`: answering in another language than the client writes in.

The client's language is judged on their latest messages (or the request's `lang` when they have not
written yet); the draft's on its words. Brand and product names in Latin letters inside Russian text
(«iPhone», «WhatsApp») are not English; English is told by its function words.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from .base import Check, Context, LangSection, Settings


class Params(Settings):
    min_words: int = Field(default=2, ge=1, description="words of the other language needed to be sure")


class LanguageCheck(Check[Params, LangSection]):
    kind = "language"
    needs_conversation = True
    Params = Params
    Lang = LangSection
    placeholders = frozenset()

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        client = ctx.conv.client_lang or ctx.request.lang
        if client is None or draft.lang is None or draft.lang == client:
            return
        ru, en = draft.language_evidence
        if (en if draft.lang == "en" else ru) < self.params.min_words:
            return
        text = draft.text
        start = len(text) - len(text.lstrip())
        yield self.warning(ctx, start=start, end=len(text.rstrip()))
