"""The live loop as a busy operator meets it, in the demo console with the real extension and service: the
operator types like a person (5–12 characters a second, short pauses between words, the caret at the end) and
the tests count what the panel shows and withdraws, and what the feedback store records.

- the last word is judged after a pause, on leaving the reply box — not while it is typed;
- typing a correct sentence nothing is shown and withdrawn (a remark waits until typing cannot change it);
- a remark on screen is one showing in the store, however long the operator types under it;
- Apply on every fix the coach offers in the trainer's scenarios brings no remark of another rule;
- an English-writing client and a Russian operator: the panel and the remarks in Russian, the fix in the
  language of the draft;
- the client's wait: its remark first, the chip red after it is dismissed, one remark per wait;
- many remarks: the most important three, remarks on the same words as one, the rest behind «ещё N».
"""
from __future__ import annotations

import random
import re
import time
from collections import Counter

import pytest

from coach_server.engine import Coach
from coach_server.scenarios import load_scenarios
from tests.conftest import RULES

from .conftest import PANEL, Browser, PageErrors, Service, chat_hash, open_console, rules_copy, rules_in_panel
from .test_timers import fast_slow_reply

SETTLE_S = 0.7  # content/coach.js SETTLE_MS: the pause after which the last word is judged

# In the page: every change of what the panel shows — a remark's item appearing or leaving (by its stable
# data-key), with the time, and whether the operator acted on it (dismissed, applied).
RECORD = """() => {
  const host = document.querySelector('[data-coach-panel]');
  const log = window.__panel = {events: [], acted: [], seen: {}};
  let now = new Map([...host.shadowRoot.querySelectorAll('li[data-rule]')].filter((li) => !li.hidden)
    .map((li) => [li.dataset.key, li.dataset.rule]));  // what is on screen already is not news
  const look = () => {
    const items = [...host.shadowRoot.querySelectorAll('li[data-rule]')].filter((li) => !li.hidden);
    const next = new Map(items.map((li) => [li.dataset.key, li.dataset.rule]));
    const t = performance.now();
    for (const [k, rule] of next) if (!now.has(k)) { log.events.push({t, k, rule, what: 'shown'}); log.seen[k] = rule; }
    for (const [k, rule] of now) if (!next.has(k)) log.events.push({t, k, rule, what: 'withdrawn'});
    now = next;
  };
  new MutationObserver(look).observe(host.shadowRoot, {childList: true, subtree: true, attributes: true,
                                                        attributeFilter: ['hidden']});
  host.shadowRoot.addEventListener('click', (e) => {
    const li = e.target.closest && e.target.closest('li[data-key]');
    if (li && e.target.closest('[data-action="dismiss"], [data-action="apply"]')) log.acted.push(li.dataset.key);
  }, true);
}"""


def type_like_a_person(page, text: str, seed: int = 7) -> None:
    """7–12 characters a second (within the 5–12 operators type at), a little longer after a word or a comma
    (never as long as a settling pause): the caret stays at the end, as it does for an operator writing a reply."""
    rnd = random.Random(seed)
    for ch in text:
        page.keyboard.type(ch)
        delay = rnd.uniform(1 / 12, 1 / 7)
        if ch in " ,":
            delay += rnd.uniform(0.05, 0.2)
        time.sleep(delay)


def panel_log(page) -> dict:
    return page.evaluate("window.__panel")


def remark_texts(page) -> list[str]:
    return page.eval_on_selector_all(f"{PANEL} li[data-rule] .msg", "els => els.map(e => e.textContent)")


def visible_rules(page) -> list[str]:
    return page.eval_on_selector_all(f"{PANEL} li[data-rule]",
                                     "els => els.filter(e => !e.hidden).map(e => e.dataset.rule)")


def wait_for_rules(page, predicate, timeout: float = 5.0) -> list[str]:
    deadline = time.time() + timeout
    rules = rules_in_panel(page)
    while time.time() < deadline:
        rules = rules_in_panel(page)
        if predicate(rules):
            return rules
        time.sleep(0.05)
    raise AssertionError(f"the panel never got there: {rules}")


def shown_in_store(service, chat_id: str) -> Counter:
    return Counter(e["rule"] for e in service.feedback()
                   if e["action"] == "shown" and e["chat"] == chat_hash(chat_id))


