"""`deferral`: sending the client away — «обратитесь позже», «напишите завтра» — with no contact taken and
no time promised. The client came now; if the answer needs time, take a contact or say when.

A deferral is a verb of coming back addressed to the client followed, in the same sentence, by a word
of "later". It is fine when the draft promises a time («до 18:00», «через 2 часа») or takes a contact
(«оставьте телефон», «мы перезвоним»).
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..models import Warning
from ..text.analysis import TextFacts
from ..text.lexicon import Lexicon
from ..text.morph import lemma_keys
from .base import Check, Context, LangSection, Settings

_MODALS = frozenset({"мочь", "можно", "стоить", "лучше", "придётся", "прийтись", "нужно", "надо", "необходимо"})


class Params(Settings):
    window: int = Field(default=5, ge=1, description="words between the verb and «позже»")


class Lang(LangSection):
    verbs: list[str] = Field(default_factory=list, description="coming back: «обратиться», «написать»")
    later: list[str] = Field(default_factory=list, description="«позже», «завтра», «в другой раз»")
    time_words: list[str] = Field(default_factory=list, description="a number with these is a time: «час»")
    contact: list[str] = Field(default_factory=list, description="taking a contact (any form): «телефон»")
    promises: list[str] = Field(default_factory=list,
                                description="the operator will come back (exact forms): «перезвоним»")
    retry_objects: list[str] = Field(
        default_factory=list,
        description="«оплатить», \"purchase\": «попробуйте оплатить позже» is advice about the client's own try")


class DeferralCheck(Check[Params, Lang]):
    kind = "deferral"
    typing_reach = "sentence"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"match"})

    def compile(self) -> None:
        ru, en = self.langs["ru"], self.langs["en"]
        self.verbs = Lexicon(lemmas=ru.verbs, words=en.verbs)
        self.later = Lexicon(lemmas=ru.later, words=en.later)
        self.time_words = lemma_keys(ru.time_words + en.time_words)
        self.contact = Lexicon(lemmas=ru.contact + en.contact, words=ru.promises + en.promises)
        self.retry_objects = Lexicon(lemmas=ru.retry_objects + en.retry_objects)

    def _time_promised(self, draft: TextFacts) -> bool:
        tokens = draft.tokens
        for i, tok in enumerate(tokens):
            if tok.kind != "number":
                continue
            if ":" in tok.text:
                return True  # 15:00
            for j in range(i + 1, min(i + 3, len(tokens))):
                word = draft.word_at.get(j)
                if word is not None and (word.lower in self.time_words
                                         or not self.time_words.isdisjoint(word.info.lemmas)):
                    return True  # «через 2 часа», «в 10 утра»
            for prev in tokens[max(0, i - 2):i]:
                if prev.kind == "word" and prev.lower in ("после", "до", "к", "в", "at", "by", "after", "before"):
                    return True
        return False

    @staticmethod
    def _to_client(draft: TextFacts, index: int) -> bool:
        """Is the verb addressed to the client: «обратитесь», «вы можете обратиться», «лучше написать»?"""
        word = draft.word_at[index]
        if not word.is_cyrillic:
            return True  # English verbs are listed in their addressed form ("come back", "try again")
        info = word.info
        if info.impr or info.second_plural:
            return True
        if info.pos == "INFN":
            prev = next((draft.word_at[i] for i in range(index - 1, max(-1, index - 3), -1) if i in draft.word_at),
                        None)
            return prev is not None and (prev.info.second_plural or prev.info.lemma in _MODALS)
        return False

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        verbs = self.verbs.find(draft)
        if not verbs:
            return
        for sentence in draft.sentences:
            for verb in (v for v in verbs if sentence.first <= v.first < sentence.last):
                if not self._to_client(draft, verb.first):
                    continue  # «мы напишем позже» is a promise, not a deferral
                limit = min(sentence.last, verb.last + 1 + self.params.window * 2)
                later = self.later.find(draft, verb.last + 1, limit)
                if not later:
                    continue
                if self._time_promised(draft) or self.contact.contains(draft):
                    return
                if self.retry_objects.contains(draft, sentence.first, sentence.last):
                    continue  # "try the purchase again later", «попробуйте оплатить позже»: advice, not a brush-off
                start, end = verb.start, later[0].end
                yield self.warning(ctx, start=start, end=end, match=draft.text[start:end],
                                   suggestion=self.fix_section(ctx).suggestion)
                return
