"""`metric`: a measure of the draft over a limit — too many sentences or characters, too many questions.

A chat is not e-mail: one or two sentences, one question at a time. `max` names the measures and their
limits; the first measure over its limit is reported, the span covering the part beyond the limit.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from ..models import Warning
from ..text.analysis import TextFacts, is_topic_word
from ..text.lexicon import Lexicon
from ..text.morph import lemma_keys
from ..text.tokens import Sentence
from ..text.vocab import EN_INTERROGATIVES, RU_INTERROGATIVES
from .base import Check, Context, LangSection, Settings

Measure = Literal["sentences", "chars", "words", "questions"]
_CLAUSE_JOINERS = frozenset({",", "и", "или", "а", "and", "or", ";"})
# Interrogatives that open a new question inside a sentence; auxiliaries ("is", "do") do not.
_OPENERS = (RU_INTERROGATIVES - {"ли", "можно", "что", "чем"}) | (
    EN_INTERROGATIVES & {"what", "when", "where", "why", "who", "which", "how"})


class Params(Settings):
    max: dict[Measure, Annotated[int, Field(ge=1)]] = Field(min_length=1,
                                                           description="measure → the largest acceptable value")


class Lang(LangSection):
    messages: dict[Measure, str] = Field(default_factory=dict, description="a message per measure")
    formula_words: list[str] = Field(
        default_factory=list,
        description="sentences: a short sentence of only these words (and names, function words) is a formula "
                    "— «Здравствуйте!», «Меня зовут Анна.» — and is not counted")
    formula_phrases: list[str] = Field(
        default_factory=list,
        description="sentences: a sentence built around one of these is courtesy, not content — «Обращайтесь, "
                    "если будут вопросы», \"Let us know how it goes\"")
    interjections: list[str] = Field(default_factory=list,
                                     description="sentences: a short reaction opening with these — «Ой!», \"Hmm, odd.\"")
    link_words: list[str] = Field(default_factory=list,
                                  description="sentences: words that only label a link («подробнее», \"more info\")")


def question_clauses(facts: TextFacts, sentence: Sentence) -> int:
    """How many questions one question sentence asks: «Какой город, какие даты и сколько человек?» asks 3."""
    count = 0
    prev = None
    for tok in facts.tokens[sentence.first:sentence.last]:
        if tok.kind == "word" and tok.lower in _OPENERS and (prev is None or prev.lower in _CLAUSE_JOINERS):
            count += 1
        if tok.kind == "word" and prev is None and tok.lower == "а":
            continue  # «А когда…»: the question word comes second
        prev = tok
    return max(1, count)


_FORMULA_MAX_WORDS = 16  # a courtesy sentence can be long ("Thank you for contacting us today, my name is Sam")
_FORMULA_REST_WORDS = 5
_URL_READS_AS = 12  # characters a link costs the reader: it is not read letter by letter
_SIGNS = frozenset({"^", "~", "-", "—", "–", "/", "*"})


def _squeeze(word: str) -> str:
    """"hmmm" → "hm", "ooh" → "oh", «ооой» → «ой»: interjections are stretched at will."""
    out: list[str] = []
    for ch in word:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


class MetricCheck(Check[Params, Lang]):
    kind = "metric"
    Params = Params
    Lang = Lang
    placeholders = frozenset({"count", "limit"})

    def compile(self) -> None:
        sections = self.langs.values()
        self.formula = lemma_keys(w for s in sections for w in s.formula_words)
        self.formula_phrases = Lexicon(lemmas=[w for s in sections for w in s.formula_phrases])
        self.interjections = frozenset(w.lower() for s in sections for w in s.interjections)
        self.link_words = lemma_keys(w for s in sections for w in s.link_words)

    def _is_formula(self, draft: TextFacts, sentence: Sentence) -> bool:
        """«Здравствуйте!», «Меня зовут Анна.», "Thanks!", "Standing by!", a signature ("^Kate", "— Анна"):
        courtesy, not content (one or two sentences of content is the rule, and a greeting does not make a
        reply long)."""
        words = draft.sentence_words(sentence)
        if len(words) <= 1:
            return True
        tokens = draft.tokens[sentence.first:sentence.last]
        has_link = any(t.kind == "url" for t in tokens)
        listed = sentence.first > 0 and draft.tokens[sentence.first - 1].text in (")", ".") and sentence.first > 1 \
            and draft.tokens[sentence.first - 2].kind == "number"
        if len(words) <= 4 and not sentence.is_question_mark and not has_link and not listed and not any(
                t.kind in ("number", "phone") for t in tokens):
            return True  # "We'll check further.", "Super helpful!", a signature: too short to weigh on a reader
        if len(words) <= 4 and _squeeze(words[0].lower) in self.interjections:
            return True  # "Hmm, that's weird.", «Ой, как неприятно.»
        if has_link and sum(1 for w in words if is_topic_word(w) and w.info.lemma not in self.link_words
                            and w.lower not in self.link_words) <= 1:
            return True  # "More info: https://…", "Here is more about it: …", «Подробнее здесь: …» — a link's label
        for m in ([] if sentence.is_question_mark else self.formula_phrases.find(draft, sentence.first, sentence.last)):
            rest = [w for w in words if not m.first <= w.index <= m.last and is_topic_word(w)]
            if len(rest) <= _FORMULA_REST_WORDS:
                return True  # "Let us know if the option works.", «Обращайтесь, если будут вопросы!»
        if len(words) > _FORMULA_MAX_WORDS or not self.formula:
            return False
        openers = draft.sentence_openers
        courteous = named = False
        for w in words:
            if w.lower in self.formula or w.info.lemma in self.formula:
                courteous = True
            elif w.token.text[:1].isupper() and (w.info.name or w.index not in openers):
                named = True  # a name says who, not what: «Анна», «ЖК «Северный»»
            elif is_topic_word(w):
                return False  # a word that says something
        # «Сколько вас будет?» is all function words, and a real question; «С вами Анна.» is an introduction
        return courteous or (named and len(words) <= 3)

    @staticmethod
    def _signature(draft: TextFacts, sentence: Sentence) -> bool:
        """"^Kartika", "~Heather Y.", "-Shannon", "/AX" closing the message."""
        if sentence.end < len(draft.text.rstrip()) - 2:
            return False
        first = draft.tokens[sentence.first]
        before = draft.tokens[sentence.first - 1] if sentence.first > 0 else None
        return first.text in _SIGNS or (before is not None and before.text in _SIGNS)

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        for measure, limit in self.params.max.items():
            value, start = self._measure(draft, measure, limit)
            if value > limit:
                section = self.section(ctx.lang)
                template = section.messages.get(measure, section.message)
                end = len(draft.text.rstrip())
                yield self.warning(ctx, start=start, end=end if start is not None else None,
                                   template=template, count=value, limit=limit)
                return

    def _measure(self, draft: TextFacts, measure: str, limit: int) -> tuple[int, int | None]:
        """(value, where the part over the limit starts)."""
        if measure == "sentences":
            if len(draft.sentences) <= limit:
                return len(draft.sentences), None  # within the limit whatever they say (none judged)
            key = (self.serial, "formula")
            sentences = [s for s in draft.sentences
                         if not draft.judged(key, s, self._is_formula, draft, s)]
            return len(sentences), sentences[limit].start if len(sentences) > limit else None
        if measure == "chars":
            text = draft.text.strip()
            length = len(text) - sum(max(0, len(t.text) - _URL_READS_AS) for t in draft.links)
            if length <= limit:
                return length, None
            offset = len(draft.text) - len(draft.text.lstrip()) + limit
            # start the span at a word boundary, not inside a word
            for tok in draft.tokens:
                if tok.end > offset:
                    return length, tok.start
            return length, offset
        if measure == "words":
            words = draft.words
            return len(words), words[limit].token.start if len(words) > limit else None
        # questions
        total = 0
        first = None
        for sentence in draft.questions:
            total += question_clauses(draft, sentence)
            if first is None:
                first = sentence.start
        return total, first
