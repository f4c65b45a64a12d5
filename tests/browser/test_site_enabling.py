"""Enabling a console on another site (not 127.0.0.1 or localhost), end to end, the way an operator does it:
the site is off until switched on; the popup's switch asks Chromium for that one site's permission in the
click itself; the panel then appears in the open tab at once and on every later visit; switching it off
removes the panel; Options → Убрать forgets the site and gives the permission back.

The site is a second name for this machine (`console.test`, mapped with --host-resolver-rules). The toolbar
click is CDP's Extensions.triggerAction on the tab (it grants `activeTab`, so the popup can read the tab's
address, exactly as a click does); the popup page itself is opened for that tab by its id
(`popup.html?tab=<id>`), where the test can press its switch. Chromium's permission prompt cannot be
answered from a test, so the site's access is granted the other way Chromium offers a user —
chrome://extensions → Site access → add the site — after which the popup's real `chrome.permissions.request`
resolves without asking again."""
from __future__ import annotations

import time

import pytest

from .conftest import PANEL, Browser, wait_rule

SITE = "console.test"


@pytest.fixture(scope="module")
def site_browser(playwright_instance, service, tmp_path_factory):
    b = Browser(playwright_instance, tmp_path_factory.mktemp("profile"), service.url,
                extra_args=(f"--host-resolver-rules=MAP {SITE} 127.0.0.1", "--enable-unsafe-extension-debugging"))
    yield b
    b.close()


def has_access(browser, origin_pattern: str) -> bool:
    return browser.refresh_worker().evaluate("p => chrome.permissions.contains({origins: [p]})", origin_pattern)


def registered(browser) -> list[str]:
    scripts = browser.refresh_worker().evaluate("chrome.scripting.getRegisteredContentScripts()")
    return [m for s in scripts for m in s["matches"]]


def click_toolbar(browser, url: str) -> None:
    """The operator clicks the extension's toolbar icon on the tab showing `url`."""
    cdp = browser.context.browser.new_browser_cdp_session()
    tabs = cdp.send("Target.getTargets", {"filter": [{"type": "tab"}]})["targetInfos"]
    [tab] = [t for t in tabs if t["url"] == url]
    cdp.send("Extensions.triggerAction", {"id": browser.extension_id, "targetId": tab["targetId"]})
    cdp.detach()


def open_popup(browser, tab_id: int):
    popup = browser.context.new_page()
    popup.goto(f"chrome-extension://{browser.extension_id}/popup/popup.html?tab={tab_id}")
    popup.wait_for_selector('#state[data-state="online"]')
    return popup


def chromium_site_access(browser, pattern: str, *, granted: bool) -> None:
    """What an operator does in chrome://extensions → the extension → Site access: add the site or remove it."""
    extensions = browser.context.new_page()
    extensions.goto("chrome://extensions")
    call = "addHostPermission" if granted else "removeHostPermission"
    extensions.evaluate(f"([id, p]) => chrome.developerPrivate.{call}(id, p)", [browser.extension_id, pattern])
    extensions.close()


def wait_registered(browser, pattern: str, wanted: bool) -> None:
    """The worker (re)registers the site's script when the switch's message, or Chromium's news of the
    site's access, reaches it."""
    deadline = time.time() + 5
    while (pattern in (now := registered(browser))) != wanted and time.time() < deadline:
        time.sleep(0.05)
    assert (pattern in now) == wanted, now


def site_of(consoles) -> tuple[str, str]:
    """The consoles' server under the site's name: its origin, and the match pattern Chromium grants for it."""
    return f"http://{SITE}:{consoles.url.rsplit(':', 1)[1]}", f"http://{SITE}/*"


def tab_ids(browser) -> set[int]:
    return set(browser.refresh_worker().evaluate("chrome.tabs.query({}).then(ts => ts.map(t => t.id))"))


