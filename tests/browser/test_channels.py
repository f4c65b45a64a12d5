"""An adapter tells the service where the conversation happens: the demo console played as an e-mail desk
(?channel=email) gets the e-mail norms — no «introduce yourself» on a first reply — while the same reply in
the live chat gets it."""
from __future__ import annotations

import time

from .conftest import CONSOLES, open_console, rules_in_panel, wait_rule


def test_the_adapter_sends_the_channel(browser, service, consoles):
    spec = CONSOLES["demo"]
    draft = "Доставка в Казань стоит 300 рублей"

    page, errors, _ = open_console(browser, service, consoles, "demo")
    page.keyboard.type(draft + ".")
    wait_rule(page, "no_introduction")
    page.close()

    page = browser.context.new_page()
    page.goto(service.url + spec["path"].replace("/demo#", "/demo?channel=email#"))
    page.click(spec["editor"])
    page.keyboard.type(draft + "!")
    page.wait_for_function("() => document.querySelector('[data-coach-panel]')?.dataset.coachState === 'online'",
                           timeout=5000)
    deadline = time.time() + 5
    state = {}
    while time.time() < deadline:
        state = next((c for k, c in browser.chats().items() if c.get("draft", "").endswith("!")), {})
        if state.get("channel") == "email":
            break
        time.sleep(0.05)
    assert state.get("channel") == "email", state
    time.sleep(0.5)  # the answer to the last keystroke has arrived by now
    assert "no_introduction" not in rules_in_panel(page)
    assert errors.items == [] and browser.worker_errors == []
    page.close()
