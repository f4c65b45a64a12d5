"""Deploying to a floor (docs/deploy.md): `make extension` builds the zip, Chromium loads it with a
managed-storage policy (`3rdparty.extensions.<id>` in /etc/chromium/policies/managed/*.json), and the operator
sets nothing by hand: the options come preset and locked, the console's site is on, the panel coaches there.

Chromium on Linux reads policies only from /etc/chromium/policies (compiled into Debian's build), and a file
there would apply to every Chromium on the machine — other tests' too — until it is removed. So this test's
Chromium runs in a mount namespace of its own (unshare) in which /etc/chromium is a directory of the test's: no
other process sees the policy, and nothing outside the test's temporary directory is written."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from coach_server.service.guard import EXTENSION_ID

from .conftest import CHROMIUM, PANEL, ROOT, Browser, wait_rule
from .test_extension_pages import console_tab_id, extension_page
from .test_site_enabling import SITE

ETC_CHROMIUM = Path("/etc/chromium")


def launcher_with_policy(tmp: Path, policy: dict) -> str:
    """An executable that starts Debian's Chromium where /etc/chromium holds `policy` (and nothing else changes)."""
    unshare = shutil.which("unshare")
    if not unshare or not ETC_CHROMIUM.is_dir():
        pytest.skip("needs util-linux unshare and Debian's /etc/chromium")
    etc = tmp / "etc-chromium"
    shutil.copytree(ETC_CHROMIUM, etc, ignore=shutil.ignore_patterns("policies"))
    (etc / "policies" / "managed").mkdir(parents=True)
    (etc / "policies" / "managed" / "operator-coach.json").write_text(json.dumps(policy), encoding="utf-8")
    # root may make a mount namespace; anyone else one inside a user namespace of their own
    flags = ["--mount"] if os.geteuid() == 0 else ["--map-root-user", "--mount"]
    probe = subprocess.run([unshare, *flags, "sh", "-c", f'mount --bind "{etc}" /etc/chromium'], capture_output=True)
    if probe.returncode:
        pytest.skip(f"no private mount namespace here: {probe.stderr.decode(errors='replace').strip()}")
    launcher = tmp / "chromium-with-policy"
    launcher.write_text(f'#!/bin/sh\nexec {unshare} {" ".join(flags)} /bin/sh -c \'mount --bind "$0" /etc/chromium '
                        f'&& exec "$@"\' "{etc}" "{CHROMIUM}" "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    return str(launcher)


def test_the_zip_loads_with_a_policy_and_the_options_come_preset(playwright_instance, service, consoles, tmp_path):
    port = consoles.url.rsplit(":", 1)[1]
    site = f"http://{SITE}:{port}"
    zipped = tmp_path / "operator-coach.zip"
    built = subprocess.run(["make", "-s", "extension", f"OUT={zipped}", f"SITES=http://{SITE}"], cwd=ROOT,
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert f"id {EXTENSION_ID}" in built.stdout
    unpacked = tmp_path / "extension"
    with zipfile.ZipFile(zipped) as z:
        z.extractall(unpacked)
    settings = {"serviceUrl": service.url, "token": service.token, "tokenFile": "/etc/operator-coach/token",
                "sites": [site], "hotkey": "Alt+Shift+J"}
    launcher = launcher_with_policy(tmp_path, {"3rdparty": {"extensions": {EXTENSION_ID: settings}}})
    # the operator's own settings point elsewhere: the policy wins
    b = Browser(playwright_instance, tmp_path / "profile", "http://127.0.0.1:9", extension=unpacked,
                executable=launcher, extra_args=(f"--host-resolver-rules=MAP {SITE} 127.0.0.1",))
    try:
        assert b.extension_id == EXTENSION_ID
        assert b.worker.evaluate("chrome.storage.managed.get()") == settings

        # a console on the floor's site: coached at once — no switch, no permission prompt, no settings
        page = b.context.new_page()
        page.goto(site + "/operator/chat/7/31337")
        page.click("#message-input")
        page.keyboard.type("Пройдите на сайт")
        wait_rule(page, "missing_please")
        assert page.locator(PANEL).get_attribute("data-adapter") == "mibew"
        assert b.diagnostics()["state"] == "online"  # on the policy's service, not the operator's port 9

        options = extension_page(b, "options/options.html")
        options.wait_for_selector("#managed-note:not([hidden])")
        assert options.input_value("#service-url") == service.url and options.is_disabled("#service-url")
        assert options.input_value("#token") == service.token and options.is_disabled("#token")
        assert options.input_value("#hotkey") == "Alt+Shift+J" and options.is_disabled("#hotkey")
        assert "/etc/operator-coach/token" in options.inner_text("#token-file")
        assert f"{site} — задан администратором" in options.inner_text("#sites")
        assert options.locator("#sites button").count() == 0  # nothing to remove: the policy's site stays

        tab = console_tab_id(options, site + "/")
        popup = extension_page(b, f"popup/popup.html?tab={tab}")
        popup.wait_for_selector('#state[data-state="online"]')
        assert popup.is_checked("#site-toggle") and popup.is_disabled("#site-toggle")
        assert popup.locator("#grant").is_hidden()  # the floor build was granted the site at install
        assert b.worker_errors == []
    finally:
        b.close()
