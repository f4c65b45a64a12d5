"""`introduction`: the operator's first message in a chat greets the client and says who is writing.

A name tells the client a person is there, not a bot. The name counts when it is the operator's own
(`operator_name`, in any case form: «с вами Анна», «меня зовут Анной»), or, when that is not known, a
capitalised name after an introduction phrase («меня зовут», «с вами», "my name is"). The suggestion
inserts what is missing. When all the client has written is thanks or an «ок, жду», the conversation began
before what the console shows (a transferred chat, an earlier session): no first message to judge.

A greeting with a slip («Здраствуйте», "Helo") is still a greeting: the typo rule corrects it, and inserting
another greeting before it would double it. A name is inserted only when `operator_name` reads as a person's
name: an account's handle ("AppleSupport", "acme_care", "Support Team") is the brand, not the operator.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field
from rapidfuzz import fuzz, process

from ..models import Warning
from ..text import morph
from ..text.analysis import TextFacts
from ..text.lexicon import Lexicon
from .base import Check, Context, LangSection, Settings, render


class Params(Settings):
    require_greeting: bool = True
    require_name: bool = True
    min_draft_words: int = Field(default=1, ge=1)


class Lang(LangSection):
    message_greeting: str = Field(description="only the greeting is missing")
    message_name: str = Field(description="only the name is missing")
    greetings: list[str] = Field(default_factory=list, description="greeting words and phrases")
    introductions: list[str] = Field(default_factory=list, description="«меня зовут», «с вами», \"my name is\"")
    midway: list[str] = Field(default_factory=list,
                              description="words a client writes only in a conversation already under way: "
                                          "«спасибо», «хорошо, жду», \"ok thanks\"")
    suggestion_name: str | None = Field(default=None, description="the sentence that introduces {name}")
    suggestion_greeting: str | None = Field(default=None, description="the greeting to insert")


_SIGNS = frozenset({"-", "—", "–", "~", "^", "/"})
_SLIP_SIMILARITY = 85  # a draft's first word this close to a one-word greeting is that greeting, misspelt
_BRAND_WORDS = frozenset({"support", "care", "help", "helpdesk", "team", "official", "service", "services", "shop",
                          "store", "bank", "inc", "ltd", "llc", "поддержка", "служба", "магазин", "банк", "команда",
                          "сервис", "компания"})


def personal_name(name: str) -> bool:
    """Does `name` read as a person's name («Анна», "Sam Lee", "J. Smith") rather than an account's handle
    ("AppleSupport", "acme_care", "RockstarSupport *SR", "Support Team")?"""
    parts = name.split()
    if not 1 <= len(parts) <= 3:
        return False
    for part in parts:
        letters = part.replace("-", "").replace("'", "").replace(".", "")
        if not letters.isalpha() or not part[:1].isupper() or part.lower() in _BRAND_WORDS:
            return False
        if any(any(c.isupper() for c in piece[1:]) for piece in part.replace("'", "-").split("-")) \
                and not letters.isupper():
            return False  # "AppleSupport": a handle in CamelCase (not "Mary-Jane", "O'Neil")
        if letters.isupper() and len(letters) > 2:
            return False  # "ACME"
    return True


class IntroductionCheck(Check[Params, Lang]):
    kind = "introduction"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"name"})

    def compile(self) -> None:
        ru, en = self.langs["ru"], self.langs["en"]
        self.greetings = Lexicon(words=ru.greetings + en.greetings, lemmas=ru.greetings)
        self.introductions = Lexicon(words=ru.introductions + en.introductions)
        self.midway = frozenset(w for phrase in ru.midway + en.midway for w in phrase.lower().split())
        self.one_word_greetings = sorted({g.lower() for g in ru.greetings + en.greetings if " " not in g.strip()
                                          and len(g) >= 5})

    def _misspelt_greeting(self, draft: TextFacts) -> bool:
        """«Здраствуйте!», "Helllo": the draft opens with a slip of a greeting."""
        first = draft.words[0] if draft.words else None
        if first is None or len(first.lower) < 5:
            return False
        return process.extractOne(first.lower, self.one_word_greetings, scorer=fuzz.ratio,
                                  score_cutoff=_SLIP_SIMILARITY) is not None

    @staticmethod
    def _signed(draft: TextFacts) -> bool:
        """Signed with a name at the end: "-Ronnie", "^Kartika", «— Анна» (not initials like "^KK")."""
        tokens = draft.tokens
        i = next((k for k in range(len(tokens) - 1, -1, -1) if tokens[k].kind == "word"), None)  # the last word
        if i is None:
            return False
        if any(t.kind not in ("punct", "symbol") for t in draft.tokens[i + 1:]):
            return False
        for k in (i, i - 1):  # "-Ronnie" or "~Mark Y."
            if k <= 0:
                continue
            tok, before = draft.tokens[k], draft.tokens[k - 1]
            if tok.kind == "word" and len(tok.text) >= 3 and tok.text[0].isupper() and tok.text[1:].islower() \
                    and before.text in _SIGNS:
                return True
        return False

    def _has_name(self, draft: TextFacts, operator_name: str | None) -> bool:
        if self._signed(draft):
            return True
        if operator_name and operator_name.split():
            wanted = operator_name.split()[0].lower()
            wanted_lemmas = morph.lemma_keys([wanted])
            for w in draft.words:
                if w.lower == wanted or (w.is_cyrillic and not wanted_lemmas.isdisjoint(w.info.lemmas)):
                    return True
            return False
        for m in self.introductions.find(draft):
            nxt = next((w for w in draft.words if w.index > m.last), None)
            if nxt is not None and nxt.token.text[:1].isupper() and nxt.index <= m.last + 2:
                return True
        openers = draft.sentence_openers
        for w in draft.words:
            text = w.token.text
            if not text[:1].isupper() or w.index in openers or text.isupper():
                continue
            if w.is_cyrillic and w.info.name:
                return True  # «…, Мария, менеджер салона»
            if w.token.script == "lat" and text not in ("I", "I'm") and len(text) > 1:
                return True  # English capitalises names only: "Hi there, Anna here"
        return False

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if ctx.conv.has_operator_reply or draft.word_count < self.params.min_draft_words:
            return
        clients = ctx.conv.client_turns
        if clients and all(w.lower in self.midway for turn in clients for w in turn.facts.words):
            return  # «Спасибо, всё понятно!», "ok, waiting": the start of this conversation is not on screen
        greetings = self.greetings.find(draft)
        greeted = bool(greetings) or not self.params.require_greeting or self._misspelt_greeting(draft)
        named = self._has_name(draft, ctx.request.operator_name) or not self.params.require_name
        if greeted and named:
            return
        section = self.section(ctx.lang)
        fix = self.fix_section(ctx)
        name = (ctx.request.operator_name or "").strip()
        values = {"name": name}
        if not personal_name(name):
            name = ""  # a brand's account is not the operator's own name: nothing to insert
        if not greeted and not named:
            text = fix.suggestion or ""
            if not name:
                text = fix.suggestion_greeting or ""
            yield self.warning(ctx, start=0, end=0, suggestion=render(text, values) or None, trigger="neither",
                               **values)
        elif not greeted:
            yield self.warning(ctx, start=0, end=0, template=section.message_greeting,
                               suggestion=render(fix.suggestion_greeting or "", values) or None,
                               trigger="no_greeting", **values)
        else:
            suggestion = None
            where = None
            first = greetings[0] if greetings else None  # none: a misspelt greeting, fixed by the typo rule first
            sentence = None if first is None else next((s for s in draft.sentences if s.start <= first.start < s.end),
                                                       None)
            # only after a sentence that is the greeting itself («Здравствуйте!|», «Добрый день, Иван!|»): put
            # into a longer sentence, the introduction would land after words it has nothing to do with
            alone = first is not None and sentence is not None and \
                len(draft.sentence_words(sentence)) <= first.last - first.first + 2
            if name and fix.suggestion_name and alone and sentence is not None:
                where = sentence.end
                suggestion = render(fix.suggestion_name, values)
                if not sentence.terminator:
                    suggestion = "!" + suggestion  # «Здравствуйте» → «Здравствуйте! Меня зовут Анна.»
            yield self.warning(ctx, start=where, end=where, template=section.message_name,
                               suggestion=suggestion, trigger="no_name", **values)
