"""`contact_request`: asking for the client's phone or e-mail before giving them anything (give before you ask).

The rule is about a sales lead: a client asks about the offer («сколько стоит тур?», "do you have…", «хочу
поехать на море») and gets «оставьте телефон» instead of an answer. In support the same words are
diagnosis: a client with a case of their own — an order, an account, a booking, a payment, something that does
not work («мой заказ», «не могу войти», "I was charged twice") — is asked for the number, the e-mail or the
phone the case is under so that the operator can look into it, which the rule allows. So the check speaks only
when the client asked about the offer and wrote of no case of their own; elsewhere it is silent.

An ask is a sentence that names a contact («телефон», «почта», «номер» when it is not the number of an
order) and asks for it: an imperative or вы-verb, «ваш», or a question. «Наш телефон…», «пришлю фото в
WhatsApp» give, not ask. Taking a contact to come back with the answer («уточню и перезвоню») is fine.
The operator has given something when their earlier messages, or the draft before the ask, hold enough
meaningful words in statements (greetings, names and «минутку» do not count; a number or a link counts
double). Asking is fine when the client asked to be called, wants to order, already wrote a contact, or
their problem is the contact itself («не приходит смс», "I can't log in"): then the number is the case.
"""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..conversation import Turn
from ..models import Warning
from ..text.analysis import TextFacts, Word, is_topic_word
from ..text.lexicon import Lexicon, Match
from ..text.morph import lemma_keys
from ..text.tokens import Sentence
from .base import Check, Context, LangSection, Settings

_FILLERS = frozenset({"пожалуйста", "please", "us", "me", "нам", "мне", "i", "мой"})
_CHANNEL_PREPOSITIONS = frozenset({"по", "на", "в", "через", "by", "via", "over", "on", "to", "in"})


class Params(Settings):
    min_given_words: int = Field(default=5, ge=1, description="meaningful words the operator must give first")


class Lang(LangSection):
    contact_lemmas: list[str] = Field(default_factory=list, description="«телефон», «почта», "
                                                                        "\"email\" — always a contact")
    number_words: list[str] = Field(default_factory=list,
                                    description="«номер»: a contact unless the number of something else")
    not_contact_after: list[str] = Field(default_factory=list,
                                         description="«номер заказа»: nouns that make a number not a contact")
    not_contact_before: list[str] = Field(default_factory=list,
                                          description="\"order number\": words before it that do the same")
    ask_words: list[str] = Field(default_factory=list,
                                 description="words that make a sentence ask (besides a «?», an imperative or a "
                                             "вы-verb, which Russian morphology finds): «ваш», \"your\", \"leave\"")
    callback: list[str] = Field(default_factory=list,
                                description="the operator promises to come back: «перезвоню», \"I'll get back\"")
    checking: list[str] = Field(default_factory=list,
                                description="…because they are finding the answer out: «уточню», \"I'll check\"")
    own_words: list[str] = Field(default_factory=list, description="«наш», «мой»: the operator gives a contact")
    client_invites: list[str] = Field(default_factory=list,
                                      description="client lemmas that make an ask welcome: «перезвонить»")
    small_talk_lemmas: list[str] = Field(default_factory=list,
                                         description="words that do not count as giving: «звать», «здравствуйте»")
    request_verbs: list[str] = Field(default_factory=list,
                                     description="verbs that ask the client for something: «оставить», \"share\"")
    your_words: list[str] = Field(default_factory=list, description="«ваш», \"your\": the client's own contact")
    not_before: list[str] = Field(default_factory=list,
                                  description="«без», \"without\", \"another\" a few words before: no contact asked")
    not_asks: list[str] = Field(default_factory=list,
                                description="an instruction or identification, not an ask: «в поле», \"associated with\"")
    purposes: list[str] = Field(default_factory=list,
                                description="asking to check the case is welcome: «чтобы проверить», \"to look into\"")
    client_topics: list[str] = Field(default_factory=list,
                                     description="the client's problem is the contact itself («не приходит смс», "
                                                 "\"no verification code\"): asking about it is diagnosis")
    offer_questions: list[str] = Field(default_factory=list,
                                       description="the client asks about the offer — a sales lead (lemmas): "
                                                   "«сколько стоить», «есть ли», \"how much\", \"do you have\"")
    own_case: list[str] = Field(default_factory=list,
                                description="the client has a case of their own to look into (lemmas): «не мочь», "
                                            "«я заказать», \"i ordered\", \"not working\"")
    case_nouns: list[str] = Field(default_factory=list,
                                  description="what a client's case is about, after «мой»/\"my\": «заказ», \"account\"")
    my_words: list[str] = Field(default_factory=list, description="first-person possessives: «мой», \"my\"")