def demo_chat_id(browser, conversation: str) -> str:
    deadline = time.time() + 5
    while time.time() < deadline:
        found = [k for k in browser.chats() if k.startswith("demo:") and k.endswith(conversation)]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no chat {conversation}: {browser.chats()}")


# --- 1. the last word --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ending,rule,word", [(", спс", "slang", "спс"), (", ждите", "missing_please", "ждите"),
                                              (", УЖЕ ПРОВЕРЯЮ", "caps", "ПРОВЕРЯЮ")], ids=["slang", "please", "caps"])
def test_the_last_word_is_judged_after_a_pause(browser, service, consoles, ending, rule, word):
    page, errors, spec = open_console(browser, service, consoles, "demo")
    page.click("li.dc-conv[data-id='c-1002']")  # Игорь waits for his order; Анна has greeted him already
    page.click(spec["editor"])
    before = "Здравствуйте, сейчас посмотрю" if rule != "slang" else "Здравствуйте, щас посмотрю"
    type_like_a_person(page, before + ending)
    started = time.time()
    # while the word may still be typed on, it is not judged…
    time.sleep(0.25)
    flagged = [r for r in rules_in_panel(page) if r == rule]
    assert len(flagged) == (1 if rule == "slang" else 0), rules_in_panel(page)  # «щас» was finished long ago
    # …after a pause it is, with the caret still at the end
    wait_for_rules(page, lambda rules: rules.count(rule) == len(flagged) + 1, timeout=3.0)
    took = time.time() - started
    assert took < SETTLE_S + 1.0, took  # within the pause and a round trip of the last key
    assert page.evaluate("() => { const r = document.getElementById('dc-reply'); "
                         "return r.selectionStart === r.value.length; }")
    texts = page.eval_on_selector_all(f'{PANEL} li[data-rule="{rule}"]', "els => els.map(e => e.dataset.key)")
    assert texts, rule
    assert errors.items == []
    page.close()


def test_the_last_word_is_judged_on_leaving_the_reply_box(browser, service, consoles):
    page, errors, spec = open_console(browser, service, consoles, "demo")
    page.click("li.dc-conv[data-id='c-1002']")
    page.click(spec["editor"])
    type_like_a_person(page, "Сейчас посмотрю, спс")
    page.click("#dc-client-input")  # straight on to the client's box, no pause
    wait_for_rules(page, lambda rules: "slang" in rules, timeout=SETTLE_S)  # sooner than a pause would
    assert errors.items == []
    page.close()


# --- 2. no flicker ---------------------------------------------------------------------------------------------
CORRECT = "Понимаю, как это неприятно. Подскажите, пожалуйста, номер заказа, и я проверю, где он."


def test_a_correct_sentence_shows_nothing_that_is_then_withdrawn(browser, service, consoles):
    page, errors, spec = open_console(browser, service, consoles, "demo")
    page.click("li.dc-conv[data-id='c-1002']")
    page.click(spec["editor"])
    page.evaluate(RECORD)
    type_like_a_person(page, CORRECT, seed=11)
    time.sleep(SETTLE_S + 0.8)
    log = panel_log(page)
    shown = [e for e in log["events"] if e["what"] == "shown"]
    withdrawn = [e for e in log["events"] if e["what"] == "withdrawn" and e["k"] not in log["acted"]]
    # the client has waited since before the typing began: that remark is the clock's, not the typing's
    about_text = [e for e in shown if e["rule"] not in ("slow_reply", "slow_draft")]
    assert withdrawn == [], f"shown and withdrawn while typing a correct sentence: {withdrawn}"
    assert about_text == [], f"remarks on a correct sentence: {about_text}"
    assert errors.items == []
    page.close()


