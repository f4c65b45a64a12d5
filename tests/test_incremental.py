"""A keystroke is checked incrementally — the chat's memory (its conversation, its previous draft: only the
sentence being typed is analysed anew), and the answers of rules that read only the conversation kept in
it — and the answer must be exactly what a fresh evaluation gives: a new coach, nothing cached. Typed as
an operator types (a character at a time, a word deleted and retyped, a correction in the middle, a
message arriving mid-draft), over the trainer scenarios, the rules' own examples and chats in Russian and
English."""
from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from coach_server import Coach
from coach_server.chatmemory import ChatMemory
from coach_server.models import CheckRequest, Message
from coach_server.rulebook.examples import example_request
from coach_server.scenarios import load_scenarios
from coach_server.text.analysis import DraftCache, TextFacts, revise
from coach_server.text.tokens import Sentence


@pytest.fixture(scope="module")
def coach() -> Coach:
    return Coach.load()


def fresh(coach: Coach, request: CheckRequest) -> list[dict[str, object]]:
    """The warnings of a coach that has seen nothing (the same rules, no cache, no memory)."""
    new = Coach(coach.rulebook)
    warnings = [w.model_dump() for w in new.evaluate(request).result.warnings]
    assert not new.rule_failures, f"rules crashed on {request.draft!r}: {new.rule_failures}"
    return warnings


