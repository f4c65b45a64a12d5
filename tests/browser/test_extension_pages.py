"""The popup (connection, adapter, the site switch), the options page (service URL, a supervisor's own
adapter — data, no code) and the toolbar badge, in the real extension."""
from __future__ import annotations

import contextlib
import json
import time

from playwright.sync_api import Error as PlaywrightError

from tests.conftest import free_port

from .conftest import PANEL, Browser, wait_rule


def extension_page(browser: Browser, path: str):
    page = browser.context.new_page()
    page.goto(f"chrome-extension://{browser.extension_id}/{path}")
    return page


def console_tab_id(ext_page, url_prefix: str) -> int:
    tabs = ext_page.evaluate("p => chrome.tabs.query({url: p + '*'})", url_prefix)
    assert len(tabs) == 1, tabs
    return tabs[0]["id"]


def test_popup_shows_state_adapter_and_count(browser, service, consoles):
    console = browser.context.new_page()
    console.goto(consoles.url + "/operator/chat/5/55")
    console.click("#message-input")
    console.keyboard.type("Спс, пройдите на сайт")
    wait_rule(console, "missing_please")

    popup = extension_page(browser, "popup/popup.html")
    popup.wait_for_selector('#state[data-state="online"]')  # (extension pages forbid eval: no wait_for_function)
    assert popup.inner_text("#state-text") == "на связи"
    tab = console_tab_id(popup, consoles.url + "/operator/chat/5/")
    status = popup.evaluate("m => chrome.runtime.sendMessage(m)",
                            {"type": "status", "tabId": tab, "url": console.url})
    count = console.locator(f"{PANEL} li[data-rule]").count()
    assert status["state"] == "online" and status["enabled"] and status["loopback"]
    assert status["adapter"] == {"id": "mibew", "name": "Mibew Messenger"}
    assert status["warnings"] == count
    assert popup.evaluate("t => chrome.action.getBadgeText({tabId: t})", tab) == str(count)

    # switching the site off removes the panel from the console; on brings it back
    popup.evaluate("m => chrome.runtime.sendMessage(m)",
                   {"type": "set-site", "origin": consoles.url, "enabled": False, "tabId": tab})
    console.wait_for_selector(PANEL, state="detached", timeout=5000)
    console.click("#message-input")
    console.keyboard.type(" и всё")
    time.sleep(0.3)
    assert console.locator(PANEL).count() == 0
    popup.evaluate("m => chrome.runtime.sendMessage(m)",
                   {"type": "set-site", "origin": consoles.url, "enabled": True, "tabId": tab})
    console.click("#message-input")
    console.keyboard.type(".")
    wait_rule(console, "missing_please")
    popup.close()
    console.close()


def test_chromiums_socket_to_the_service_is_not_compressed(browser, service):
    """Chromium offers permessage-deflate on every WebSocket; the service declines it, so the extension's socket
    (this browser's network stack, the extension's origin) carries frames as they are."""
    page = extension_page(browser, "options/options.html")
    url = service.url.replace("http", "ws", 1) + "/v1/live"
    got = page.evaluate("""url => new Promise((resolve, reject) => {
        const socket = new WebSocket(url);
        socket.onmessage = (e) => { resolve({extensions: socket.extensions, type: JSON.parse(e.data).type});
                                    socket.close(); };
        socket.onerror = () => reject(new Error("no connection to " + url));
    })""", url)
    assert got == {"extensions": "", "type": "hello"}
    page.close()


def test_a_picker_that_cannot_open_says_why_and_keeps_saying_it(browser, service):
    """«Настроить эту консоль» on a page the extension may not script — here the browser's own error page for a
    console that did not load: the popup says why under the switch, and its once-a-second refresh keeps it."""
    url = f"http://127.0.0.1:{free_port()}/operator/chat/1/1"  # nothing listens there
    page = browser.context.new_page()
    with contextlib.suppress(PlaywrightError):
        page.goto(url)
    probe = extension_page(browser, "options/options.html")
    tab = console_tab_id(probe, url)
    probe.close()
    popup = extension_page(browser, f"popup/popup.html?tab={tab}")
    popup.wait_for_selector('#state[data-state="online"]')
    popup.wait_for_selector("#picker:not([disabled])")
    popup.click("#picker")
    popup.wait_for_selector("#hint:not([hidden])")
    said = popup.inner_text("#hint")
    assert said.startswith("Не удалось открыть настройку на этой странице: "), said
    time.sleep(2.5)  # two refreshes later: still said
    assert popup.is_visible("#hint") and popup.inner_text("#hint") == said
    popup.close()
    page.close()


def test_options_service_url_and_a_supervisors_adapter(browser, service, consoles):
    options = extension_page(browser, "options/options.html")
    deadline = time.time() + 5
    while not options.input_value("#service-url") and time.time() < deadline:
        time.sleep(0.05)
    assert options.input_value("#service-url") == service.url

    # only a service on this machine
    options.fill("#service-url", "https://coach.example.com")
    options.click("#save")
    options.wait_for_selector("#service-result.bad")
    assert browser.refresh_worker().evaluate("chrome.storage.local.get('serviceUrl')")["serviceUrl"] == service.url
    options.fill("#service-url", service.url + "/")
    options.click("#check")
    options.wait_for_selector("#service-result.ok")
    assert "21" in options.inner_text("#service-result")

    # a vendor the extension does not ship: the supervisor describes it with data in the options page
    helpdesk = {"id": "helpdesk", "name": "Helpdesk", "match": {"url": ["/helpdesk/tickets/\\d+"], "dom": ["#root"]},
                "editor": "#reply", "conversation": {"url": "/tickets/(\\d+)"}}
    options.click("details summary")  # «Править JSON вручную»
    options.fill("#custom", json.dumps([{"id": "broken"}]))
    options.click("#save-adapters")
    options.wait_for_selector("#adapters-result.bad")
    options.fill("#custom", json.dumps([helpdesk]))
    options.click("#save-adapters")
    options.wait_for_selector("#adapters-result.ok")

    page = browser.context.new_page()
    page.goto(consoles.url + "/helpdesk/tickets/77")
    page.click("#reply")
    page.keyboard.type("Пройдите на сайт")
    wait_rule(page, "missing_please")
    assert page.get_attribute(PANEL, "data-adapter") == "helpdesk"
    assert any(k.startswith("helpdesk:") and k.endswith(":77") for k in browser.chats())

    options.fill("#custom", "")
    options.click("#save-adapters")
    options.wait_for_selector("#adapters-result.ok")
    page.close()
    options.close()


def test_service_pages_are_not_coached_as_consoles(browser, service):
    # the supervisor's and trainer's pages are served by the service itself: no any-text-box coaching there
    page = browser.context.new_page()
    page.goto(service.url + "/trainer")
    page.evaluate("""() => { const t = document.createElement('textarea'); t.id = 'probe';
                             document.body.append(t); }""")
    page.click("#probe")
    page.keyboard.type("Спс, пройдите на сайт")
    time.sleep(0.6)
    assert page.locator(PANEL).count() == 0
    page.close()