def test_a_remark_on_the_words_after_it_waits_for_its_sentence(browser, service, consoles):
    """«Пройдите на сайт» is an order until «, пожалуйста» comes: nothing while the sentence goes on, the remark
    once it ends without one."""
    page, errors, spec = open_console(browser, service, consoles, "demo")
    page.click(spec["editor"])
    page.evaluate(RECORD)
    type_like_a_person(page, "Здравствуйте! Меня зовут Анна. Пройдите на сайт, там есть все карты", seed=3)
    assert "missing_please" not in visible_rules(page)
    page.keyboard.type(".")
    wait_for_rules(page, lambda rules: "missing_please" in rules, timeout=1.5)
    withdrawn = [e for e in panel_log(page)["events"] if e["what"] == "withdrawn"]
    assert withdrawn == [], withdrawn
    assert errors.items == []
    page.close()


# --- 3. honest counts ---------------------------------------------------------------------------------------------
def test_one_showing_per_remark_in_the_store(browser, service, consoles):
    page, errors, spec = open_console(browser, service, consoles, "demo")
    page.click("li.dc-conv[data-id='c-1002']")
    page.click(spec["editor"])
    chat_id = demo_chat_id(browser, "c-1002")
    time.sleep(1.5)  # what the chat shows on opening is reported (in a batch a second later)…
    before = shown_in_store(service, chat_id)  # …and this test counts from here
    page.evaluate(RECORD)
    type_like_a_person(page, "Спс за ожидание! ", seed=5)
    wait_for_rules(page, lambda rules: "slang" in rules)
    # a long message typed under the remark: it stays on screen all along
    type_like_a_person(page, "Ваш заказ уже собран, завтра до обеда курьер привезёт его вам. ", seed=9)
    time.sleep(SETTLE_S + 0.5)
    log = panel_log(page)
    on_screen = Counter(log["seen"].values())
    assert on_screen["slang"] == 1, log["events"]
    def recorded() -> Counter:
        return shown_in_store(service, chat_id) - before

    deadline = time.time() + 5
    while time.time() < deadline and recorded() != on_screen:
        time.sleep(0.2)
    assert recorded() == on_screen  # what the store counts is what was on screen
    assert errors.items == []
    page.close()


# --- 4. fixes that compose -------------------------------------------------------------------------------------
def scenario_drafts() -> list[tuple[str, list[tuple[str, str]], str]]:
    """(name, the conversation before it, the operator's message) for each message of the trainer's scenarios
    (scenarios/) the coach offers a fix for."""
    coach = Coach.load(RULES)
    out = []
    for sid, scenario in load_scenarios().scenarios.items():
        checks = dict(scenario.requests())
        history: list[tuple[str, str]] = []
        for i, m in enumerate(scenario.messages):
            if m.role == "operator" and any(w.suggestion for w in coach.check(checks[i]).warnings):
                out.append((f"{sid}#{i}", list(history), m.text))
            if m.role in ("client", "operator"):
                history.append((m.role, m.text))
    return out


def apply_buttons(page) -> list[str]:
    return page.eval_on_selector_all(f"{PANEL} li[data-rule] [data-action='apply']",
                                     "els => els.map(e => e.closest('li').dataset.key)")


def open_everything(page) -> None:
    rest = page.locator(f"{PANEL} .rest[data-action='open-rest']")
    if rest.count() and rest.is_visible():
        rest.click()


def paste(page, text: str) -> None:
    """The operator pastes a prepared answer (a template) and goes on: text in at once, the caret at its end."""
    page.evaluate("t => document.execCommand('insertText', false, t)", text)


def updates(page) -> int:
    return int(page.get_attribute(PANEL, "data-coach-updates") or 0)