def open_console_on_site(b, origin: str):
    """The Mibew console on a site of its own, in a new tab; its page and its tab's id (the extension may not
    read that tab's address yet: the new tab is the one it did not know)."""
    before = tab_ids(b)
    page = b.context.new_page()
    page.goto(origin + "/operator/chat/7/31337")
    [tab] = tab_ids(b) - before
    return page, tab


def switch_site_on(b, page, tab: int, origin: str, pattern: str):
    """The operator's way: the toolbar click on the console's tab, then the popup's switch, Chromium's prompt
    answered beforehand in chrome://extensions (the permission is not active until the extension asks)."""
    popup = open_popup(b, tab)
    assert popup.is_disabled("#site-toggle")  # before the toolbar click the extension may not read the address
    page.bring_to_front()
    click_toolbar(b, page.url)
    popup.wait_for_selector("#site-toggle:not([disabled])")
    chromium_site_access(b, pattern, granted=True)
    assert not has_access(b, pattern)

    assert popup.inner_text("#site") == origin
    assert not popup.is_checked("#site-toggle")
    popup.click("#site-toggle")  # a real click: chrome.permissions.request runs in it
    popup.wait_for_function("() => document.getElementById('site-toggle').checked")
    wait_registered(b, pattern, True)
    assert has_access(b, pattern)
    return popup


def test_enabling_a_site_through_the_permission_request(site_browser, service, consoles):
    b = site_browser
    origin, pattern = site_of(consoles)
    page, tab = open_console_on_site(b, origin)
    page.click("#message-input")
    page.keyboard.type("Пройдите на сайт")
    time.sleep(0.6)
    assert page.locator(PANEL).count() == 0  # not enabled: the coach is not even in the page
    assert not has_access(b, pattern)

    popup = switch_site_on(b, page, tab, origin, pattern)

    # injected into the open tab at once
    page.wait_for_selector(PANEL, state="attached", timeout=5000)
    page.click("#message-input")
    page.keyboard.type(" и посмотрите условия")
    wait_rule(page, "missing_please")
    assert page.get_attribute(PANEL, "data-adapter") == "mibew"

    # and on every later visit (the registered content script)
    page.reload()
    page.click("#message-input")
    page.keyboard.type("Пройдите в отделение")
    wait_rule(page, "missing_please")

    # off: the panel leaves the page at once
    popup.click("#site-toggle")
    page.wait_for_selector(PANEL, state="detached", timeout=5000)
    popup.close()

    # Options → Убрать: the site is forgotten and its permission given back
    options = b.context.new_page()
    options.goto(f"chrome-extension://{b.extension_id}/options/options.html")
    row = options.locator("#sites li", has_text=origin)
    row.locator("button").click()
    row.wait_for(state="detached")
    wait_registered(b, pattern, False)
    assert not has_access(b, pattern)
    options.close()
    page.close()
    assert b.diagnostics()["errors"] == 0, b.diagnostics()
    assert b.worker_errors == []


def test_site_access_taken_away_in_chromium_settings(site_browser, service, consoles):
    """Site access removed in chrome://extensions (not through the coach): the site's script goes with it, and
    the next visit has no panel; the site stays switched on, so access given back there brings the panel back."""
    b = site_browser
    origin, pattern = site_of(consoles)
    page, tab = open_console_on_site(b, origin)
    popup = switch_site_on(b, page, tab, origin, pattern)
    popup.close()
    page.wait_for_selector(PANEL, state="attached", timeout=5000)

    chromium_site_access(b, pattern, granted=False)
    wait_registered(b, pattern, False)
    page.reload()
    page.click("#message-input")
    page.keyboard.type("Пройдите в отделение")
    time.sleep(0.6)
    assert page.locator(PANEL).count() == 0

    chromium_site_access(b, pattern, granted=True)
    wait_registered(b, pattern, True)
    page.reload()
    page.click("#message-input")
    page.keyboard.type("Пройдите в отделение")
    wait_rule(page, "missing_please")
    page.close()
    assert b.diagnostics()["errors"] == 0, b.diagnostics()
    assert b.worker_errors == []
