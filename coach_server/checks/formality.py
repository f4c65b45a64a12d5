"""`formality`: «ты», «привет» and ты-verbs while the client keeps to «вы» (or is not informal at all).

Write a little more formally than the client: an informal client may be answered simply, a formal one
never with «ты». The client's register is read from all their messages (вы-pronouns, «здравствуйте»,
plural imperatives vs ты-pronouns, «привет», singular verbs). Each informal word in the draft is flagged
with its formal counterpart: a listed swap, or the вы-form pymorphy3 inflects («посмотри» → «посмотрите»).
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..conversation import Conversation
from ..models import Warning
from ..text import morph
from ..text.analysis import TextFacts, Word
from ..text.lexicon import Lexicon
from ..text.vocab import RU_FORMAL_PRONOUNS, RU_INFORMAL_PRONOUNS
from .base import Check, Context, LangSection, Settings
from .lexicon import match_case

FORMAL, INFORMAL, NEUTRAL = "formal", "informal", "neutral"


class Params(Settings):
    flag_when_neutral: bool = Field(default=True, description="also when the client shows no register yet")


class Lang(LangSection):
    message_neutral: str | None = Field(default=None, description="when the client's register is not known")
    informal_words: list[str] = Field(default_factory=list, description="«приветик», \"dude\"")
    casual_words: list[str] = Field(default_factory=list,
                                    description="casual, not rude (\"hey\"): flagged only when the client writes formally")
    formal_words: list[str] = Field(default_factory=list, description="client words that show a formal tone")
    swap: dict[str, str] = Field(default_factory=dict, description="informal word → formal one")


def _ty_verb(w: Word) -> bool:
    """A verb on «ты»: «можешь», «посмотри» — not a past tense that reads the same («нашли», «пришли»), not an
    abbreviation in capitals («СР»), not a word too short to tell."""
    info = w.info
    if len(w.lower) < 3 or w.token.text.isupper() or not info.known:
        return False
    if info.second_singular:
        return True
    return info.impr and info.impr_singular and not info.impr_plural and not info.past_too


class FormalityCheck(Check[Params, Lang]):
    kind = "formality"
    typing_reach = "word"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"match", "replacement"})

    def compile(self) -> None:
        ru, en = self.langs["ru"], self.langs["en"]
        # informal: the listed words and the ты-pronouns of the Russian swap; casual words only as listed
        casual = {w.lower() for w in ru.casual_words + en.casual_words}
        informal = [w for w in ru.informal_words + en.informal_words + list(ru.swap) if w.lower() not in casual]
        self.informal = Lexicon(words=informal)
        self.casual = Lexicon(words=sorted(casual))
        self.formal = Lexicon(words=ru.formal_words + en.formal_words)
        self.swap = {k.lower(): v for s in (ru, en) for k, v in s.swap.items()}

    def _marks(self, facts: TextFacts) -> tuple[int, int]:
        """(formal, informal) signals in one text — a client's casual "hey" counts as informal: a client who was
        casual first may be answered in kind."""
        formal = len(self.formal.find(facts))
        informal = len(self.informal.find(facts)) + len(self.casual.find(facts))
        for w in facts.words:
            if w.lower in RU_FORMAL_PRONOUNS:
                formal += 1
            elif w.lower in RU_INFORMAL_PRONOUNS:
                informal += 1
            elif w.info.pos == "VERB" and w.is_cyrillic:
                if _ty_verb(w):
                    informal += 1
                elif w.info.impr and w.info.impr_plural:
                    formal += 1
        return formal, informal

    def client_register(self, conv: Conversation) -> str:
        def compute() -> str:
            formal = informal = 0
            for turn in conv.client_turns:
                f, i = self._marks(turn.facts)
                formal += f
                informal += i
            if informal and informal >= formal:
                return INFORMAL
            return FORMAL if formal else NEUTRAL
        return conv.remember((self.serial, "register"), compute)

    def _informal_spans(self, draft: TextFacts, register: str) -> list[tuple[int, int, str]]:
        """(start, end, formal replacement or "") for each informal word of the draft."""
        spans: list[tuple[int, int, str]] = []
        matches = self.informal.find(draft) + (self.casual.find(draft) if register == FORMAL else [])
        for m in matches:
            text = draft.text[m.start:m.end]
            spans.append((m.start, m.end, match_case(text, self.swap.get(text.lower(), ""))))
        taken = {s for s, _, _ in spans}
        for w in draft.words:
            if w.token.start in taken or not w.is_cyrillic:
                continue
            if w.lower in RU_INFORMAL_PRONOUNS:
                spans.append((w.token.start, w.token.end, match_case(w.token.text, self.swap.get(w.lower, ""))))
            elif w.info.pos == "VERB" and _ty_verb(w):
                plural = morph.inflect_plural(w.lower) or ""
                spans.append((w.token.start, w.token.end, match_case(w.token.text, plural)))
        return sorted(spans)

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        register = self.client_register(ctx.conv)
        if register == INFORMAL or (register == NEUTRAL and not self.params.flag_when_neutral):
            return
        section = self.section(ctx.lang)
        template = section.message if register == FORMAL else (section.message_neutral or section.message)
        for start, end, replacement in self._informal_spans(draft, register):
            if draft.is_quoted(start, end) or ctx.typing(start, end):
                continue
            yield self.warning(ctx, start=start, end=end, template=template, suggestion=replacement or None,
                               match=draft.text[start:end], replacement=replacement,
                               trigger="formal_client" if register == FORMAL else "neutral_client")