def test_apply_on_every_offered_fix_brings_no_new_remark(browser, service):
    """Every scenario message with a fix, in the demo console: the operator applies the fixes the coach offers,
    one after the other, as long as it offers any; not one brings a remark of another rule."""
    page = browser.context.new_page()
    errors = PageErrors(page)
    page.goto(service.url + "/demo?seed=empty")
    drafts = scenario_drafts()
    assert len(drafts) >= 8, drafts
    tried = 0
    for name, history, text in drafts:
        page.click("#dc-new-chat")
        for role, said in history:
            box = "#dc-client-input" if role == "client" else "#dc-reply"
            page.fill(box, said)
            page.press(box, "Enter")
        page.click("#dc-reply")
        paste(page, text)
        time.sleep(SETTLE_S + 0.3)
        for _ in range(6):
            open_everything(page)
            keys = apply_buttons(page)
            if not keys:
                break
            before = Counter(rules_in_panel(page))
            item = page.locator(f"{PANEL} li[data-key='{keys[0]}']")
            # the remarks this fix is for: its group's (one fix for the remarks on the same words)
            group = item.get_attribute("data-group")
            owners = set(page.eval_on_selector_all(f"{PANEL} li[data-group='{group}']",
                                                   "els => els.map(e => e.dataset.rule)"))
            draft, seen = page.input_value("#dc-reply"), updates(page)
            item.locator("[data-action='apply']").click()
            page.wait_for_function(f"() => document.getElementById('dc-reply').value !== {draft!r}", timeout=3000)
            page.wait_for_function(f"() => Number(document.querySelector('{PANEL}')"
                                   f".getAttribute('data-coach-updates')) > {seen}", timeout=3000)
            page.wait_for_timeout(150)
            after = Counter(rules_in_panel(page))
            new = {r: n - before[r] for r, n in after.items() if r not in owners and n > before[r]}
            assert not new, f"{name}: Apply of {owners} → {page.input_value('#dc-reply')!r} brought {new}"
            tried += 1
        page.fill("#dc-reply", "")
    assert tried >= len(drafts), tried
    assert errors.items == [] and browser.worker_errors == []
    page.close()


# --- 5. the operator's language ----------------------------------------------------------------------------------
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN_WORD = re.compile(r"\b[A-Za-z]{2,}\b")


def test_an_english_client_and_a_russian_operator(browser, service, consoles):
    page, errors, spec = open_console(browser, service, consoles, "demo")
    page.click("li.dc-conv[data-id='c-1003']")  # John Carter writes English
    page.click(spec["editor"])
    type_like_a_person(page, "Да, доставляем в Германию, спс")
    wait_for_rules(page, lambda rules: {"language_mismatch", "slang", "no_introduction"} <= set(rules), timeout=4)
    open_everything(page)
    for text in remark_texts(page):
        assert CYRILLIC.search(text), text
        # English only inside quotes of the client's or the draft's words
        assert not LATIN_WORD.findall(re.sub(r"«[^»]*»|\"[^\"]*\"", "", text)), text
    bar = page.inner_text(f"{PANEL} .bar")
    assert "Коуч" in bar and "Клиент ждёт" in bar
    # the fix is in the draft's language: a Russian greeting for a Russian reply
    preview = page.inner_text(f'{PANEL} li[data-rule="no_introduction"] .preview, '
                              f'{PANEL} li[data-group] .preview >> nth=0')
    assert "Здравствуйте" in page.inner_text(f"{PANEL} ul"), preview
    assert "Hello" not in page.inner_text(f"{PANEL} ul")
    assert errors.items == []
    page.close()


def test_the_operator_may_choose_english(playwright_instance, service, consoles, tmp_path):
    """Options → «Язык подсказок»: English remarks for a Russian draft; the fix stays Russian. With no choice
    the browser's own language is followed (English in this Chromium)."""
    b = Browser(playwright_instance, tmp_path / "profile", service.url, ui_lang="")
    try:
        page, errors, spec = open_console(b, service, consoles, "demo")
        page.click("li.dc-conv[data-id='c-1001']")
        page.click(spec["editor"])
        type_like_a_person(page, "Добрый день, щас расскажу")
        wait_for_rules(page, lambda rules: "slang" in rules)
        assert "Coach" in page.inner_text(f"{PANEL} .bar")
        slang = page.inner_text(f'{PANEL} li[data-rule="slang"] .msg')
        assert "slang" in slang, slang
        assert "сейчас" in page.inner_text(f'{PANEL} li[data-rule="slang"] .preview')
        # the Options page sets Russian: the panel follows at once
        options = b.context.new_page()
        options.goto(f"chrome-extension://{b.extension_id}/options/options.html")
        options.select_option("#ui-lang", "ru")
        page.wait_for_function(f"() => document.querySelector('{PANEL}').shadowRoot.querySelector('.bar')"
                               f".textContent.includes('Коуч')", timeout=3000)
        page.wait_for_function(f"() => document.querySelector('{PANEL}').shadowRoot"
                               f".querySelector('li[data-rule=\"slang\"] .msg').textContent.includes('сленг')",
                               timeout=3000)
        assert errors.items == []
    finally:
        b.close()


