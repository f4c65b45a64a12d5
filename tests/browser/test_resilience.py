"""The coach never gets in the way: with the service down the panel says "offline", typing and sending
work as before, nothing is logged as an error, and the coaching comes back by itself with the service.
The MV3 worker that Chromium stops (after 30 s idle in real use) wakes up and resumes the same chats."""
from __future__ import annotations

import time

import pytest

from .conftest import PANEL, Browser, PageErrors, Service, rules_copy, wait_rule

MIBEW = "/operator/chat/42/777"


@pytest.fixture(scope="module")
def own_service(tmp_path_factory):
    srv = Service(rules_copy(tmp_path_factory.mktemp("resilience")))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def own_browser(playwright_instance, own_service, tmp_path_factory):
    b = Browser(playwright_instance, tmp_path_factory.mktemp("profile"), own_service.url)
    yield b
    b.close()


def state(page) -> str:
    return page.get_attribute(PANEL, "data-coach-state")


def clear(page, selector):
    page.click(selector)
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")


def test_service_down_and_back(own_browser, own_service, consoles):
    page = own_browser.context.new_page()
    errors = PageErrors(page)
    page.goto(consoles.url + MIBEW)
    page.click("#message-input")
    page.keyboard.type("Пройдите на сайт")
    wait_rule(page, "missing_please")
    assert state(page) == "online"

    own_service.stop()
    page.wait_for_selector(f'{PANEL}[data-coach-state="offline"]', state="attached", timeout=5000)
    # typing and sending are untouched while the coach is offline
    started = time.perf_counter()
    page.keyboard.type(" и посмотрите условия")
    typing_ms = (time.perf_counter() - started) * 1000
    assert page.input_value("#message-input") == "Пройдите на сайт и посмотрите условия"
    page.keyboard.press("Control+Enter")
    assert page.evaluate("mibew.sent()") == ["Пройдите на сайт и посмотрите условия"]
    assert page.input_value("#message-input") == ""
    assert typing_ms < 3000
    assert page.locator(f"{PANEL} li[data-rule]").count() == 0  # no stale hints while offline
    time.sleep(1.5)  # a few reconnect attempts happen meanwhile
    assert errors.items == []
    assert own_browser.diagnostics()["errors"] == 0
    assert own_browser.worker_errors == []

    own_service.start()
    page.wait_for_selector(f'{PANEL}[data-coach-state="online"]', state="attached", timeout=10000)
    page.click("#message-input")
    page.keyboard.type("Пройдите в отделение банка")
    wait_rule(page, "missing_please")
    assert errors.items == []
    assert own_browser.diagnostics()["errors"] == 0
    assert own_browser.worker_errors == []
    page.close()


def test_worker_stopped_by_the_browser_resumes(own_browser, own_service, consoles):
    page = own_browser.context.new_page()
    errors = PageErrors(page)
    page.goto(consoles.url + MIBEW)
    page.click("#message-input")
    page.keyboard.type("Спс за ожидание")
    wait_rule(page, "slang")
    before = own_browser.diagnostics()["instance"]

    cdp = own_browser.context.new_cdp_session(page)
    cdp.send("ServiceWorker.enable")
    cdp.send("ServiceWorker.stopAllWorkers")
    cdp.detach()
    # a new worker (nothing kept in memory) has the chat again — the content script resent it — and a socket
    after = own_browser.wait_worker(lambda d: d.get("instance") not in (None, before) and d["state"] == "online"
                                    and any(c.endswith(":42") for c in d["chatIds"]))
    assert after["errors"] == 0

    clear(page, "#message-input")
    page.keyboard.type("Пройдите по ссылке")
    wait_rule(page, "missing_please")
    assert state(page) == "online"
    chat = next(v for k, v in own_browser.chats().items() if k.endswith(":42"))
    assert [m["role"] for m in chat["messages"]][-1] == "client"  # the conversation came back too
    assert errors.items == []
    assert own_browser.worker_errors == []
    page.close()