class ContactRequestCheck(Check[Params, Lang]):
    kind = "contact_request"
    typing_reach = "sentence"
    needs_conversation = True
    Params = Params
    Lang = Lang
    placeholders = frozenset({"given"})

    def compile(self) -> None:
        ru, en = self.langs["ru"], self.langs["en"]
        self.contacts = Lexicon(lemmas=ru.contact_lemmas, words=en.contact_lemmas)
        self.numbers = frozenset(w.lower() for w in ru.number_words + en.number_words)
        self.not_contact_after = lemma_keys(ru.not_contact_after + en.not_contact_after)
        self.not_contact_before = lemma_keys(ru.not_contact_before + en.not_contact_before)
        self.ask = frozenset(w.lower() for w in ru.ask_words + en.ask_words)
        self.callback = Lexicon(words=ru.callback + en.callback)
        self.checking = Lexicon(words=ru.checking + en.checking)
        self.own = frozenset(w.lower() for w in ru.own_words + en.own_words)
        self.invites = Lexicon(lemmas=ru.client_invites, words=en.client_invites)
        self.topics = Lexicon(lemmas=ru.client_topics, words=en.client_topics)
        self.small_talk = lemma_keys(ru.small_talk_lemmas + en.small_talk_lemmas)
        self.request_verbs = lemma_keys(ru.request_verbs) | frozenset(w.lower() for w in en.request_verbs)
        self.yours = frozenset(w.lower() for w in ru.your_words + en.your_words)
        self.not_before = frozenset(w.lower() for w in ru.not_before + en.not_before)
        self.not_asks = Lexicon(lemmas=ru.not_asks, words=en.not_asks)
        self.purposes = Lexicon(lemmas=ru.purposes, words=en.purposes)
        self.offer = Lexicon(lemmas=ru.offer_questions, words=en.offer_questions)
        self.own_case = Lexicon(lemmas=ru.own_case, words=en.own_case)
        self.case_nouns = lemma_keys(ru.case_nouns) | frozenset(w.lower() for w in en.case_nouns)
        self.my = frozenset(w.lower() for w in ru.my_words + en.my_words)

    # --- what the draft asks ---------------------------------------------------------------------------
    def _contact_in(self, facts: TextFacts, sentence: Sentence, contacts: list[Match]) -> tuple[int, int] | None:
        """Span of the client's contact the sentence asks for, or None (`contacts`: the draft's contact-word
        matches). An ask names a contact of the client's — «ваш телефон», "your email", or the object of a
        request verb («Оставьте номер») — in a sentence that requests it («оставьте», "could you share", a «?»).
        Not an ask: the operator's own contact or a channel («наш телефон», «по телефону», "phone support",
        "email us"), "without revealing your email", an instruction («введите номер в поле»), or asking for
        the address an account is registered to — that is checking the case, which is welcome."""
        words = facts.sentence_words(sentence)
        if not words or self.purposes.contains(facts, sentence.first, sentence.last):
            return None  # «…, чтобы проверить заказ», "so we can look into it": checking the case
        requests = [w for w in words if self._requesting(w)]
        question = sentence.is_question_mark
        if not requests and not question:
            return None
        for index, start, end in self._contact_words(facts, sentence, words, contacts):
            if self._owned(facts, index) or self._channel(facts, index) or self._excluded(facts, sentence, index):
                continue
            # the client's own contact («ваш телефон», "your email"), or what a request verb asks for right
            # away («Оставьте номер телефона», «Скиньте телефон»)
            if any(self._asks_for(words, w, index) for w in requests) and (
                    self._client_owned(facts, index) or facts.tokens[index].script == "cyr"):
                return start, end
            if facts.tokens[index].script == "cyr" and self._client_owned(facts, index) and question:
                return start, end  # «Какой у вас номер телефона?»
        return None

    def _contact_words(self, facts: TextFacts, sentence: Sentence, words: list[Word],
                       contacts: list[Match]) -> Iterator[tuple[int, int, int]]:
        """(token index, start, end) of every contact word in the sentence: «телефон», "email", a «номер»
        that is not the number of an order."""
        for m in contacts:
            if sentence.first <= m.first < sentence.last:
                yield m.first, m.start, m.end
        for k, w in enumerate(words):
            if w.lower in self.numbers or w.info.lemma in self.numbers:
                nxt = words[k + 1] if k + 1 < len(words) else None
                if nxt is not None and nxt.index == w.index + 1 and not self.not_contact_after.isdisjoint(
                        nxt.info.keys):
                    continue  # «номер заказа»
                prev = words[k - 1] if k > 0 else None
                if prev is not None and prev.index == w.index - 1 and not self.not_contact_before.isdisjoint(
                        prev.info.keys):
                    continue  # "order number"
                yield w.index, w.token.start, w.token.end

    def _asks_for(self, words: list[Word], verb: Word, index: int) -> bool:
        """Is the contact at token `index` what the verb asks for — at most two other words between them
        («Оставьте, пожалуйста, ваш номер телефона», "leave us your phone number")?"""
        between = [w for w in words if verb.index < w.index < index and w.lower not in self.yours
                   and w.lower not in _FILLERS]
        return verb.index < index and len(between) <= 2

    def _requesting(self, w: Word) -> bool:
        """A verb that asks the client for something: «оставьте», «продиктуйте», "share", "leave"."""
        if w.is_cyrillic:
            return (w.info.impr or w.info.second_plural) and not self.request_verbs.isdisjoint(w.info.keys)
        return w.lower in self.request_verbs

    def _client_owned(self, facts: TextFacts, token_index: int) -> bool:
        """«ваш телефон», «номер вашего телефона», "your email": within three words before the contact."""
        return any(facts.tokens[i].lower in self.yours for i in range(max(0, token_index - 3), token_index))

    def _excluded(self, facts: TextFacts, sentence: Sentence, token_index: int) -> bool:
        """"without revealing your email", «введите номер в поле», "another number", "the email associated
        with your account": no contact is asked for there."""
        before = range(max(sentence.first, token_index - 4), token_index)
        if any(facts.tokens[i].lower in self.not_before for i in before):
            return True
        return self.not_asks.contains(facts, sentence.first, sentence.last)

    @staticmethod
    def _channel(facts: TextFacts, token_index: int) -> bool:
        """«по телефону», «на почту», "by phone": the contact is a channel, not something asked for."""
        prev = facts.word_at.get(token_index - 1)
        return prev is not None and prev.lower in _CHANNEL_PREPOSITIONS

    def _owned(self, facts: TextFacts, token_index: int) -> bool:
        """«наш телефон», "my email": within two words before the contact."""
        return any(facts.tokens[i].lower in self.own for i in range(max(0, token_index - 2), token_index))

    # --- what the operator has given -------------------------------------------------------------------
    def _given_in(self, facts: TextFacts, sentences: list[Sentence]) -> int:
        given = 0
        contacts = self.contacts.find(facts)
        for s in sentences:
            if facts.is_question(s) or self._contact_in(facts, s, contacts) is not None:
                continue  # a question, or an earlier ask («Оставьте номер, менеджер свяжется») gives nothing
            words = facts.sentence_words(s)
            if any(w.info.lemma in self.small_talk or w.lower in self.small_talk for w in words) and len(words) < 6:
                continue  # «Здравствуйте, меня зовут Анна», «Минутку, уточню»
            given += sum(1 for w in words if is_topic_word(w) and w.info.lemma not in self.small_talk
                         and w.lower not in self.small_talk)
            given += 2 * sum(1 for t in facts.tokens[s.first:s.last] if t.kind in ("number", "url"))
        return given

    def _given_before(self, ctx: Context) -> int:
        return ctx.conv.remember((self.serial, "given"), lambda: sum(
            self._turn_given(t) for t in ctx.conv.operator_turns))

    def _turn_given(self, turn: Turn) -> int:
        return self._given_in(turn.facts, turn.facts.sentences)

    def _welcome(self, ctx: Context) -> bool:
        def compute() -> bool:
            return any(t.facts.contacts or self.invites.contains(t.facts) or self.topics.contains(t.facts)
                       for t in ctx.conv.client_turns)
        return ctx.conv.remember((self.serial, "welcome"), compute)

    def _sales_lead(self, ctx: Context) -> bool:
        """The client asked about the offer and wrote of no case of their own (docstring above)."""
        def compute() -> bool:
            turns = ctx.conv.client_turns
            return (any(self.offer.contains(t.facts) for t in turns)
                    and not any(self.own_case.contains(t.facts) or self._my_case(t.facts) for t in turns))
        return ctx.conv.remember((self.serial, "sales"), compute)

    def _my_case(self, facts: TextFacts) -> bool:
        """«мой заказ», «моего аккаунта», "my order", "my account": a case noun within two words after «мой»."""
        words = facts.words
        for k, w in enumerate(words):
            if w.lower in self.my and any(not self.case_nouns.isdisjoint(n.info.keys) for n in words[k + 1:k + 3]):
                return True
        return False

    def run(self, ctx: Context) -> Iterator[Warning]:
        draft = ctx.draft
        if not draft.words:
            return
        contacts = self.contacts.find(draft)
        if not contacts and draft.forms.isdisjoint(self.numbers):
            return  # no contact word at all: the usual case
        for k, sentence in enumerate(draft.sentences):
            span = self._contact_in(draft, sentence, contacts)
            if span is None:
                continue
            if not self._sales_lead(ctx):
                return  # a case of the client's own (or no question about the offer): asking is looking into it
            if self._welcome(ctx) or (self.callback.contains(draft) and self.checking.contains(draft)):
                return  # the client asked for it, or the operator takes it to come back with the answer
            given = self._given_before(ctx) + self._given_in(draft, draft.sentences[:k])
            if given >= self.params.min_given_words:
                return
            yield self.warning(ctx, start=sentence.start, end=sentence.end, given=given, trigger="sales_question")
            return
