"""`empathy`: the client is upset and the draft answers as if nothing happened.

Upset is read from the client's messages since the operator last wrote, and it takes a clear sign: a word or
phrase of anger, disappointment, sarcasm or insult from the rule file («безобразие», «издеваетесь», "worst",
"this is a joke", "you never"), or shouting a demand or a plea ("FIX THIS", "HELP PLEASE!"). Weaker signs —
«!!!», «?!», «???», an angry emoji, «третий день жду», a question in capitals (some people type everything in
capitals) — count only two together:
excitement and confusion use the same punctuation. A problem report («не работает», «ошибка», "still not
working") is not upset, and a message that thanks, greets warmly or laughs ("thanks!!", «спасибо!!!», "lol") is
calm whatever its punctuation: only a clear sign makes it upset.

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
from ..text.analysis import TextFacts
from ..text.lexicon import Lexicon
from .base import Check, Context, LangSection, Settings, quote

_HEATED_PUNCTUATION = re.compile(r"!{2,}|\?!|!\?|\?{3,}")
_ELONGATED = re.compile(r"([^\W\d_])\1{3,}", re.IGNORECASE)


def _drawn_out(facts: TextFacts) -> bool:
    """"whyyyyy", «ужжжжас»: a word drawn out in exasperation (not "XXXX", a masked value of one letter)."""
    return any(_ELONGATED.search(w.lower) and len(set(w.lower)) > 1 for w in facts.words)
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
    calm: list[str] = Field(default_factory=list,
                            description="thanks, warmth and laughter: weak signs in such a message are not upset "
                                        "(«спасибо», \"thanks\", \"lol\")")
    greetings: list[str] = Field(default_factory=list,
                                 description="a greeting the suggested opener goes after: «здравствуйте», \"hello\"")


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
        self.calm = Lexicon(lemmas=ru.calm, words=en.calm)
        self.greetings = Lexicon(lemmas=ru.greetings, words=en.greetings)

    def _shouted(self, turn: Turn) -> tuple[int, int]:
        """The longest run of real words in capitals — «ВЕРНИТЕ ДЕНЬГИ», "FIX THIS" — not acronyms (API, PDF,
        МФЦ), single letters or a product's name standing alone ("my OMEN desktop"); (outside questions,
        inside questions): a question in capitals is often a habit of typing, a demand or a plea in capitals
        ("FIX THIS", "HELP PLEASE!") is shouting."""
        longest = longest_asked = 0
        count = asked = 0
        facts = turn.facts
        in_question = {i for s in facts.sentences if s.is_question_mark for i in range(s.first, s.last)}
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
            shouted = text in _DISTRESS and not on_screen  # "HELP HELP", «SOS» in any language
            if not shouted and not (len(text) < 3 or not text.isupper() or w.lower in self.not_shouting
                                    or w.is_cyrillic == latin or on_screen
                                    or facts.is_quoted(w.token.start, w.token.end)):
                if w.is_cyrillic:
                    shouted = w.info.known and not w.info.abbr and len(text) >= 4
                else:  # acronyms are short or vowel-less (API, PDF, HTTP); longer ones are listed
                    shouted = w.lower in _SHORT_WORDS or (len(text) >= 4 and any(c in "AEIOUY" for c in text))
            if not shouted:
                # «Я», «ВАМ», «УЖЕ» — a short word in capitals sits inside a shouted run without counting
                if not (text.isupper() and w.lower not in self.not_shouting and len(text) <= 3):
                    count = asked = 0
                continue
            if w.index in in_question:
                asked += 1
                longest_asked = max(longest_asked, asked)
            else:
                count += 1
                longest = max(longest, count)
        return longest, longest_asked

    def _upset(self, turn: Turn) -> str | None:
        """How the client shows they are upset: "strong" (a word of anger or insult), "shouting" (a demand or a
        plea in capitals), "weak_signs" (two weaker signs in a message that neither thanks nor laughs), or None."""
        facts = turn.facts

        def own(lexicon: Lexicon) -> int:  # a quoted error message ("try again") is not the client's voice
            return sum(not facts.is_quoted(m.start, m.end) for m in lexicon.find(facts))

        strong = own(self.upset)
        calm = self.calm.contains(facts)
        weak = own(self.heated) + bool(_HEATED_PUNCTUATION.search(facts.text)) \
            + bool(_ANGRY_EMOJI.search(facts.text)) + _drawn_out(facts)
        if strong >= 2 or (strong and (not calm or weak)):
            # one such word in a calm message that thanks ("terrible with names… Thanks, big fan") is a figure of
            # speech; with a weaker sign beside it the thanks is sarcasm
            return "strong"
        if calm:
            return None  # "Thanks so much!!!", «Ахах, опять я 😂»: excitement, not anger
        shouted, asked = self._shouted(turn)
        if shouted >= self.params.min_shouted:
            return "shouting"
        weak += asked >= self.params.min_shouted
        return "weak_signs" if weak >= 2 else None

    def _opener_at(self, ctx: Context) -> int:
        """Where the suggested opener goes: after a greeting that opens the draft («Здравствуйте!»), else first."""
        draft = ctx.draft
        first = draft.sentences[0] if draft.sentences else None
        if first is not None and len(draft.sentence_words(first)) <= 4 and self.greetings.contains(
                draft, first.first, first.last) and first.terminator:
            end = first.end
            while end < len(draft.text) and draft.text[end] == " ":
                end += 1
            return end
        return 0

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        if ctx.request.caret is not None and draft.word_count < self.params.min_draft_words:
            return  # still being typed: the apology may come in the next words
        upset_turn, how = None, None
        for turn in ctx.conv.pending:
            sign = ctx.conv.remember((self.serial, turn.index), partial(self._upset, turn))
            if sign is not None:
                upset_turn, how = turn, sign
        if upset_turn is None or how is None or self.empathy.contains(draft):
            return
        at = self._opener_at(ctx)
        yield self.warning(ctx, start=at, end=at, suggestion=self.fix_section(ctx).suggestion,
                           quote=quote(upset_turn.text), trigger=how)
