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


def mibew(browser, consoles, typed: str, rule: str):
    """The Mibew console with `typed` in its reply box and `rule` in the panel; the page and its errors."""
    page = browser.context.new_page()
    errors = PageErrors(page)
    page.goto(consoles.url + MIBEW)
    page.click("#message-input")
    page.keyboard.type(typed)
    wait_rule(page, rule)
    return page, errors


def state(page) -> str:
    return page.get_attribute(PANEL, "data-coach-state")


def clear(page, selector):
    page.click(selector)
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")


def test_service_down_and_back(own_browser, own_service, consoles):
    page, errors = mibew(own_browser, consoles, "Пройдите на сайт", "missing_please")
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
    page, errors = mibew(own_browser, consoles, "Спс за ожидание", "slang")
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


def chip_seconds(page) -> int:
    mm, ss = page.inner_text(f"{PANEL} [data-coach-chip] .time").split(":")[-2:]
    return int(mm) * 60 + int(ss)


def wait_state(page, wanted: str, timeout: float) -> float:
    """Seconds until the panel says `wanted`."""
    started = time.perf_counter()
    page.wait_for_selector(f'{PANEL}[data-coach-state="{wanted}"]', state="attached", timeout=timeout * 1000)
    return time.perf_counter() - started


def test_a_hung_service_is_offline_within_two_seconds_and_the_chip_keeps_counting(own_browser, own_service):
    page = own_browser.context.new_page()
    errors = PageErrors(page)
    # c-1002: the client has waited ~95 s for an answer — slow_reply colours the chip
    page.goto(own_service.url + "/demo#chat=c-1002")
    page.click("#dc-reply")
    page.keyboard.type("Пройдите на сайт")
    wait_rule(page, "missing_please")
    wait_rule(page, "slow_reply")
    chip = page.locator(f"{PANEL} [data-coach-chip]")
    level = chip.get_attribute("data-level")
    assert level in ("amber", "red")

    own_service.freeze()  # the process stops answering; nothing is closed
    try:
        took = wait_state(page, "offline", timeout=6)
        print(f"offline after {took:.2f} s of silence")
        assert took < 2.5, f"«offline» came {took:.1f} s after the service went silent"
        assert page.locator(f"{PANEL} li[data-rule]").count() == 0  # no stale remarks
        # the chip keeps counting from the conversation's own times, and keeps its colour
        first = chip_seconds(page)
        assert first >= 95
        page.wait_for_timeout(1300)
        assert chip_seconds(page) > first
        assert chip.get_attribute("data-level") == level
        # the client writes again: still the same wait (the oldest unanswered message)
        page.fill("#dc-client-input", "Алло?")
        page.press("#dc-client-input", "Enter")
        page.wait_for_timeout(500)
        assert chip_seconds(page) >= first
        # the operator answers: nobody is waiting any more
        page.click("#dc-reply")
        page.keyboard.press("Control+A")
        page.keyboard.type("Здравствуйте! Заказ уже в пути.")
        page.keyboard.press("Enter")
        chip.wait_for(state="detached", timeout=3000)
    finally:
        own_service.thaw()
    took = wait_state(page, "online", timeout=10)
    page.click("#dc-reply")
    page.keyboard.type("Пройдите в отделение")
    wait_rule(page, "missing_please")
    assert errors.items == []
    page.close()


def test_a_closed_connection_is_offline_at_once(own_browser, own_service, consoles):
    page, errors = mibew(own_browser, consoles, "Пройдите на сайт", "missing_please")
    # the process dies: the system closes its connections at once
    own_service.proc.kill()
    own_service.proc.wait()
    took = wait_state(page, "offline", timeout=5)
    print(f"offline {took:.2f} s after the connection closed")
    assert took < 1.0
    own_service.start()
    wait_state(page, "online", timeout=10)
    assert errors.items == []
    assert own_browser.worker_errors == []
    page.close()