def keystrokes(text: str, rng: random.Random) -> Iterator[tuple[str, int]]:
    """(draft, caret) as the text is typed: every character of the last 40 and every few before them (a
    check per character of every draft would take minutes), a word deleted and retyped, a slip corrected
    in the middle, and the whole text once more with the caret left in its middle."""
    step = max(1, len(text) // 25)
    for i in range(1, len(text) + 1):
        if i % step == 0 or i > len(text) - 40:
            yield text[:i], i
    if " " in text.strip():
        cut = text.rstrip().rindex(" ")
        yield text[:cut], cut  # the last word deleted…
        yield text, len(text)  # …and typed again
    if len(text) > 10:
        at = rng.randrange(1, len(text) - 1)
        slipped = text[:at] + "ж" + text[at:]
        yield slipped, at + 1
        yield text, at
        yield text, len(text) // 2


def assert_incremental_is_fresh(coach: Coach, base: CheckRequest, draft: str, seed: int,
                                arrival: Message | None = None) -> None:
    memory = ChatMemory()
    rng = random.Random(seed)
    messages = list(base.messages)
    for n, (typed, caret) in enumerate(keystrokes(draft, rng)):
        if arrival is not None and n == 12:  # a client message arrives mid-draft: the service's new list
            messages = messages + [arrival]
        request = base.model_copy(update={"draft": typed, "caret": caret, "messages": messages})
        live = [w.model_dump() for w in coach.evaluate(request, memory=memory).result.warnings]
        assert live == fresh(coach, request), f"draft {typed!r} (caret {caret})"
        shared = [w.model_dump() for w in coach.evaluate(request).result.warnings]  # the shared caches (HTTP)
        assert shared == live, f"draft {typed!r} (caret {caret}), shared caches"
    assert not coach.rule_failures, f"rules crashed while {draft!r} was typed: {coach.rule_failures}"


def test_trainer_scenarios_typed(coach: Coach) -> None:
    scenarios = load_scenarios().scenarios
    assert scenarios
    checked = 0
    for scenario in scenarios.values():
        for n, (_, request) in enumerate(scenario.requests()):
            if request.draft:
                arrival = Message(role="client", text="И ещё: доставка платная?" if scenario.lang == "ru" else
                                  "Also, is delivery free?", ts=request.now)
                assert_incremental_is_fresh(coach, request, request.draft, seed=n,
                                            arrival=arrival if n % 2 else None)
                checked += 1
    assert checked >= 20


def test_rule_examples_typed(coach: Coach) -> None:
    checked = 0
    for rule in coach.rulebook.active:
        for n, example in enumerate([*rule.spec.invalid, *rule.spec.valid]):
            if example.draft:
                request = example_request(example)
                assert_incremental_is_fresh(coach, request, request.draft, seed=n)
                checked += 1
    assert checked >= 100


CHATS = {
    "ru": ([("client", "Здравствуйте! Подскажите, где мой заказ? Оформляла в понедельник, номер 48213."),
            ("operator", "Здравствуйте! Меня зовут Анна, сейчас посмотрю."),
            ("client", "А когда привезут? Мне нужно до выходных. И можно ли оплатить при получении?")],
           "Спасибо, что подождали! Заказ 48213 уже у курьера, привезём в пятницу с 10 до 14. Оплатить можно "
           "картой или наличными при получении. Если удобнее, заберите сами: https://shop.ru/pickup. "
           "Могу ли я ещё чем-то помочь?"),
    "en": ([("client", "Hi! Where is my order? I placed it on Monday, number 48213."),
            ("operator", "Hello! My name is Anna, let me check."),
            ("client", "When will it arrive? I need it before the weekend. Can I pay on delivery?")],
           "Thanks for waiting! Order 48213 is with the courier and will arrive on Friday between 10 and 2. "
           "You can pay by card or cash on delivery. If you prefer, pick it up yourself: shop.com/pickup. "
           "Is there anything else I can help with?"),
}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_reply_typed_in_a_live_chat(coach: Coach, lang: str) -> None:
    lines, reply = CHATS[lang]
    now = 1_750_000_000.0
    messages = [Message(role=role, text=text, ts=now - 200 + 30 * i) for i, (role, text) in enumerate(lines)]
    base = CheckRequest(draft="", messages=messages, now=now, draft_started_at=now - 20, operator_name="Анна"
                        if lang == "ru" else "Anna")
    arrival = Message(role="client", text="Алло? Вы здесь?" if lang == "ru" else "Hello? Are you there?", ts=now)
    assert_incremental_is_fresh(coach, base, reply, seed=7, arrival=arrival)
    # in another channel the same reply meets other rules (and other remembered answers)
    assert_incremental_is_fresh(coach, base.model_copy(update={"channel": "email"}), reply, seed=8)


def shape(facts: TextFacts) -> tuple[object, ...]:
    return ([(t.text, t.start, t.end, t.kind, t.lower, t.script) for t in facts.tokens],
            [(s.start, s.end, s.first, s.last, s.terminator) for s in facts.sentences],
            [facts.is_question(s) for s in facts.sentences],
            [[w.index for w in facts.sentence_words(s)] for s in facts.sentences],
            [(w.index, w.lower, w.info) for w in facts.words])


def test_a_revised_draft_is_analysed_as_a_fresh_one() -> None:
    """Sentences and question verdicts carried over from the previous draft, inline code and newlines that
    change what came before: each revision is analysed exactly as afresh."""
    texts = ["Здравствуйте! Подскажите, где заказ? Сейчас проверю. Есть ли у вас доставка",
             "Проверьте `config. Потом так.` и всё. Ещё",
             "Ул. Ленина\n\nДом 5. Т. е. рядом? Да",
             "Звоните: +7 (999) 123-45-67. Или пишите на a@b.ru. Ок?",
             "Код заказа48 12 34 56 78, тел 8 999 123 45 67 или 8 (999) 123 45 67 — сайт shop. ru и shop.ru/a b"]
    cache = DraftCache()
    for text in texts:
        previous: TextFacts | None = None
        for i in range(1, len(text) + 1):
            draft = text[:i]
            facts = revise(previous, draft) if previous is not None else TextFacts(draft)
            assert shape(facts) == shape(TextFacts(draft)), draft
            assert shape(cache.get(draft)) == shape(TextFacts(draft)), draft
            previous = facts


def test_word_lists_find_in_a_revised_draft_what_they_find_afresh(coach: Coach) -> None:
    """Every word list of the rules, over a draft typed a character at a time: what it finds in the whole,
    to the end from each sentence and in each sentence is what it finds in the text analysed afresh."""
    from coach_server.text.lexicon import Lexicon

    lists = [v for rule in coach.rulebook.active for v in vars(rule.check).values() if isinstance(v, Lexicon) and v]
    assert len(lists) > 30
    text = ("Здравствуйте! Меня зовут Анна, подскажите номер заказа. Пожалуйста, пройдите на сайт и оформите "
            "возврат, к сожалению, доставка будет завтра. Hello! Please send us the order number, thank you. "
            "Если будут вопросы, пишите!")
    previous: TextFacts | None = None
    for i in range(30, len(text) + 1, 3):
        fresh_facts = TextFacts(text[:i])
        facts = revise(previous, text[:i]) if previous is not None else fresh_facts
        facts.finds = {} if facts.finds is None else facts.finds
        spans = [(0, None)] + [(s.first, None) for s in fresh_facts.sentences] + [
            (s.first, s.last) for s in fresh_facts.sentences]
        for lexicon in lists:
            for first, last in spans:
                got = [(m.first, m.last, m.entry.raw) for m in lexicon.find(facts, first, last)]
                want = [(m.first, m.last, m.entry.raw) for m in lexicon.find(fresh_facts, first, last)]
                assert got == want, (text[:i], first, last)
        previous = facts


def test_overlapping_phrases_are_found_in_a_revised_draft_as_afresh_after_any_edit() -> None:
    """Phrases that share words and overlap, in a draft edited anywhere (typed, deleted, changed in the
    middle): a revision looks again only from where a phrase could reach what changed, and finds what a fresh
    analysis finds."""
    import random

    from coach_server.text.lexicon import Lexicon

    lexicons = [Lexicon(words=["мы", "мы вам", "вам перезвоним", "мы вам перезвоним завтра", "завтра утром",
                               "утром", "ок"]),
                Lexicon(words=["вам перезвоним завтра утром", "перезвоним"], lemmas=["перезвонить вам", "утро"]),
                Lexicon(lemmas=["мы", "завтра"])]
    vocabulary = ["мы", "вам", "перезвоним", "завтра", "утром", "ок", "да"]
    rng = random.Random(5)
    for _ in range(60):
        words = [rng.choice(vocabulary) for _ in range(rng.randrange(4, 16))]
        facts = TextFacts(" ".join(words))
        facts.finds = {}
        for _ in range(25):
            k = rng.randrange(len(words) + 1)
            edit = rng.random()
            if edit < 0.4 or len(words) < 3:
                words.insert(k, rng.choice(vocabulary))
            elif edit < 0.7:
                del words[min(k, len(words) - 1)]
            else:
                words[min(k, len(words) - 1)] = rng.choice(vocabulary)
            text = " ".join(words) + rng.choice(["", " ", ".", " у"])
            facts = revise(facts, text)
            fresh = TextFacts(text)
            for lexicon in lexicons:
                for first in (0, 2):
                    got = [(m.first, m.last, m.entry.raw) for m in lexicon.find(facts, first)]
                    want = [(m.first, m.last, m.entry.raw) for m in lexicon.find(fresh, first)]
                    assert got == want, (text, first)


def test_a_rules_verdict_on_a_sentence_is_kept_while_the_next_one_is_typed() -> None:
    """`TextFacts.judged`: a finished sentence is judged once while the operator types the next; the sentence
    being typed, and one edited, are judged again — and a verdict is never carried to another rule's key."""
    judged: list[str] = []

    def verdicts(facts: TextFacts, key: str = "rule") -> list[str]:
        def judge(s: Sentence) -> str:
            judged.append(facts.sentence_text(s))
            return facts.sentence_text(s).upper()
        return [facts.judged(key, s, lambda s=s: judge(s)) for s in facts.sentences]

    text = "Здравствуйте, Мария! Меня зовут Анна, я помогу. Заказ уже у курьера. Привезём завтра"
    start = text.index("завтра")  # (a sentence's end is known once the next sentence's first word is)
    facts = TextFacts(text[:start])
    verdicts(facts)
    for i in range(start + 1, len(text) + 1):
        facts = revise(facts, text[:i])
        assert verdicts(facts) == [s.upper() for s in (facts.sentence_text(s) for s in facts.sentences)]
    assert [judged.count(s) for s in ("Здравствуйте, Мария!", "Заказ уже у курьера.")] == [1, 1]
    assert verdicts(facts, "other rule") and judged.count("Здравствуйте, Мария!") == 2
    edited = revise(facts, text.replace("курьера", "курьеров"))
    judged.clear()
    verdicts(edited)
    assert judged == ["Заказ уже у курьеров.", "Привезём завтра"]  # the sentences before the edit are kept
