"""`question_coverage`: a client question since the operator last wrote that the draft does not address.

Addressing is judged on meaning, not wording: a question and the draft share a lemma («сколько дней
займёт» — «займёт 3 дня»), or a synonym group from the rule file (цена/стоимость/стоить), or the draft
answers the kind of question («сколько», "how much" → a number; «есть ли», "do you" → «да»/«нет»).
A holding reply («минутку, уточню»), a greeting, or a clarifying question back are not judged yet.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..conversation import Turn
from ..models import Warning
from ..text.analysis import TextFacts, is_topic_word
from ..text.lexicon import Lexicon
from ..text.morph import lemma_keys
from ..text.tokens import Sentence
from ..text.vocab import RU_INTERROGATIVES
from .base import Check, Context, LangSection, Settings, quote


class Params(Settings):
    min_draft_words: int = Field(default=3, ge=1,
                                 description="while typing (caret known), shorter drafts are not judged yet")


class Lang(LangSection):
    message_many: str | None = Field(default=None, description="when several questions are left: {count}")
    holding: list[str] = Field(default_factory=list,
                               description="a holding reply («минутку», «уточню») — the answer comes next")
    greetings: list[str] = Field(default_factory=list, description="words of a greeting or introduction")
    greeting_phrases: list[str] = Field(default_factory=list,
                                        description="«добрый день»: its «день» answers no «когда»")
    synonyms: list[list[str]] = Field(default_factory=list, description="groups of words that mean one topic")
    typed_questions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="question word → words that answer it besides a number: «когда» → «завтра», «через»…")
    yes_no_answers: list[str] = Field(default_factory=list, description="«да», «нет», «конечно»")
    rhetorical: list[str] = Field(default_factory=list,
                                  description="questions with these are exclamations, not questions: «сколько можно»")


class QuestionCoverageCheck(Check[Params, Lang]):
    kind = "question_coverage"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"question", "count"})

    def compile(self) -> None:
        self.holding = Lexicon(lemmas=[w for s in self.langs.values() for w in s.holding])
        self.greeting_lemmas = lemma_keys(w for s in self.langs.values() for w in s.greetings)
        self.group_of: dict[str, str] = {}
        for section in self.langs.values():
            for group in section.synonyms:
                self.group_of.update(dict.fromkeys(lemma_keys(group), group[0].lower()))
        # a typed question («когда», «сколько», "how much") is answered by a number or one of its words
        self.typed: list[tuple[Lexicon, Lexicon]] = [
            (Lexicon(lemmas=[key]), Lexicon(lemmas=answers))
            for s in self.langs.values() for key, answers in s.typed_questions.items()
        ]
        self.yes_no = frozenset(w.lower() for s in self.langs.values() for w in s.yes_no_answers)
        self.rhetorical = Lexicon(lemmas=[w for s in self.langs.values() for w in s.rhetorical])
        self.greeting_phrases = Lexicon(lemmas=[w for s in self.langs.values() for w in s.greeting_phrases])

    def _topics(self, lemmas: frozenset[str]) -> set[str]:
        return {self.group_of.get(lemma, lemma) for lemma in lemmas}

    def _question_topics(self, facts: TextFacts, sentence: Sentence) -> set[str]:
        return self._topics(frozenset(w.info.lemma for w in facts.sentence_words(sentence) if is_topic_word(w)))

    def _is_yes_no(self, facts: TextFacts, sentence: Sentence) -> bool:
        words = facts.sentence_words(sentence)
        if not words:
            return False
        if any(w.lower in ("если", "if") for w in words):
            return False  # «А если есть долг?» asks what then: an open question, not a yes or no
        first = words[1] if words[0].lower == "а" and len(words) > 1 else words[0]
        if first.is_cyrillic:
            # «Есть ли…», «Можно…», «Доставляете в Казань?» — not «Сколько…», «Когда…»
            return "ли" in facts.forms_of(words) or first.info.pos in ("VERB", "PRED") \
                or first.lower in ("есть", "можно") or not any(w.lower in RU_INTERROGATIVES for w in words)
        return first.lower in ("is", "are", "do", "does", "did", "can", "could", "will", "would", "have", "has")

    def _typed(self, facts: TextFacts, sentence: Sentence) -> list[Lexicon]:
        """The answer word lists of the typed question words in the sentence («когда», «сколько»)."""
        return [answers for key, answers in self.typed if key.contains(facts, sentence.first, sentence.last)]

    def _answers(self, ctx: Context, answers: Lexicon) -> bool:
        """Does the draft hold one of these answer words outside a greeting («Добрый день» is no «когда»)?"""
        greeting = {i for m in self.greeting_phrases.find(ctx.draft) for i in range(m.first, m.last + 1)}
        return any(m.first not in greeting for m in answers.find(ctx.draft))

    def _question(self, ctx: Context, turn: Turn, sentence: Sentence) -> tuple[bool, set[str], list[Lexicon], bool]:
        """What a client question is (rhetorical?, topics, typed answers, yes/no?) — worked out once per chat."""
        def compute():
            facts = turn.facts
            return (self.rhetorical.contains(facts, sentence.first, sentence.last),
                    self._question_topics(facts, sentence), self._typed(facts, sentence),
                    self._is_yes_no(facts, sentence))
        return ctx.conv.remember((self.serial, turn.index, sentence.first), compute)

    def _addressed(self, ctx: Context, draft_topics: set[str], turn: Turn, sentence: Sentence) -> bool:
        rhetorical, topics, typed, yes_no = self._question(ctx, turn, sentence)
        if rhetorical:
            return True  # «Сколько можно ждать?!» wants an apology, not a number
        if not topics:
            return True  # «Вы тут?» — any reply answers it
        if typed:
            # «Когда привезут заказ?» is not answered by «Заказ оформлен»: it needs a time
            return ctx.draft.has_number or any(self._answers(ctx, answers) for answers in typed)
        if topics & draft_topics:
            return True
        # «Здравствуйте! Да, есть.»: a yes or no opening any sentence of the draft
        draft = ctx.draft
        return yes_no and any(draft.word_at[i].lower in self.yes_no for i in draft.sentence_openers)

    def _checkable_alone(self, ctx: Context, turn: Turn, sentence: Sentence) -> bool:
        """Can we tell on its own that this question went unanswered? Yes for a question that wants a
        number, time or place («сколько», «когда», «где») or a yes/no («Доставляете в Казань?»); an open
        question («Как оформить возврат?») may be answered in words it does not share — it is only judged
        when the draft answers another question of the client's and skips it."""
        _, _, typed, yes_no = self._question(ctx, turn, sentence)
        return bool(typed) or yes_no

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if ctx.request.caret is not None and (
                draft.word_count + sum(1 for t in draft.tokens if t.kind == "number") < self.params.min_draft_words):
            return  # still being typed
        questions = ctx.conv.open_questions
        if not questions:
            return
        caret = ctx.request.caret
        if caret is not None and draft.sentences:
            last = draft.sentences[-1]
            if not last.terminator and len(draft.sentence_words(last)) < 4 and caret >= last.end:
                return  # a sentence just begun: let the operator get to the answer
        # a draft made only of questions is a clarifying question back; of greetings or «минутку» — a hold
        statements = [s for s in draft.sentences if not draft.is_question(s)]
        if not statements:
            return
        if self.holding.contains(draft):
            return
        # what the draft is about: not the half-typed word, not a greeting, not the operator's own name
        openers = draft.sentence_openers
        lemmas = frozenset(w.info.lemma for w in draft.words
                           if is_topic_word(w) and not ctx.typing(w.token.start, w.token.end)
                           and not (w.token.text[:1].isupper() and (w.info.name or (
                               w.token.script == "lat" and w.index not in openers))))
        draft_topics = self._topics(lemmas - self.greeting_lemmas)
        if lemmas and not draft_topics:
            return  # only a greeting or an introduction so far: the answer comes next
        left = [(t, s) for t, s in questions if not self._addressed(ctx, draft_topics, t, s)]
        if len(left) == len(questions):  # nothing answered: only the questions that show it count
            left = [(t, s) for t, s in left if self._checkable_alone(ctx, t, s)]
        if not left:
            return
        section = self.section(ctx.lang)
        turn, sentence = left[0]
        text = turn.facts.sentence_text(sentence)
        if len(left) > 1 and section.message_many:
            yield self.warning(ctx, template=section.message_many, count=len(left), question=quote(text))
        else:
            yield self.warning(ctx, question=quote(text), count=len(left))
