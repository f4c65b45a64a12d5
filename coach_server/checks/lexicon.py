"""`lexicon`: words and phrases the operator should not write (slang, negative wording, company taboos).

`mode = "any"` flags each occurrence; `mode = "whole"` flags a draft made of nothing but listed words
(«Да.», "Ok") — a bare answer. `bare_words`/`bare_lemmas` are flagged only in a short draft that says nothing
else (at most `bare_max_words` words): «Так не положено.» is a curt refusal, while the same impersonal words in
a longer reply state a policy or a fact («такой возможности не предусмотрено, но…»). Their warnings carry the
trigger `bare`; the others `main`.

An occurrence is not flagged when it is quoted, in a question (`skip_questions`), right after a word that
makes it conditional (`skip_after`: «если не получится»), right before a word that turns it into praise or
empathy (`skip_before`: «не могу не согласиться», "can't thank you enough"), when the draft also says one
of the language section's `unless` phrases (a refusal that already offers what we can do: «но можно…», "you can…"), or when it is
glued to a number or a mark (`skip_codes`: "1k subs", "K-12", an agent's initials "^KK", "/NP").
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ..models import Warning
from ..text.lexicon import Lexicon, Match
from .base import Check, Context, LangSection, Reach, Settings


class Params(Settings):
    mode: Literal["any", "whole"] = "any"
    max_words: int = Field(default=3, ge=1, description="whole mode: drafts of at most this many words")
    skip_after: list[str] = Field(default_factory=list,
                                  description="not flagged right after these words («если не получится»)")
    skip_window: int = Field(default=2, ge=1, le=10, description="how many words back skip_after looks")
    skip_before: list[str] = Field(default_factory=list,
                                   description="not flagged right before these words: «не могу не согласиться», "
                                               "\"can't thank you enough\", «невозможно представить»")
    skip_quoted: bool = Field(default=True, description="words inside quotation marks are quoted, not said")
    skip_questions: bool = Field(default=False, description="not flagged inside a sentence ending with «?»")
    skip_codes: bool = Field(default=True, description="a word glued to a digit or a mark («1k», «K-12», «^KK») "
                                                       "is a code or initials, not the word")
    bare_max_words: int = Field(default=8, ge=1, description="bare_words are flagged only in drafts this short")


class Lang(LangSection):
    words: list[str] = Field(default_factory=list, description="exact forms (case-insensitive), phrases allowed")
    lemmas: list[str] = Field(default_factory=list, description="any inflected form of these words")
    swap: dict[str, str] = Field(default_factory=dict, description="form → the word to write instead")
    unless: list[str] = Field(default_factory=list,
                              description="not flagged when the draft also has one of these (exact forms, phrases)")
    unless_lemmas: list[str] = Field(default_factory=list, description="the same, in any inflected form")
    bare_words: list[str] = Field(default_factory=list,
                                  description="flagged only in a short draft that says nothing else (exact forms)")
    bare_lemmas: list[str] = Field(default_factory=list, description="the same, in any inflected form")


# "" (the text's edge) is in neither set: `in` on a frozenset of characters is False for it
_CURRENCY = frozenset("$€£¥₽₹₴₸")
_GLUE_BEFORE = frozenset("^/@#_\\") | _CURRENCY
_GLUE_AFTER = frozenset("_@/\\") | _CURRENCY


def glued(text: str, start: int, end: int) -> bool:
    """Is text[start:end] glued to a digit or a mark: "1k", "K-12", "^KK", "/NP", "@u", "R$50", "US$"? A
    single letter beside a full stop is an initial or an abbreviation ("U.S.", "J. Smith", «А.В.»), and a
    single capital letter standing alone is an initial or a name of a thing ("Plan B"), not slang."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before.isdigit() or after.isdigit() or before in _GLUE_BEFORE or after in _GLUE_AFTER:
        return True
    if end - start == 1 and (after == "." or before == "." or text[start].isupper()):
        return True
    return after == "-" and text[end + 1:end + 2].isdigit()


def match_case(original: str, replacement: str) -> str:
    if original[:1].isupper() and replacement:
        return replacement[0].upper() + replacement[1:]
    return replacement



LexiconLang = Lang  # the section model under a name the class attribute `Lang` does not shadow

