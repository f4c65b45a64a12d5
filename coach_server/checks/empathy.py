"""`empathy`: the client is upset and the draft answers as if nothing happened.

Upset is read from the client's messages since the operator last wrote, and it takes a clear sign: a word or
phrase of anger, disappointment, sarcasm or insult from the rule file («безобразие», «издеваетесь», "worst",
"this is a joke", "you never"), or shouting — several real words in capitals, not acronyms like API or PDF.
Weaker signs — «!!!», «?!», «???», an angry emoji, «опять», «третий день жду» — count only two together:
excitement and confusion use the same punctuation. A problem report («не работает», «ошибка») is not upset.

The draft shows empathy with an apology, a word of understanding or an acknowledgement («извините»,
«понимаю», "sorry", "that's not what we want to hear"). A draft still being typed is given a few words to
get there; a finished curt reply («Фамилия?») to an upset client is the clearest case of ignoring.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

from pydantic import Field

from ..conversation import Turn
from ..models import Warning
from ..text.lexicon import Lexicon
from .base import Check, Context, LangSection, Settings, quote

_HEATED_PUNCTUATION = re.compile(r"!{2,}|\?!|!\?|\?{3,}")
_DISTRESS = frozenset({"HELP", "SOS", "ПОМОГИТЕ", "SOS!"})
_SHORT_WORDS = frozenset("not why how now fix you the and all any can get but was are has had did out".split())
_ANGRY_EMOJI = re.compile("[\U0001F92C\U0001F621\U0001F620\U0001F624\U0001F644\U0001F612\U0001F4A2\U0001F62D\U0001F622]|:\\(|:-\\(|\\(\\(")


class Params(Settings):
    min_draft_words: int = Field(default=3, ge=1, description="while typing, shorter drafts are still being written")
    min_shouted: int = Field(default=2, ge=1, description="words in capitals that make shouting")


class Lang(LangSection):
    upset: list[str] = Field(default_factory=list, description="lemmas and phrases of an upset client")
    upset_forms: list[str] = Field(default_factory=list,
                                   description="…matched as written, where another form is calm: «верните деньги» "
                                               "(not «можно вернуть деньги?»), «достали» (not «где достать»)")
    heated: list[str] = Field(default_factory=list,
                              description="weaker signs («опять», «третий день») — two of them, or one with «!!!»")
    empathy: list[str] = Field(default_factory=list, description="lemmas and phrases that show empathy")
    not_shouting: list[str] = Field(default_factory=list,
                                    description="words in capitals that are no shouting: «ОК», \"HELP\" in a tag")
    screen: list[str] = Field(default_factory=list,
                              description="words after which capitals are quoted, from a screen or a notice: «пишет», \"showing\", \"warning\"")


class EmpathyCheck(Check[Params, Lang]):
    kind = "empathy"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"quote"})

    def compile(self) -> None:
        ru, en = self.langs["ru"], self.langs["en"]
        self.upset = Lexicon(lemmas=ru.upset, words=en.upset + ru.upset_forms + en.upset_forms)
        self.heated = Lexicon(lemmas=ru.heated, words=en.heated)
        self.empathy = Lexicon(lemmas=ru.empathy, words=en.empathy)
        self.not_shouting = frozenset(w.lower() for w in ru.not_shouting + en.not_shouting)
        self.screen = Lexicon(lemmas=ru.screen, words=en.screen)

    def _shouted(self, turn: Turn) -> int:
        """Real words in capitals: «ВЕРНИТЕ», "NEVER" — not acronyms (API, PDF, МФЦ) or single letters."""
        count = 0
        facts = turn.facts
        latin = facts.lang == "en"  # capitals in the other script are names and identifiers (SECRET_KEY, API)
        # "it keeps showing NOT INSTALLED": capitals right after a word of showing are what the screen says
        # ("WARNING! DO NOT CLICK" too; a shouted «ПИШУ ВАМ» is shouting, not a screen)
        screen_ends = {m.last for m in self.screen.find(facts) if not facts.text[m.start:m.end].isupper()
                       or facts.text[m.start:m.end].lower() in self.not_shouting}
        on_screen = False
        previous = -1
        for w in facts.words:
            text = w.token.text
            on_screen = (on_screen or previous in screen_ends) and text.isupper()
            previous = w.index
            if text in _DISTRESS and not on_screen:
                count += 1  # "HELP HELP", «SOS» in any language
                continue
            if len(text) < 3 or not text.isupper() or w.lower in self.not_shouting or w.is_cyrillic == latin \
                    or on_screen or facts.is_quoted(w.token.start, w.token.end):
                continue
            if w.is_cyrillic:
                if w.info.known and not w.info.abbr and len(text) >= 4:
                    count += 1
            elif w.lower in _SHORT_WORDS or (len(text) >= 4 and any(c in "AEIOUY" for c in text)):
                count += 1  # acronyms are short or vowel-less (API, PDF, HTTP); longer ones are listed
        return count

    def _upset(self, turn: Turn) -> bool:
        facts = turn.facts

        def own(lexicon: Lexicon) -> int:  # a quoted error message ("try again") is not the client's voice
            return sum(not facts.is_quoted(m.start, m.end) for m in lexicon.find(facts))

        if own(self.upset) or self._shouted(turn) >= self.params.min_shouted:
            return True
        weak = own(self.heated) + bool(_HEATED_PUNCTUATION.search(facts.text)) \
            + bool(_ANGRY_EMOJI.search(facts.text))
        return weak >= 2

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        if ctx.request.caret is not None and draft.word_count < self.params.min_draft_words:
            return  # still being typed: the apology may come in the next words
        upset_turn = None
        for turn in ctx.conv.pending:
            if ctx.conv.remember((self.serial, turn.index), partial(self._upset, turn)):
                upset_turn = turn
        if upset_turn is None or self.empathy.contains(draft):
            return
        yield self.warning(ctx, start=0, end=0, suggestion=self.fix_section(ctx).suggestion,
                           quote=quote(upset_turn.text))
