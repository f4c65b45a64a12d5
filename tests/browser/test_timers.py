"""A client message arrives and nobody answers: the "client waiting" chip runs and `slow_reply` appears by
itself, pushed by the service's timer — no typing. The thresholds are lowered in a private copy of the rules
(what a supervisor does in rules/slow_reply.toml) so the test waits seconds, not minutes."""
from __future__ import annotations

import re

import pytest

from .conftest import PANEL, Browser, PageErrors, Service, rules_copy, rules_in_panel, wait_no_rule, wait_rule

RULES = __import__("tests.conftest", fromlist=["RULES"]).RULES


def fast_slow_reply() -> str:
    text = (RULES / "slow_reply.toml").read_text(encoding="utf-8")
    steps = ('steps = [\n  { after = 2, severity = "warning" },\n  { after = 4, severity = "error" },\n]\n'
             'first_reply_steps = [\n  { after = 2, severity = "warning" },\n  { after = 4, severity = "error" },\n]\n')
    text, n = re.subn(r"steps = \[.*?\]\nfirst_reply_steps = \[.*?\]\n", steps, text, flags=re.S)
    assert n == 1, "slow_reply.toml changed shape; update this test's thresholds"
    return text


@pytest.fixture(scope="module")
def fast_service(tmp_path_factory):
    srv = Service(rules_copy(tmp_path_factory.mktemp("fast"), slow_reply=fast_slow_reply()))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def fast_browser(playwright_instance, fast_service, tmp_path_factory):
    b = Browser(playwright_instance, tmp_path_factory.mktemp("profile"), fast_service.url)
    yield b
    b.close()


def chip(page):
    return page.locator(f"{PANEL} [data-coach-chip]")


def test_waiting_chip_and_slow_reply_without_typing(fast_browser, fast_service):
    page = fast_browser.context.new_page()
    errors = PageErrors(page)
    page.goto(fast_service.url + "/demo?seed=empty")
    page.click("#dc-new-chat")
    # the trainer plays the client; the operator only looks at the reply box
    page.fill("#dc-client-input", "Здравствуйте, есть доставка в Казань?")
    page.press("#dc-client-input", "Enter")
    page.click("#dc-reply")

    chip(page).wait_for(timeout=5000)
    text = " ".join(chip(page).inner_text().split())
    assert re.fullmatch(r"Клиент ждёт 00:0\d", text), text
    assert chip(page).get_attribute("data-level") == "calm"
    first = chip(page).inner_text()
    page.wait_for_function(f"() => document.querySelector('{PANEL}').shadowRoot"
                           f".querySelector('[data-coach-chip]').innerText !== {first!r}", timeout=3000)

    item = wait_rule(page, "slow_reply", timeout=6000)
    assert item.get_attribute("data-severity") == "warning"
    assert chip(page).get_attribute("data-level") == "amber"
    # the remark tells the same wait as the chip, second by second (re-worded from its clock, not frozen at
    # the moment the service pushed it)
    seen = []
    for _ in range(2):
        text, clock = page.evaluate(f"""() => {{ const r = document.querySelector('{PANEL}').shadowRoot;
            return [r.querySelector('li[data-rule="slow_reply"] .msg').textContent,
                    r.querySelector('[data-coach-chip] .time').textContent]; }}""")
        m = re.search(r"(?:(\d+) мин )?(\d+) с", text)
        assert m, text
        said = int(m.group(1) or 0) * 60 + int(m.group(2))
        mm, ss = clock.split(":")
        assert abs(said - (int(mm) * 60 + int(ss))) <= 1, (text, clock)
        seen.append(said)
        page.wait_for_timeout(1100)
    assert seen[1] > seen[0]
    page.wait_for_selector(f'{PANEL} li[data-rule="slow_reply"][data-severity="error"]', timeout=6000)
    assert chip(page).get_attribute("data-level") == "red"
    assert page.input_value("#dc-reply") == ""  # nothing was typed: the service pushed these by itself

    # the toolbar badge counts the tab's warnings
    chats = fast_browser.chats()
    [(_chat_id, chat)] = [(k, v) for k, v in chats.items() if k.startswith("demo:")]
    tab = chat["tabs"][0]
    badge = fast_browser.refresh_worker().evaluate("tab => chrome.action.getBadgeText({tabId: tab})", tab)
    assert badge == str(len(rules_in_panel(page)))

    # the operator answers: the client is no longer waiting
    page.keyboard.type("Здравствуйте! Меня зовут Анна. Да, доставляем в Казань за 2–3 дня.")
    page.keyboard.press("Enter")
    wait_no_rule(page, "slow_reply")
    chip(page).wait_for(state="detached", timeout=5000)
    assert errors.items == []
    page.close()
