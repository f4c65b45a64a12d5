"""What supervisors tune by: every remark the panel shows is recorded as "shown" once per draft (in small
batches), so the dismissed and applied shares on the supervisor page are shares of something real."""
from __future__ import annotations

import time
from collections import Counter

from .conftest import chat_hash, open_console, wait_rule


def shown_events(service, chat_id: str) -> Counter:
    return Counter(e["rule"] for e in service.feedback() if e["action"] == "shown" and e["chat"] == chat_hash(chat_id))


def test_each_remark_is_shown_once_per_draft(browser, service, consoles):
    page, errors, _spec = open_console(browser, service, consoles, "demo")
    page.keyboard.type("Спс, пройдите на сайт")
    wait_rule(page, "missing_please")
    wait_rule(page, "slang")
    chat_id = next(k for k in browser.chats() if k.startswith("demo:"))
    deadline = time.time() + 5
    while time.time() < deadline and not {"missing_please", "slang"} <= set(shown_events(service, chat_id)):
        time.sleep(0.1)
    first = shown_events(service, chat_id)
    assert first["missing_please"] == 1 and first["slang"] == 1, first

    page.keyboard.type(" и посмотрите условия")  # the same remarks stay on screen while typing on
    time.sleep(2.0)
    again = shown_events(service, chat_id)
    assert again["missing_please"] == 1 and again["slang"] == 1, again
    assert errors.items == [] and browser.worker_errors == []
    page.close()
