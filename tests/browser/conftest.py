"""Browser tests: Debian's Chromium with the real unpacked extension, the real `coach serve`, and console
pages with the real structure of Chatwoot, Mibew, the demo console and an unknown (generic) console.

The console fixtures are served from their own loopback port (not the service's origin), the way a
self-hosted console lives on its own host. Everything binds to 127.0.0.1 on free ports and is stopped by
the fixture that started it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import threading
import time
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import RULES, Server

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extension"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = os.environ.get("COACH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PANEL = "[data-coach-panel]"
PLAIN_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run",
              "--disable-sync"]


@contextmanager
def plain_page(viewport: dict | None = None):
    """A page in Debian's Chromium without the extension (for the service's own pages), with its page errors
    collected in `page.errors`."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=PLAIN_ARGS)
        page = browser.new_page(viewport=viewport or {"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        yield page
        browser.close()


# --- the coach service ------------------------------------------------------------------------------------
class Service(Server):
    """`coach serve` that can be stopped and started again on the same port (the extension keeps its URL)."""

    def feedback(self) -> list[dict]:
        status, body = self.get("/v1/feedback/recent")
        assert status == 200, body
        return body["events"]

    def freeze(self) -> None:
        """The service stops answering without closing anything (a hung or swapped-out process)."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)


def chat_hash(chat_id: str) -> str:
    return hashlib.sha256(chat_id.encode("utf-8")).hexdigest()[:16]


def rules_copy(tmp: Path, **overrides: str) -> Path:
    """A private copy of the rules; `overrides` maps a rule id to its new TOML text."""
    target = tmp / "rules"
    shutil.copytree(RULES, target)
    for rule, text in overrides.items():
        (target / f"{rule}.toml").write_text(text, encoding="utf-8")
    return target


# --- the console pages ------------------------------------------------------------------------------------
ROUTES = [
    (re.compile(r"^/app/accounts/\d+/conversations/\d+$"), "chatwoot.html"),
    (re.compile(r"^/operator/chat/\d+/\d+$"), "mibew.html"),
    (re.compile(r"^/helpdesk/tickets/\d+$"), "generic.html"),
    (re.compile(r"^/plain$"), "plain.html"),
    (re.compile(r"^/live/[^/]+$"), "rocketchat.html"),
    (re.compile(r"^/$"), "zammad.html"),
    (re.compile(r"^/odoo/discuss$"), "odoo.html"),
    (re.compile(r"^/desk/c/[^/]+$"), "hashed.html"),
]


class ConsoleHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",  # noqa: RUF012
                      ".css": "text/css"}

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        for pattern, page in ROUTES:
            if pattern.match(clean):
                return str(FIXTURES / page)
        if clean.startswith("/vendor/"):
            return str(FIXTURES / "vendor" / Path(clean).name)
        if clean.startswith("/fixtures/"):
            return str(FIXTURES / Path(clean).name)
        return str(FIXTURES / "missing")

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


class ConsoleServer:
    """The fixture consoles on their own loopback port (another origin than the service)."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(ConsoleHandler, directory=str(FIXTURES)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- the browser ----------------------------------------------------------------------------------------------
class Browser:
    """Chromium with the extension loaded, pointed at a coach service. The operator reads Russian (`ui_lang`, the
    Options setting): Debian's Chromium here has only its en-US locale, so its own UI language is English;
    `ui_lang=""` leaves the extension to follow it."""

    def __init__(self, playwright, profile: Path, service_url: str, extra_args: tuple[str, ...] = (),
                 extension: Path = EXTENSION, executable: str = CHROMIUM, ui_lang: str = "ru"):
        self.context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, viewport={"width": 1280, "height": 800},
            args=[f"--disable-extensions-except={extension}", f"--load-extension={extension}", "--no-sandbox",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--disable-sync", *extra_args])
        # errors the extension's service worker logs (console.error, uncaught): the coach must log none
        self.worker_errors: list[str] = []
        self.context.on("console", lambda m: self.worker_errors.append(m.text)
                        if m.worker is not None and m.type == "error" else None)
        self.context.on("weberror", lambda e: self.worker_errors.append(str(e.error)))
        self.worker = (self.context.service_workers[0] if self.context.service_workers
                       else self.context.wait_for_event("serviceworker"))
        self.extension_id = self.worker.url.split("/")[2]
        self.worker.evaluate("([url, lang]) => chrome.storage.local.set({serviceUrl: url, uiLang: lang})",
                             [service_url, ui_lang])
        # the worker has taken both (a policy's serviceUrl wins over the operator's, test_managed.py)
        self.wait_worker(lambda d: d.get("uiLang") == ui_lang and (
            d.get("serviceUrl") == service_url or "serviceUrl" in d.get("managedKeys", [])))

    def refresh_worker(self):
        """The current service worker (Chromium may have stopped and restarted it)."""
        workers = [w for w in self.context.service_workers if self.extension_id in w.url]
        if workers:
            self.worker = workers[-1]
        return self.worker

    def diagnostics(self) -> dict:
        return self.refresh_worker().evaluate("coachDiagnostics()")

    def chats(self) -> dict:
        return self.refresh_worker().evaluate("coachChats()")

    def wait_worker(self, predicate, timeout: float = 10.0) -> dict:
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = self.diagnostics()
                if predicate(last):
                    return last
            except Exception as exc:  # the worker is being restarted
                last = {"error": str(exc)}
            time.sleep(0.05)
        raise AssertionError(f"worker never reached the expected state: {last}")

    def failure_report(self, name: str) -> tuple[str, str]:
        """For a failed test's report (tests/conftest.py): the worker's state, the settings it uses and stores."""
        stored = self.refresh_worker().evaluate("chrome.storage.local.get(['serviceUrl', 'uiLang'])")
        return f"extension ({name})", json_dumps({**self.diagnostics(), "stored": stored})

    def close(self) -> None:
        self.context.close()


class PageErrors:
    """Console errors and uncaught exceptions of a page: the coach must add none."""

    def __init__(self, page):
        self.items: list[str] = []
        page.on("console", lambda m: self.items.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.items.append(f"pageerror: {e}"))


# --- the consoles, as the tests open them -------------------------------------------------------------------
CONSOLES = {
    # how to open it, its reply box, how to read the console's own state of the draft, its newest message
    "demo": dict(path="/demo#chat=c-1001", on_service=True, editor="#dc-reply",
                 state="document.getElementById('dc-reply').value", chat="c-1001",
                 roles=["system", "client"], newest=".dc-messages .dc-msg:last-child"),
    "chatwoot": dict(path="/app/accounts/1/conversations/11", editor=".ProseMirror", state="chatwoot.text()",
                     chat="11", roles=["client", "operator", "bot", "client"],
                     newest=".conversation-panel [data-message-id]:last-child"),
    "mibew": dict(path="/operator/chat/7/31337", editor="#message-input",
                  state="document.getElementById('message-input').value", chat="7",
                  roles=["system", "system", "client", "operator", "system", "client"],
                  newest="#messages-region .message:last-child"),
    "generic": dict(path="/helpdesk/tickets/4821", editor="#reply", state="helpdesk.state()", chat=None, roles=[],
                    newest=None),
    "rocketchat": dict(path="/live/xYv8Kq3LmN2pR5tWz", editor="textarea[name='msg']", state="rocketchat.text()",
                       chat="xYv8Kq3LmN2pR5tWz", roles=["system", "client", "operator", "bot", "client"],
                       newest=".messages-list > [data-qa-type='message']:last-child"),
    "zammad": dict(path="/#customer_chat", editor=".chat-window:first-child .js-customerChatInput",
                   state="zammad.text(41)", chat="41", roles=["system", "client", "operator", "client"],
                   newest=".chat-window:first-child .chat-message:last-child"),
    "odoo": dict(path="/odoo/discuss?active_id=discuss.channel_42", editor="textarea.o-mail-Composer-input",
                 state="odoo.text()", chat="42", roles=["system", "client", "operator", "client"],
                 newest=".o-mail-Thread > .o-mail-Message:last-child"),
}


def open_console(browser, service, consoles, name, viewport: dict | None = None):
    """A console page with the reply box focused; its errors in the second value."""
    spec = CONSOLES[name]
    page = browser.context.new_page()
    if viewport:
        page.set_viewport_size(viewport)
    errors = PageErrors(page)
    base = service.url if spec.get("on_service") else consoles.url
    page.goto(base + spec["path"])
    page.click(spec["editor"])
    return page, errors, spec


def shadow(page, selector: str, host: str = PANEL):
    """Evaluate-friendly: a JS expression for an element inside the coach's shadow root."""
    return f"document.querySelector('{host}').shadowRoot.querySelector('{selector}')"


def rules_in_panel(page) -> list[str]:
    return page.eval_on_selector_all(f"{PANEL} li[data-rule]", "els => els.map(e => e.dataset.rule)")


def wait_rule(page, rule: str, timeout: float = 5000):
    """The rule's remark in the panel, on screen: the panel shows the most important few, so a remark behind
    «ещё N» is opened the way the operator would (the count's button, then paging on while it is not shown)."""
    selector = f'{PANEL} li[data-rule="{rule}"]'
    page.wait_for_selector(selector, state="attached", timeout=timeout)
    for _ in range(10):
        if page.locator(selector).first.is_visible():  # (the panel redraws: a fresh look every time)
            break
        rest = page.locator(f"{PANEL} .rest")
        if rest.is_visible():
            rest.click()
        page.wait_for_timeout(50)
    return page.wait_for_selector(selector, timeout=timeout)


def wait_no_rule(page, rule: str, timeout: float = 5000):
    page.wait_for_selector(f'{PANEL} li[data-rule="{rule}"]', state="detached", timeout=timeout)


@pytest.fixture(scope="module")
def playwright_instance():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def consoles():
    server = ConsoleServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    srv = Service(rules_copy(tmp_path_factory.mktemp("service")))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def page(service):
    """A plain Chromium page, no extension: for the service's own pages (supervisor, trainer)."""
    with plain_page() as pg:
        yield pg


@pytest.fixture(scope="module")
def browser(playwright_instance, service, tmp_path_factory):
    b = Browser(playwright_instance, tmp_path_factory.mktemp("profile"), service.url)
    b.wait_worker(lambda d: d["errors"] == 0)
    yield b
    b.close()


def json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)

