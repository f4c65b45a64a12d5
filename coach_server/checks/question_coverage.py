"""`question_coverage`: a client question since the operator last wrote that the draft does not address.

Precision first: it speaks only where it can tell. A question counts as addressed when the draft shares its
topic (lemmas, synonym groups from the rule file, the sentence before it when the question only says "this"),
answers its kind («сколько», "how much" → a number of the right sort or an answer word; «есть ли», "do you" →
a yes, a no or a negative statement), or says honestly that there is no answer yet («пока неизвестно»,
"we can't confirm a timeline"). It stays silent while the draft is still a greeting, holds («минутку,
уточню»), hands the case over («напишите на почту», "DM us"), or asks something back — a clarifying
question is how the answer starts. Requests for help ("Can you help?", «Помогите!»), rhetorical and
exasperated questions («Сколько можно ждать?!») and long story-like questions are not judged. A question
left alone is flagged when the draft answers another one and skips it, or when it wants a number, time or
place — or a yes or no — and the draft, about something else, gives none; and when a question about the business
(«Есть ли у вас…?», «Какие у вас карты?», «Когда привезут?») is met with a brush-off to the website and no
answer of its own («Все условия есть на сайте»). A draft with a link is not judged: a link may answer.

Each way of being left unanswered is a trigger of its own (its precision is measured apart): `skipped_one`,
`typed_unrelated`, `yes_no_unrelated`, `brush_off`.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import Field

from ..conversation import Turn
from ..models import Warning
from ..text.analysis import TextFacts, Word, is_topic_word
from ..text.lexicon import Lexicon
from ..text.morph import lemma_keys
from ..text.tokens import Sentence
from ..text.vocab import RU_INTERROGATIVES
from .base import Check, Context, LangSection, Settings, quote

_YES_NO_OPENERS_EN = frozenset({"is", "are", "am", "was", "were", "do", "does", "did", "can", "could", "will",
                                "would", "have", "has", "should", "shall", "may", "isn't", "aren't", "don't",
                                "doesn't", "didn't", "can't", "won't"})
_PART = re.compile(r"(?:^|[\s(])\d/\d(?:[\s).:]|$)")  # "1/2", "(2/3)": one message of a split answer
_LEAD_INS = frozenset({"а", "и", "ну", "так", "здравствуйте", "привет", "добрый", "день", "вечер", "утро", "hi",
                       "hello", "hey", "so", "and", "also", "ok", "okay", "ок", "good", "morning", "afternoon",
                       "evening", "there"})
_PRONOUNS = frozenset({"i", "we", "you", "he", "she", "they", "it"})
_IDENTIFIER_MARKS = frozenset({"№", "#"})
_IDENTIFIER_WORDS = frozenset({"номер", "заказ", "заказа", "артикул", "артикула", "договор", "договора", "счёт",
                               "счет", "order", "article", "ticket", "case", "id", "sku", "model", "модель"})
_LOADED = frozenset({"shouldn't", "isn't", "aren't", "don't", "doesn't", "didn't", "can't", "won't", "wouldn't",
                     "разве", "неужели"})
_EMBEDDING = frozenset({"know", "tell", "wonder", "wondering", "знаете", "подскажите", "скажите", "сказать",
                        "подсказать", "уточните", "узнать", "знать", "интересует", "интересно"})
_REFERENCES = frozenset({"это", "этого", "этом", "так", "такое", "такая", "такой", "this", "that", "it", "so"})


class Params(Settings):
    min_draft_words: int = Field(default=3, ge=1,
                                 description="while typing (caret known), shorter drafts are not judged yet")
    max_question_words: int = Field(default=20, ge=3,
                                    description="longer questions tell a story rather than ask: not judged")
    max_focus_words: int = Field(default=6, ge=2,
                                 description="a short question is about its focus word («Какая цена?»)")
    max_forgotten_words: int = Field(default=12, ge=2,
                                     description="a skipped question longer than this may be answered in other words")
    max_yes_no_words: int = Field(default=6, ge=2,
                                  description="a yes/no question judged on its own is at most this long")


class Lang(LangSection):
    message_many: str | None = Field(default=None, description="when several questions are left: {count}")
    holding: list[str] = Field(default_factory=list,
                               description="a holding reply («минутку», «уточню») — the answer comes next")
    redirects: list[str] = Field(default_factory=list,
                                 description="the case is handed over («напишите на почту», \"DM us\"): not judged")
    greetings: list[str] = Field(default_factory=list, description="words of a greeting or introduction")
    greeting_phrases: list[str] = Field(default_factory=list,
                                        description="«добрый день»: its «день» answers no «когда»")
    synonyms: list[list[str]] = Field(default_factory=list, description="groups of words that mean one topic")
    typed_questions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="question word → words that answer it besides a number: «когда» → «завтра», «через»…")
    focus_words: list[str] = Field(default_factory=list,
                                   description="typed question words that type only a short question: «цена» "
                                               "(«Какая цена?» wants a number; \"what about price gouging\" does not)")
    yes_no_answers: list[str] = Field(default_factory=list, description="«да», «нет», «конечно»")
    in_stock: list[str] = Field(default_factory=list,
                                description="lemmas that answer «…есть?» as well as «есть» does: «наличие», \"stock\"")
    negations: list[str] = Field(default_factory=list,
                                 description="a statement with these answers a yes/no question: «нельзя», \"not\"")
    unknown_answers: list[str] = Field(default_factory=list,
                                       description="an honest «пока неизвестно» answers when, where, how much")
    help_words: list[str] = Field(default_factory=list,
                                  description="«помочь», \"help\": a question of only these asks for help, not facts")
    rhetorical: list[str] = Field(default_factory=list,
                                  description="questions with these are exclamations, not questions: «сколько можно»")
    solution_requests: list[str] = Field(
        default_factory=list, description="«есть ли способ», \"is there a way\": any working instruction answers them")
    asks_back: list[str] = Field(default_factory=list,
                                 description="the draft asks for details first («уточните», \"could you\"): not judged")
    link_words: list[str] = Field(
        default_factory=list,
        description="words around a link that say nothing of their own («ссылка», \"article\"): a reply of a link "
                    "and these answers no yes/no question")
    concrete_verbs: list[str] = Field(
        default_factory=list,
        description="a short yes/no question opening with these is about the business: «есть», «доставлять», \"have\"")
    offer_questions: list[str] = Field(
        default_factory=list,
        description="an open question about what the business offers (lemmas): «какой у вы», \"what kind of\"")
    referrals: list[str] = Field(
        default_factory=list,
        description="sending the client to look it up themselves (lemmas): «на сайт», \"on our website\"; with no "
                    "link and no answer of its own, a reply of this is a brush-off")


@dataclass(frozen=True)
class Question:
    """What one client question is, worked out once per chat."""

    skip: bool  # rhetorical, a plea for help, too long, heated: not judged
    topics: frozenset[str]
    typed: tuple[Lexicon, ...]  # the answer word lists of its question words («когда» → «завтра»…)
    yes_no: bool
    words: int
    concrete: bool  # a yes/no about something the business has or does: «Есть парковка?», "Do you deliver…?"
    predicates: frozenset[str]  # its verbs («доставляете» → «доставлять», «есть», «можно»): echoed, they answer
    offer: bool  # an open question about what the business offers: «Какие у вас карты?»


@dataclass(frozen=True)
class Reply:
    """What the draft does, for every question."""

    topics: set[str]
    negative: bool  # a statement with a negation: «нельзя», "we don't"
    unknown: bool  # «пока неизвестно», "no timeline yet"
    yes_no: bool  # a sentence opening with «да», «нет», "yes"…
    link_only: bool  # links and courtesy around them: no statement of its own answers anything
    numbers: bool  # a number that can answer «сколько», «когда» — not an order or article number
    facts: TextFacts  # the draft

    @property
    def lemmas(self) -> frozenset[str]:
        """Every word's lemmas, for a yes or no said by echoing the question's verb (asked of few drafts)."""
        return self.facts.lemmas


def _answer_numbers(draft: TextFacts) -> bool:
    """A number that can answer «сколько стоит», "how long": a price, a count, a time — not an identifier
    («заказ № 1234567», "order #58213", an article number), which answers nothing."""
    if not draft.number_count:
        return False
    tokens = draft.tokens
    for i, tok in enumerate(tokens):
        if tok.kind != "number":
            continue
        digits = sum(c.isdigit() for c in tok.text)
        before = tokens[i - 1].lower if i > 0 else ""
        before2 = tokens[i - 2].lower if i > 1 else ""
        if digits >= 6 and not any(c in tok.text for c in " .,:"):
            continue  # 1234567: an identifier, not a quantity
        if before in _IDENTIFIER_MARKS or before2 in _IDENTIFIER_WORDS or before in _IDENTIFIER_WORDS:
            continue
        return True
    return False


class QuestionCoverageCheck(Check[Params, Lang]):
    kind = "question_coverage"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"question", "count"})

    def compile(self) -> None:
        sections = self.langs.values()
        self.holding = Lexicon(lemmas=[w for s in sections for w in s.holding])
        self.redirects = Lexicon(lemmas=[w for s in sections for w in s.redirects])
        self.greeting_lemmas = lemma_keys(w for s in sections for w in s.greetings)
        self.group_of: dict[str, str] = {}
        for section in sections:
            for group in section.synonyms:
                self.group_of.update(dict.fromkeys(lemma_keys(group), group[0].lower()))
        # a typed question («когда», «сколько», "how much") is answered by a number or one of its words
        focus = {w.lower() for s in sections for w in s.focus_words}
        self.typed: list[tuple[Lexicon, Lexicon, bool]] = [
            (Lexicon(lemmas=[key]), Lexicon(lemmas=answers), key.lower() in focus)
            for s in sections for key, answers in s.typed_questions.items()
        ]
        self.yes_no = frozenset(w.lower() for s in sections for w in s.yes_no_answers)
        self.in_stock = lemma_keys(w for s in sections for w in s.in_stock)
        self.negations = frozenset(w.lower() for s in sections for w in s.negations)
        self.unknown = Lexicon(lemmas=[w for s in sections for w in s.unknown_answers])
        self.rhetorical = Lexicon(lemmas=[w for s in sections for w in s.rhetorical])
        self.solution_requests = Lexicon(lemmas=[w for s in sections for w in s.solution_requests])
        self.asks_back = Lexicon(lemmas=[w for s in sections for w in s.asks_back])
        self.concrete = Lexicon(lemmas=[w for s in sections for w in s.concrete_verbs])
        self.offer = Lexicon(lemmas=[w for s in sections for w in s.offer_questions])
        self.referrals = Lexicon(lemmas=[w for s in sections for w in s.referrals])
        self.link_words = frozenset(self._topics(lemma_keys(w for s in sections for w in s.link_words)))
        self.help_forms = frozenset(w.lower() for s in sections for w in s.help_words)
        self.greeting_phrases = Lexicon(lemmas=[w for s in sections for w in s.greeting_phrases])

    # --- the client's questions --------------------------------------------------------------------------
    def _topics(self, lemmas: frozenset[str] | set[str]) -> set[str]:
        return {self.group_of.get(lemma, lemma) for lemma in lemmas}

    def _sentence_topics(self, facts: TextFacts, sentence: Sentence) -> set[str]:
        tokens = facts.tokens
        return {w.info.lemma for w in facts.sentence_words(sentence)
                if is_topic_word(w) and w.lower not in self.help_forms and w.info.lemma not in self.help_forms
                and not (w.index > 0 and tokens[w.index - 1].text in "#@" and tokens[w.index - 1].end == w.token.start)}

    def _question(self, ctx: Context, turn: Turn, index: int, sentence: Sentence) -> Question:
        def compute() -> Question:
            facts = turn.facts
            words = facts.sentence_words(sentence)
            skip = (len(words) > self.params.max_question_words
                    or self.rhetorical.contains(facts, sentence.first, sentence.last)
                    or self.solution_requests.contains(facts, sentence.first, sentence.last)
                    or sentence.terminator == "."  # "When will you solve this problem." — said, not asked
                    or (words and words[0].lower in ("or", "или") and index > 0)  # "…? Or do you think…?"
                    # "Shouldn't I…?", «Разве…?»: a reproach
                    or (words and (words[0].lower in _LOADED or words[0].lower.endswith(("n't", "'nt"))))
                    or (len(words) <= 4 and any(w.lower in _REFERENCES for w in words)
                        and self._is_yes_no(facts, sentence))  # "Is this correct?" confirms what came before
                    or self._heated(ctx, turn))
            topics = self._sentence_topics(facts, sentence)
            skip = skip or not topics  # "Can I get some assistance?": a plea for help; any help answers it
            yes_no = self._is_yes_no(facts, sentence)
            if yes_no and index > 0 and not facts.is_question(facts.sentences[index - 1]):
                # "Is there a way to fix this?": what it is about, the statement before says (its own words:
                # a passing "2 weeks" there does not make any answer about time address the question)
                topics |= {t for t in self._sentence_topics(facts, facts.sentences[index - 1])
                           if t not in self.group_of}
            typed = tuple(answers for key, answers, focus in self.typed
                          if self._asks_with(facts, sentence, words, key)
                          and (not focus or len(words) <= self.params.max_focus_words))
            concrete = yes_no and bool(words) and self.concrete.contains(
                facts, sentence.first, min(sentence.last, words[min(3, len(words) - 1)].index + 1))
            predicates = frozenset(w.info.lemma for w in words if w.is_cyrillic and (
                w.info.pos in ("VERB", "INFN", "PRED") or w.lower in ("есть", "можно", "нельзя")))
            if "есть" in predicates:
                predicates |= self.in_stock
            offer = self.offer.contains(facts, sentence.first, sentence.last)
            return Question(skip or not topics, frozenset(self._topics(topics)), typed, yes_no, len(words), concrete,
                            predicates, offer)
        return ctx.conv.remember((self.serial, turn.index, sentence.first), compute)

    @staticmethod
    def _asks_with(facts: TextFacts, sentence: Sentence, words: list[Word], key: Lexicon) -> bool:
        """Does the question ask with this word — at its start, or after "know"/«подскажите» — rather than
        use it inside ("How do I get credit when I cancel")?"""
        clause_start = sentence.first
        for i in range(sentence.first, sentence.last):
            if facts.tokens[i].text in (":", ";", "—", "–"):
                clause_start = i + 1  # «Хочу узнать про Camry: сколько стоит…» asks after the colon
        for m in key.find(facts, sentence.first, sentence.last):
            start = clause_start if m.first >= clause_start else sentence.first
            before = [w for w in words if start <= w.index < m.first]
            after = facts.word_at.get(m.last + 1)
            if after is not None and after.lower in _PRONOUNS:
                continue  # "… when I call for assistance": a clause, not the question word
            if len(before) <= 2 or before[-1].lower in _EMBEDDING:
                return True
        return False

    def _heated(self, ctx: Context, turn: Turn) -> bool:
        """A client message of «?!», «???» or shouting: its questions are outbursts, answered by help and empathy."""
        def compute() -> bool:
            text = turn.text
            shouted = sum(1 for w in turn.facts.words if len(w.token.text) >= 3 and w.token.text.isupper())
            return "?!" in text or "!?" in text or "??" in text or shouted >= 2
        return ctx.conv.remember((self.serial, "heated", turn.index), compute)

    def _client_topics(self, ctx: Context) -> set[str]:
        """Every topic of the client's messages since the operator last wrote."""
        def compute() -> set[str]:
            out: set[str] = set()
            for turn in ctx.conv.pending:
                for sentence in turn.facts.sentences:
                    out |= self._sentence_topics(turn.facts, sentence)
            return self._topics(out)
        return ctx.conv.remember((self.serial, "client_topics"), compute)

    @staticmethod
    def _is_yes_no(facts: TextFacts, sentence: Sentence) -> bool:
        words = facts.sentence_words(sentence)
        if not words:
            return False
        if any(w.lower in ("если", "if", "или", "or") for w in words):
            return False  # «А если есть долг?», "this or that?": open questions, not a yes or no
        k = 0
        while k < len(words) - 1 and words[k].lower in _LEAD_INS:
            k += 1  # «А …», «Здравствуйте, …», "Hi, …", "So …": the question starts after them
        first = words[k]
        if first.is_cyrillic:
            # «Есть ли…», «Можно…», «Доставляете в Казань?» — not «Сколько…», «Когда…»
            return "ли" in facts.forms_of(words) or first.info.pos in ("VERB", "PRED") \
                or first.lower in ("есть", "можно") or not any(w.lower in RU_INTERROGATIVES for w in words)
        return first.lower in _YES_NO_OPENERS_EN

    # --- the draft -----------------------------------------------------------------------------------------
    def _reply(self, ctx: Context) -> Reply:
        draft = ctx.draft
        openers = draft.sentence_openers
        lemmas: set[str] = set()
        negative = yes_no = False
        key = (self.serial, "reply")
        for sentence in draft.sentences:
            if ctx.typing(sentence.start, sentence.end):
                found, no, yes = self._reply_topics(draft, sentence, openers, ctx)  # the word being typed left out
            else:
                found, no, yes = draft.judged(key, sentence, self._reply_topics, draft, sentence, openers)
            lemmas.update(found)
            negative = negative or no
            yes_no = yes_no or yes
        topics = self._topics(frozenset(lemmas) - self.greeting_lemmas)
        link_only = bool(draft.links) and len(topics - self.link_words) <= 2
        return Reply(topics, negative, self.unknown.contains(draft), yes_no, link_only, _answer_numbers(draft), draft)

    def _reply_topics(self, draft: TextFacts, sentence: Sentence, openers: frozenset[int],
                      ctx: Context | None = None) -> tuple[frozenset[str], bool, bool]:
        """The topic lemmas of one sentence of the draft, whether it says no, and whether it opens with a
        yes or a no; with `ctx`, the word being typed left out of the topics (without, the verdict reads
        nothing but the sentence: `TextFacts.judged` keeps it)."""
        words = draft.sentence_words(sentence)
        # a name in «Меня зовут Анна», "Hello, Mark here" is no topic; "Spanish captions" is
        introducing = any(not self.greeting_lemmas.isdisjoint(w.info.keys) for w in words)
        lemmas = frozenset(w.info.lemma for w in words
                           if is_topic_word(w)
                           and not (ctx is not None and ctx.typing(w.token.start, w.token.end))
                           and not (w.token.text[:1].isupper() and w.index not in openers
                                    and (w.info.name or (introducing and w.token.script == "lat"))))
        return (lemmas, any(w.lower in self.negations or w.lower.endswith("n't") for w in words),
                bool(words) and words[0].lower in self.yes_no)

    def _answers(self, ctx: Context, answers: Lexicon) -> bool:
        """Does the draft hold one of these answer words outside a greeting («Добрый день» is no «когда»)?"""
        greeting = {i for m in self.greeting_phrases.find(ctx.draft) for i in range(m.first, m.last + 1)}
        return any(m.first not in greeting for m in answers.find(ctx.draft))

    def _addressed(self, ctx: Context, reply: Reply, question: Question, alone: bool) -> bool:
        if question.typed:
            # «Когда привезут заказ?» is not answered by «Заказ оформлен»: it needs a time (or «пока неизвестно»,
            # a no on its topic — "when will you add X?" — "we don't offer X", or a reply about the very thing)
            shared = len(question.topics & reply.topics)
            return reply.numbers or reply.unknown or any(self._answers(ctx, a) for a in question.typed) \
                or (reply.negative and shared > 0) or shared >= 2
        if question.topics & reply.topics:
            return True
        if question.yes_no:
            # «Да, есть.», «К сожалению, нет», "you can't do that": a yes or a no; a negative statement is a
            # "no" to the only question asked; «Доставляем», «Есть», «В наличии» say yes by echoing its verb
            return reply.yes_no or reply.unknown or (reply.negative and alone) \
                or not question.predicates.isdisjoint(reply.lemmas)
        return reply.unknown and alone

    # --- the check -----------------------------------------------------------------------------------------
    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if ctx.request.caret is not None and (
                draft.word_count + draft.number_count < self.params.min_draft_words):
            return  # still being typed
        open_questions = ctx.conv.open_questions
        if not open_questions:
            return
        caret = ctx.request.caret
        if caret is not None and draft.sentences:
            last = draft.sentences[-1]
            if not last.terminator and len(draft.sentence_words(last)) < 4 and caret >= last.end:
                return  # a sentence just begun: let the operator get to the answer
        # a question back clarifies; a hold or a hand-over promises the answer elsewhere; a greeting comes first
        if not draft.sentences or any(draft.is_question(s) for s in draft.sentences):
            return
        if self.holding.contains(draft) or self.redirects.contains(draft) or self.asks_back.contains(draft):
            return
        if "/" in draft.text and _PART.search(draft.text):
            return  # "1/2": the answer is split over several messages
        if draft.links:
            return  # a link may answer: what it holds, the check cannot read
        reply = self._reply(ctx)
        if not reply.topics and not reply.yes_no and not reply.negative:
            return  # only a greeting or an introduction so far: the answer comes next
        questions = []
        for turn, sentence in open_questions:
            index = turn.facts.sentences.index(sentence)
            question = self._question(ctx, turn, index, sentence)
            if not question.skip:
                questions.append((turn, sentence, question))
        if not questions:
            return
        brush_off = self._brush_off(ctx, reply)
        if brush_off:
            # «Все условия есть на сайте» to «Есть ли у вас карты с кешбэком?»: sent to look it up, no answer
            left = [(t, s, q) for t, s, q in questions
                    if (q.concrete or q.offer or q.typed) and not (q.topics & reply.topics)]
            trigger = "brush_off"
        else:
            alone = len(questions) == 1
            left = [(t, s, q) for t, s, q in questions if not self._addressed(ctx, reply, q, alone)]
            if len(left) < len(questions):
                # the draft answers one question and skips another asked with it — in the same message: a short
                # one is clearly forgotten (one from an earlier message may have been overtaken by what the client
                # wrote next)
                answered_turns = {t.index for t, _, q in questions if all(q is not q2 for _, _, q2 in left)}
                left = [(t, s, q) for t, s, q in left if q.words <= self.params.max_forgotten_words
                        and t.index in answered_turns]
                trigger = "skipped_one"
            else:
                # nothing answered: only a question that shows it counts — it wants a number, time or place, or it
                # asks whether the business has or does something — and the draft is about something else
                # altogether (a reply on the same topic may answer in other words)
                if self._client_topics(ctx) & reply.topics:
                    return
                left = [(t, s, q) for t, s, q in left
                        if q.typed or (q.concrete and q.words <= self.params.max_yes_no_words
                                       and not reply.negative and not reply.unknown)]
                trigger = "typed_unrelated" if left and left[0][2].typed else "yes_no_unrelated"
        if not left:
            return
        section = self.section(ctx.lang)
        turn, sentence, _ = left[0]
        text = turn.facts.sentence_text(sentence)
        if len(left) > 1 and section.message_many:
            yield self.warning(ctx, template=section.message_many, count=len(left), question=quote(text),
                               trigger=trigger)
        else:
            yield self.warning(ctx, question=quote(text), count=len(left), trigger=trigger)

    def _brush_off(self, ctx: Context, reply: Reply) -> bool:
        """The draft sends the client to look it up themselves and answers nothing: a referral to the website
        (no link), no yes or no, no number, no «нет»; what it is about besides the referral is at most one
        word («условия», "details")."""
        draft = ctx.draft
        found = self.referrals.find(draft)
        if not found or reply.yes_no or reply.numbers or reply.negative or reply.unknown:
            return False
        referral = {draft.word_at[i].info.lemma for m in found for i in range(m.first, m.last + 1) if i in draft.word_at}
        return len(reply.topics - self._topics(referral) - self.link_words) <= 1