# --- 6. urgency ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fast_service(tmp_path_factory):
    srv = Service(rules_copy(tmp_path_factory.mktemp("fast-wait"), slow_reply=fast_slow_reply()))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def fast_browser(playwright_instance, fast_service, tmp_path_factory):
    b = Browser(playwright_instance, tmp_path_factory.mktemp("profile-wait"), fast_service.url)
    yield b
    b.close()


def chip_level(page) -> str | None:
    return page.get_attribute(f"{PANEL} [data-coach-chip]", "data-level")


def test_the_client_wait_comes_first_and_stays_red_when_dismissed(fast_browser, fast_service):
    page = fast_browser.context.new_page()
    page.set_viewport_size({"width": 1280, "height": 600})
    errors = PageErrors(page)
    page.goto(fast_service.url + "/demo?seed=empty")
    page.click("#dc-new-chat")
    page.fill("#dc-client-input", "Здравствуйте, есть доставка в Казань?")
    page.press("#dc-client-input", "Enter")
    page.click("#dc-reply")
    # the operator writes a reply with a few remarks of its own while the client waits
    type_like_a_person(page, "Привет! Щас гляну, подожди минутку, СРОЧНО уточню")
    page.wait_for_selector(f'{PANEL} li[data-rule="slow_reply"][data-severity="error"]', timeout=8000)
    time.sleep(SETTLE_S)
    assert chip_level(page) == "red"
    items = visible_rules(page)
    assert items[0] == "slow_reply", items  # the wait first, in sight at 600 px
    assert "slow_draft" not in rules_in_panel(page)  # one remark per wait
    page.click(f'{PANEL} li[data-rule="slow_reply"] [data-action="dismiss"]')
    page.wait_for_selector(f'{PANEL} li[data-rule="slow_reply"]', state="detached", timeout=3000)
    time.sleep(1.2)  # the next pushes and keystrokes keep it honest
    type_like_a_person(page, " и ")
    time.sleep(SETTLE_S + 0.3)
    assert chip_level(page) == "red"  # the client still waits
    assert "slow_reply" not in rules_in_panel(page)
    assert errors.items == []
    page.close()


# --- 7. many remarks on one line ---------------------------------------------------------------------------------
def test_the_most_important_few_and_the_rest_on_demand(browser, service, consoles):
    page, errors, spec = open_console(browser, service, consoles, "demo")
    page.click("li.dc-conv[data-id='c-1001']")
    page.click(spec["editor"])
    type_like_a_person(page, "Привет! Щас гляну, подожди минутку")
    time.sleep(SETTLE_S + 0.5)
    wait_for_rules(page, lambda rules: len(rules) >= 5)
    groups = page.eval_on_selector_all(f"{PANEL} li[data-rule]", "els => els.filter(e => !e.hidden)"
                                                                 ".map(e => e.dataset.group)")
    assert len(set(groups)) == 3, groups  # three (the most important), however many there are
    # «подожди»: two remarks on one word are one item with one fix
    both = page.eval_on_selector_all(f"{PANEL} li[data-rule]", """els => {
        const g = {}; for (const e of els) (g[e.dataset.group] ??= []).push(e.dataset.rule);
        return Object.values(g).filter((x) => x.length > 1); }""")
    assert both == [["formality_mismatch", "missing_please"]] or both == [["missing_please", "formality_mismatch"]], both
    rest = page.locator(f"{PANEL} .rest")
    assert re.fullmatch(r"ещё \d+ ▾", rest.inner_text().strip()), rest.inner_text()
    rest.click()
    assert len(visible_rules(page)) == len(rules_in_panel(page))
    group = page.locator(f"{PANEL} li[data-rule='missing_please']").get_attribute("data-group")
    applies = page.locator(f"{PANEL} li[data-group='{group}'] [data-action='apply']")
    assert applies.count() == 1
    applies.click()
    page.wait_for_function("() => document.getElementById('dc-reply').value.includes('подождите, пожалуйста,')",
                           timeout=3000)
    wait_for_rules(page, lambda rules: "missing_please" not in rules and rules.count("formality_mismatch") == 1)
    assert errors.items == []
    page.close()
