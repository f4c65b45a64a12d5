"""The supervisor page of a team node in Debian's Chromium: two `coach serve` nodes on a throwaway PostgreSQL
store. A threshold saved on node A becomes a version, shown with its author and diff in «История»; rolling
back from there makes a new version that node B enforces. A service without the store explains how to get
a history."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import plain_page
from tests.conftest import RULES, Server, token_file
from tests.test_team import flagged, source, throwaway_team, wait_until

SHOTS = Path(os.environ.get("COACH_SHOTS", "/tmp"))


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    base = tmp_path_factory.mktemp("team-page")
    tokens = token_file(base / "tokens", "anna: anna-token-0123456789abcdef\n")
    with throwaway_team(base, "page") as t:
        t.a = t.node("--token-file", str(tokens), name="a")
        t.b = t.node(name="b")
        yield t


def test_save_history_and_rollback_on_the_page(team):
    a, b = team.a, team.b
    with plain_page() as page:
        # the supervisor entered her token earlier in this browser session (the page reads it when it loads)
        page.add_init_script("sessionStorage.setItem('operatorCoach.supervisorToken', 'anna-token-0123456789abcdef')")
        page.goto(a.url + "/supervisor#rule=too_long")
        expect(page.locator("#token-btn")).to_contain_text("Вошли: anna")
        expect(page.locator("#source-chip")).to_contain_text("правила: v1")
        field = page.locator('[data-path="params.max.sentences"]')
        expect(field).to_have_value("3")
        field.fill("1")
        page.click("#btn-save")
        expect(page.locator("#edit-notices .notice.ok")).to_contain_text("версия 2 в хранилище команды", timeout=30000)
        assert wait_until(lambda: "too_long" in flagged(b))  # node B enforces it
        page.click("#tab-history")
        versions = page.locator("#history-list .version")
        expect(versions).to_have_count(2)
        newest = versions.nth(0)
        expect(newest).to_contain_text("Версия 2")
        expect(newest).to_contain_text("anna")
        expect(newest).to_contain_text("too_long.toml изменён")
        expect(newest).to_contain_text("действует")
        expect(page.locator("#history-state")).to_contain_text("Действует версия 2")
        newest.locator("summary").click()
        expect(newest.locator(".diff")).to_contain_text("+max = { sentences = 1, chars = 400 }")
        page.screenshot(path=str(SHOTS / "supervisor-history.png"), full_page=True)
        page.once("dialog", lambda dialog: dialog.accept())
        versions.nth(1).get_by_role("button", name="Откатить к этой версии").click()
        expect(versions).to_have_count(3, timeout=30000)
        expect(versions.nth(0)).to_contain_text("восстанавливает версию 1")
        expect(versions.nth(0)).to_contain_text("действует")
        assert wait_until(lambda: "too_long" not in flagged(b) and source(b)["version"] == 3)
        assert page.errors == []


def test_a_service_without_the_store_says_how_to_keep_versions(tmp_path):
    shutil.copytree(RULES, tmp_path / "rules")
    server = Server(tmp_path / "rules", "--store", "none")
    try:
        with plain_page() as page:
            page.goto(server.url + "/supervisor#history")
            expect(page.locator("#history-none")).to_contain_text("--rules-from-store")
            expect(page.locator("#source-chip")).to_contain_text("правила: папка")
            time.sleep(0.2)
            assert page.errors == []
    finally:
        server.stop()
