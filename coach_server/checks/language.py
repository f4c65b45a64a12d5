"""`language`: answering in another language than the client writes in.

The client's language is judged on their latest messages (or the request's `lang` when they have not
written yet); the draft's on its words (`text.language`). Only Russian and English are compared: a client
who writes Spanish or Japanese, or too little to tell («Ок», "thx"), is not judged. Pasted logs, code and
quotes are not the client's language; brand and product names in Latin letters inside Russian text
(«iPhone», «WhatsApp») are not English.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from ..text.language import preload
from .base import Check, Context, LangSection, Settings


class Params(Settings):
    min_words: int = Field(default=2, ge=1, description="words of the other language needed to be sure")


class Lang(LangSection):
    client_names: dict[str, str] = Field(
        default_factory=dict, description="{client} in the message: the client's language as this section "
                                          "names it (ru → «по-русски»); the message may be read by an operator "
                                          "whose language is not the client's")


class LanguageCheck(Check[Params, Lang]):
    kind = "language"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"client"})

    def compile(self) -> None:
        preload()

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        conv = ctx.conv
        client = conv.client_lang if conv.client_language is not None else ctx.request.lang
        if client is None:
            return
        # the usual case, decided without identifying the draft: no word in the other language's script
        other_script = "lat" if client == "ru" else "cyr"
        if not any(w.token.script == other_script for w in draft.words):
            return
        if draft.lang is None or draft.lang == client:
            return
        found = draft.language_evidence
        if (found.en if draft.lang == "en" else found.ru) < self.params.min_words:
            return
        text = draft.text
        start = len(text) - len(text.lstrip())
        yield self.warning(ctx, start=start, end=len(text.rstrip()),
                           client=self.section(ctx.lang).client_names.get(client, client))