class LexiconCheck(Check[Params, Lang]):
    kind = "lexicon"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"match", "replacement"})
    typing_reach = "word"

    def reach(self) -> Reach:
        if self.params.mode == "whole" or any(s.unless or s.unless_lemmas for s in self.langs.values()):
            return "message"  # the whole draft decides: «Да» alone, or an «unless» phrase anywhere
        if self.params.skip_before or self.params.skip_questions:
            return "sentence"  # the words after it («не могу не …», a «?» at the sentence's end)
        return "word"

    def compile(self) -> None:
        words: list[str] = []
        lemmas: list[str] = []
        unless: list[str] = []
        unless_lemmas: list[str] = []
        self.swap: dict[str, str] = {}
        for section in self.langs.values():
            words += section.words + list(section.swap)
            lemmas += section.lemmas
            unless += section.unless
            unless_lemmas += section.unless_lemmas
            self.swap.update({k.lower(): v for k, v in section.swap.items()})
        self.lexicon = Lexicon(words=words, lemmas=lemmas)
        self.bare = Lexicon(words=[w for s in self.langs.values() for w in s.bare_words],
                            lemmas=[w for s in self.langs.values() for w in s.bare_lemmas])
        self.unless = Lexicon(words=unless, lemmas=unless_lemmas)
        self.skip_after = frozenset(w.lower() for w in self.params.skip_after)
        self.skip_before = frozenset(w.lower() for w in self.params.skip_before)


    @classmethod
    def validate_langs(cls, langs: dict[str, LexiconLang]) -> list[tuple[str, str]]:
        if not any(s.words or s.lemmas or s.swap or s.bare_words or s.bare_lemmas for s in langs.values()):
            return [("ru.words", "a lexicon rule needs at least one of words, lemmas or swap")]
        return []

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        if self.params.mode == "whole":
            if draft.word_count <= self.params.max_words:
                yield from self._whole(ctx, self.lexicon.find(draft))
            return
        matches = [(m, "main") for m in self.lexicon.find(draft)]
        if self.bare and draft.word_count <= self.params.bare_max_words:
            matches += [(m, "bare") for m in self.bare.find(draft)]
            matches.sort(key=lambda pair: pair[0].start)
        if matches and self.unless and self.unless.contains(draft):
            return  # the draft already offers what the listed words seem to refuse
        for m, trigger in matches:
            if self.params.skip_quoted and draft.is_quoted(m.start, m.end):
                continue
            if self.skip_after and self._after_skip_word(ctx, m.first):
                continue
            if self.skip_before and self._before_skip_word(ctx, m.last):
                continue
            if self.params.skip_codes and glued(draft.text, m.start, m.end):
                continue
            if self.params.skip_questions and any(
                    s.first <= m.first < s.last and s.is_question_mark for s in draft.sentences):
                continue
            if ctx.typing(m.start, m.end):
                continue
            text = draft.text[m.start:m.end]
            replacement = self.swap.get(text.lower())
            suggestion = match_case(text, replacement) if replacement else None
            yield self.warning(ctx, start=m.start, end=m.end, suggestion=suggestion,
                               match=text, replacement=suggestion or "", trigger=trigger)

    def _after_skip_word(self, ctx: Context, first_token: int) -> bool:
        draft = ctx.draft
        seen = 0
        i = first_token - 1
        while i >= 0 and seen < self.params.skip_window:
            tok = draft.tokens[i]
            if tok.kind == "word":
                if tok.lower in self.skip_after:
                    return True
                seen += 1
            elif tok.text in ".!?\n;":
                break
            i -= 1
        return False

    def _before_skip_word(self, ctx: Context, last_token: int) -> bool:
        tokens = ctx.draft.tokens
        nxt = last_token + 1
        return nxt < len(tokens) and tokens[nxt].kind == "word" and tokens[nxt].lower in self.skip_before

    def _whole(self, ctx: Context, matches: list[Match]) -> Iterator[Warning]:
        draft = ctx.draft
        if draft.word_count > self.params.max_words or draft.links or draft.has_number:
            return
        covered: set[int] = set()
        for m in matches:
            covered.update(range(m.first, m.last + 1))
        if all(w.index in covered for w in draft.words):
            start, end = draft.words[0].token.start, draft.words[-1].token.end
            text = draft.text[start:end]
            yield self.warning(ctx, start=start, end=end, match=text, replacement="")
