"""One extension, one owner (issue 11, case 8), in the real browser: the unpacked extension loads with the id its
manifest's key fixes, and a service started with no options serves it. Another extension — here the same code
loaded without the key, so with an id of its own — is refused until the service is told to allow it."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from coach_server.service.guard import EXTENSION_ID

from .conftest import CHROMIUM, EXTENSION, Browser, Service, rules_copy, wait_rule


def test_the_unpacked_extension_has_the_pinned_id_and_is_served(playwright_instance, tmp_path):
    service = Service(rules_copy(tmp_path))  # no --allow-origin
    try:
        browser = Browser(playwright_instance, tmp_path / "profile", service.url)
        try:
            assert browser.extension_id == EXTENSION_ID
            page = browser.context.new_page()
            page.goto(service.url + "/demo#chat=c-1001")  # the service's demo console: coached like any other
            page.click("#dc-reply")
            page.keyboard.type("Пройдите на сайт")
            wait_rule(page, "missing_please")
            assert browser.diagnostics()["state"] == "online"
        finally:
            browser.close()
    finally:
        service.stop()


class Unpinned:
    """The extension's code without its key, loaded from elsewhere: another extension, another id."""

    def __init__(self, playwright, where: Path, service_url: str):
        code = where / "extension"
        shutil.copytree(EXTENSION, code)
        manifest = json.loads((code / "manifest.json").read_text(encoding="utf-8"))
        del manifest["key"]
        (code / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        if not Path(CHROMIUM).exists():
            pytest.skip(f"Chromium not found at {CHROMIUM}")
        self.context = playwright.chromium.launch_persistent_context(
            str(where / "profile"), executable_path=CHROMIUM, headless=True,
            args=[f"--disable-extensions-except={code}", f"--load-extension={code}", "--no-sandbox",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--disable-sync"])
        self.worker = (self.context.service_workers[0] if self.context.service_workers
                       else self.context.wait_for_event("serviceworker"))
        self.id = self.worker.url.split("/")[2]
        self.worker.evaluate("url => chrome.storage.local.set({serviceUrl: url})", service_url)

    def state(self) -> str:
        return self.worker.evaluate("coachDiagnostics()")["state"]

    def open_console(self, url: str):
        """A console tab: the worker connects to the service for it."""
        page = self.context.new_page()
        page.goto(url + "/demo#chat=c-1001")
        page.click("#dc-reply")
        page.keyboard.type("Пройдите на сайт")
        return page

    def close(self) -> None:
        self.context.close()


def test_another_extension_is_refused_unless_allowed(playwright_instance, tmp_path):
    service = Service(rules_copy(tmp_path))
    other = Unpinned(playwright_instance, tmp_path / "other", service.url)
    try:
        assert other.id != EXTENSION_ID
        page = other.open_console(service.url)
        deadline = time.time() + 4  # it keeps trying to connect meanwhile
        while time.time() < deadline:
            assert other.state() != "online"
            time.sleep(0.2)
        log = service.log.read_text(encoding="utf-8")
        assert "403" in log  # refused at the upgrade, by its Origin
        service.stop()
        service.extra = (*service.extra, "--allow-origin", f"chrome-extension://{other.id}")
        service.start()  # the same port: the extension redials it
        deadline = time.time() + 15
        while other.state() != "online" and time.time() < deadline:
            time.sleep(0.2)
        assert other.state() == "online"
        wait_rule(page, "missing_please", timeout=15000)
    finally:
        other.close()
        service.stop()
