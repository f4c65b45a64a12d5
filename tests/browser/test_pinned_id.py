"""One extension, one owner (issue 11, case 8), in the real browser: the unpacked extension loads with the id its
manifest's key fixes, and a service started with no options serves it. Another extension — here the same code
loaded without the key, so with an id of its own — is refused until the service is told to allow it."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from coach_server.service.guard import EXTENSION_ID

from .conftest import EXTENSION, Browser, Service, rules_copy, wait_rule


def open_console(browser: Browser, service_url: str):
    """The service's demo console with an order typed: coached like any other console."""
    page = browser.context.new_page()
    page.goto(service_url + "/demo#chat=c-1001")
    page.click("#dc-reply")
    page.keyboard.type("Пройдите на сайт")
    return page


def test_the_unpacked_extension_has_the_pinned_id_and_is_served(playwright_instance, tmp_path):
    service = Service(rules_copy(tmp_path))  # no --allow-origin
    try:
        browser = Browser(playwright_instance, tmp_path / "profile", service.url)
        try:
            assert browser.extension_id == EXTENSION_ID
            page = open_console(browser, service.url)
            wait_rule(page, "missing_please")
            assert browser.diagnostics()["state"] == "online"
        finally:
            browser.close()
    finally:
        service.stop()


def unpinned(playwright, where: Path, service_url: str) -> Browser:
    """The extension's code without its key, loaded from elsewhere: another extension, another id."""
    code = where / "extension"
    shutil.copytree(EXTENSION, code)
    manifest = json.loads((code / "manifest.json").read_text(encoding="utf-8"))
    del manifest["key"]
    (code / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return Browser(playwright, where / "profile", service_url, extension=code)


def test_another_extension_is_refused_unless_allowed(playwright_instance, tmp_path):
    service = Service(rules_copy(tmp_path))
    other = unpinned(playwright_instance, tmp_path / "other", service.url)
    try:
        assert other.extension_id != EXTENSION_ID
        page = open_console(other, service.url)
        deadline = time.time() + 4  # it keeps trying to connect meanwhile
        while time.time() < deadline:
            assert other.diagnostics()["state"] != "online"
            time.sleep(0.2)
        log = service.log.read_text(encoding="utf-8")
        assert "403" in log  # refused at the upgrade, by its Origin
        service.stop()
        service.extra = (*service.extra, "--allow-origin", f"chrome-extension://{other.extension_id}")
        service.start()  # the same port: the extension redials it
        deadline = time.time() + 15
        while other.diagnostics()["state"] != "online" and time.time() < deadline:
            time.sleep(0.2)
        assert other.diagnostics()["state"] == "online"
        wait_rule(page, "missing_please", timeout=15000)
    finally:
        other.close()
        service.stop()
